"""``groq-anyio bench``: vLLM ``bench serve``-compatible flags and output over groq_anyio.

Target: ``--base-url`` (any OpenAI-compatible server) and ``--model``, the key from
``GROQ_API_KEY``. With neither a key nor ``--base-url``, an embedded local server (a child
process) answers with a Groq-like pace (``--pace-ttft-ms``, ``--pace-tokens-per-s``,
``--pace-jitter-ms``), so the command demos and tests without a key.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import os
import sys
import types
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NoReturn

__all__ = ["add_parser", "main"]

DEFAULT_MODEL = "llama-3.3-70b-versatile"
METRIC_NAMES = ("ttft", "tpot", "itl", "e2el")


class UsageError(Exception):
    """A bad flag: reported on one line, exit status 2."""


def _one_line_error(self: argparse.ArgumentParser, message: str) -> NoReturn:
    self.exit(2, f"{self.prog}: error: {message}\n")


def _rates(text: str) -> list[float]:
    out = []
    for part in text.split(","):
        part = part.strip()
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a request rate: {part!r}") from None
        if math.isnan(value) or value <= 0:
            raise argparse.ArgumentTypeError(
                f"a request rate must be positive (or inf), not {part}"
            )
        out.append(value)
    return out


def _concurrencies(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        try:
            value = int(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a concurrency: {part!r}") from None
        if value < 1:
            raise argparse.ArgumentTypeError(f"a concurrency must be at least 1, not {value}")
        out.append(value)
    return out


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value >= 0 or math.isinf(value):
        raise argparse.ArgumentTypeError(f"must be a finite number >= 0, not {text}")
    return value


def _positive(text: str) -> float:
    value = _non_negative(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be positive, not 0")
    return value


def _metrics(text: str) -> list[str]:
    names = [m.strip() for m in text.split(",") if m.strip()]
    for name in names:
        if name not in METRIC_NAMES:
            raise argparse.ArgumentTypeError(
                f"unknown metric {name!r} (choose from {', '.join(METRIC_NAMES)})"
            )
    return names


def _percentiles(text: str) -> list[float]:
    out = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a percentile: {part!r}") from None
        if not 0 < value < 100:
            raise argparse.ArgumentTypeError(f"a percentile must be in (0, 100), not {part}")
        out.append(value)
    return out


def _goodput(items: Sequence[str]) -> dict[str, float]:
    out = {}
    for item in items:
        key, sep, value = item.partition(":")
        if not sep or key not in ("ttft", "tpot", "e2el"):
            raise UsageError(f"--goodput takes ttft:MS, tpot:MS or e2el:MS, not {item!r}")
        try:
            ms = float(value)
        except ValueError:
            raise UsageError(f"--goodput {key}: not a number of milliseconds: {value!r}") from None
        if not ms >= 0 or math.isinf(ms):
            raise UsageError(f"--goodput {key}: must be a finite number >= 0, not {value}")
        out[key] = ms
    return out


def add_parser(sub: Any) -> argparse.ArgumentParser:
    """Add the ``bench`` sub-command to ``sub`` (an ``add_subparsers()`` action)."""
    b: argparse.ArgumentParser = sub.add_parser(
        "bench",
        help="benchmark latency and throughput (vLLM `bench serve` flags and output)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.error = types.MethodType(_one_line_error, b)  # type: ignore[method-assign]
    t = b.add_argument_group("target")
    t.add_argument("--base-url", default=None, help="an OpenAI-compatible API base URL")
    t.add_argument("--model", default=DEFAULT_MODEL)
    t.add_argument("--label", default=None, help="a label for the result file")
    t.add_argument("--backend", choices=("asyncio", "trio"), default="asyncio")
    proto = t.add_mutually_exclusive_group()
    proto.add_argument("--http2", dest="http", action="store_const", const="h2", default="auto")
    proto.add_argument("--http1", dest="http", action="store_const", const="h1")
    t.add_argument("--request-timeout", type=_positive, default=600.0, help="seconds")
    t.add_argument(
        "--uvloop",
        action="store_true",
        help="run asyncio on uvloop (client, and the local server): less loop overhead per chunk",
    )
    load = b.add_argument_group("load")
    load.add_argument("--num-prompts", type=_positive_int, default=200)
    load.add_argument(
        "--request-rate",
        type=_rates,
        default=[math.inf],
        help="requests/s, or inf (all at once); comma-separated values sweep",
    )
    load.add_argument(
        "--burstiness",
        type=_positive,
        default=1.0,
        help="gamma shape of the arrival gaps: 1 = Poisson, <1 burstier, >1 steadier",
    )
    load.add_argument(
        "--max-concurrency",
        type=_concurrencies,
        default=[None],
        help="requests in flight at most; comma-separated values sweep",
    )
    load.add_argument("--num-warmups", type=int, default=0)
    load.add_argument(
        "--cold-connections",
        action="store_true",
        help="do not open the connections before the clock starts: measured requests then"
        " carry TCP/TLS handshakes (vLLM's behaviour)",
    )
    load.add_argument("--seed", type=int, default=0)
    load.add_argument(
        "--workers", type=_positive_int, default=1, help="client processes (one loop each)"
    )
    d = b.add_argument_group("prompts")
    d.add_argument("--dataset-name", choices=("random", "custom", "sharegpt"), default="random")
    d.add_argument("--dataset-path", default=None)
    d.add_argument("--random-input-len", type=_positive_int, default=1024)
    d.add_argument("--random-output-len", type=_positive_int, default=128)
    d.add_argument("--random-range-ratio", type=_non_negative, default=0.0)
    d.add_argument("--custom-output-len", type=_positive_int, default=None)
    d.add_argument("--sharegpt-output-len", type=_positive_int, default=None)
    m = b.add_argument_group("metrics")
    m.add_argument("--percentile-metrics", type=_metrics, default=["ttft", "tpot", "itl"])
    m.add_argument("--metric-percentiles", type=_percentiles, default=[99.0])
    m.add_argument("--goodput", nargs="+", default=None, metavar="KEY:MS")
    m.add_argument(
        "--latency-from",
        choices=("sent", "call"),
        default="sent",
        help="where TTFT, E2EL and TTFB start: sent (default) = when the request's last byte"
        " was handed to the network, so the client's own queue, connecting and writing are not"
        " counted (they are reported as 'client send'); call = when the client's call began, as"
        " vllm bench serve measures",
    )
    m.add_argument(
        "--lag-threshold-ms",
        type=_positive,
        default=5.0,
        help="warn when the client's event-loop lag p99 exceeds this",
    )
    o = b.add_argument_group("output")
    o.add_argument("--save-result", action="store_true")
    o.add_argument("--save-detailed", action="store_true", help="keep generated texts")
    o.add_argument("--result-dir", default=None)
    o.add_argument("--result-filename", default=None)
    o.add_argument("--csv", default=None, metavar="FILE", help="one row per request")
    o.add_argument("--plot", default=None, metavar="FILE.png|FILE.html")
    o.add_argument("--disable-tqdm", action="store_true", help="no progress bar")
    p = b.add_argument_group("local server (no GROQ_API_KEY and no --base-url)")
    p.add_argument("--pace-ttft-ms", type=_non_negative, default=40.0)
    p.add_argument("--pace-tokens-per-s", type=_positive, default=250.0)
    p.add_argument("--pace-jitter-ms", type=_non_negative, default=0.0)
    p.add_argument("--local", action="store_true", help="use the local server even with a key")
    return b


def _samples(args: argparse.Namespace) -> Any:
    from ._datasets import DatasetError, custom, random_dataset, sharegpt

    try:
        if args.dataset_name == "random":
            if args.random_range_ratio >= 1:
                raise DatasetError("--random-range-ratio must be below 1")
            return random_dataset(
                args.num_prompts,
                args.random_input_len,
                args.random_output_len,
                args.random_range_ratio,
                args.seed,
            )
        if not args.dataset_path:
            raise DatasetError(f"--dataset-name {args.dataset_name} needs --dataset-path")
        if args.dataset_name == "custom":
            return custom(args.dataset_path, args.num_prompts, args.custom_output_len)
        return sharegpt(args.dataset_path, args.num_prompts, args.sharegpt_output_len, args.seed)
    except DatasetError as exc:
        raise UsageError(str(exc)) from None


def _result_path(args: argparse.Namespace, rate: float, conc: int | None, sweep: bool) -> Path:
    rate_s = "inf" if math.isinf(rate) else f"{rate:g}"
    if args.result_filename:
        name = args.result_filename
        if sweep:
            stem, dot, ext = name.rpartition(".")
            tail = f"-{rate_s}qps" + (f"-concurrency{conc}" if conc else "")
            name = f"{stem}{tail}.{ext}" if dot else name + tail
    else:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        conc_s = f"-concurrency{conc}" if conc else ""
        model = args.model.split("/")[-1]
        name = f"{args.label or 'groq-anyio'}-{rate_s}qps{conc_s}-{model}-{stamp}.json"
    return Path(str(args.result_dir or ".")) / str(name)


def _check(args: argparse.Namespace) -> dict[str, float] | None:
    if args.num_warmups < 0:
        raise UsageError("--num-warmups must be >= 0")
    if args.uvloop and (args.backend != "asyncio" or importlib.util.find_spec("uvloop") is None):
        raise UsageError("--uvloop needs --backend asyncio and uvloop installed")
    if args.plot:
        if Path(args.plot).suffix.lower() not in (".png", ".html"):
            raise UsageError("--plot takes a .png or .html file name")
        if importlib.util.find_spec("matplotlib") is None:
            raise UsageError("--plot needs matplotlib: pip install 'groq-anyio[plot]'")
    if args.dataset_path and not os.access(args.dataset_path, os.R_OK):
        raise UsageError(f"cannot read the dataset {args.dataset_path!r}")
    return _goodput(args.goodput) if args.goodput else None


def main(args: argparse.Namespace) -> int:
    """Run the ``bench`` command; 0 when done, 2 for bad flags, 130 after Ctrl-C."""
    prog = "groq-anyio bench"
    try:
        slos = _check(args)
        samples = _samples(args)
    except UsageError as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    from contextlib import ExitStack

    from ._local import LocalServer, LocalServerError

    with ExitStack() as stack:
        base_url = args.base_url
        local_key = None
        if args.local or (not base_url and not os.environ.get("GROQ_API_KEY")):
            try:
                url = stack.enter_context(
                    LocalServer(
                        ttft=args.pace_ttft_ms / 1000,
                        tokens_per_s=args.pace_tokens_per_s,
                        jitter=args.pace_jitter_ms / 1000,
                        seed=args.seed,
                        uvloop=args.uvloop,
                    )
                )
            except LocalServerError as exc:
                print(f"{prog}: error: {exc}", file=sys.stderr)
                return 1
            base_url = url + "/openai/v1"
            local_key = "local-test-key"
            print(
                f"[groq-anyio] no GROQ_API_KEY and no --base-url: the embedded local server at "
                f"{url} (TTFT {args.pace_ttft_ms:g} ms, {args.pace_tokens_per_s:g} tokens/s, "
                f"jitter {args.pace_jitter_ms:g} ms)",
                file=sys.stderr,
            )
        elif not os.environ.get("GROQ_API_KEY"):
            local_key = "none"  # an OpenAI-compatible server that takes no key
        from ._workers import WorkerError

        try:
            return _sweep(args, samples, slos, base_url, local_key)
        except WorkerError as exc:  # (--workers: one line, not a traceback)
            print(f"{prog}: error: {exc}", file=sys.stderr)
            return 1


def _sweep(
    args: argparse.Namespace,
    samples: Any,
    slos: dict[str, float] | None,
    base_url: str | None,
    local_key: str | None,
) -> int:
    from ._runner import RunConfig

    combos = [(r, c) for r in args.request_rate for c in args.max_concurrency]
    sweep = len(combos) > 1
    docs = []
    status = 0
    for n, (rate, conc) in enumerate(combos):
        if sweep:
            label = "inf" if math.isinf(rate) else f"{rate:g}"
            print(f"[groq-anyio] run {n + 1}/{len(combos)}: rate {label}, concurrency {conc}")
        cfg = RunConfig(
            base_url=base_url or "",
            model=args.model,
            samples=samples,
            request_rate=None if math.isinf(rate) else rate,
            burstiness=args.burstiness,
            max_concurrency=conc,
            num_warmups=args.num_warmups,
            seed=args.seed,
            backend=args.backend,
            http=args.http,
            uvloop=args.uvloop,
            timeout=args.request_timeout,
            local_api_key=local_key,
            keep_texts=args.save_detailed,
            preconnect=not args.cold_connections,
        )
        doc, interrupted = _run_one(args, cfg, slos)
        docs.append(doc)
        if args.save_result:
            from ._output import write_json

            path = _result_path(args, rate, conc, sweep)
            write_json(doc, path)
            print(f"[groq-anyio] result saved to {path}", file=sys.stderr)
        if args.csv:
            from ._output import write_csv

            write_csv(doc, Path(args.csv), append=n > 0)
        if interrupted:
            status = 130
            break
    if args.plot and docs:
        from ._output import write_plot

        write_plot(docs, Path(args.plot))
        print(f"[groq-anyio] plots saved to {args.plot}", file=sys.stderr)
    return status


def _run_one(
    args: argparse.Namespace, cfg: Any, slos: dict[str, float] | None
) -> tuple[dict[str, Any], bool]:
    from ._metrics import summarise
    from ._output import Progress, print_summary
    from ._records import WorkerOutput
    from ._runner import RunState, run_blocking

    outputs: list[WorkerOutput]
    if args.workers == 1:
        state = RunState()
        progress = Progress(len(cfg.samples), enabled=False if args.disable_tqdm else None)
        run_blocking(cfg, state, progress)
        progress.close()
        outputs = [state.output()]
    else:
        from ._workers import run_workers

        outputs = run_workers(cfg, args.workers)
    records = [r for o in outputs for r in o.records]
    interrupted = any(o.interrupted for o in outputs)
    start = min(o.start_ns for o in outputs)
    end = max(o.end_ns for o in outputs)
    meta = {
        "date": datetime.now().strftime("%Y%m%d-%H%M%S"),
        "endpoint_type": "openai-chat",
        "backend": "groq-anyio",
        "label": args.label,
        "model_id": args.model,
        "tokenizer_id": None,
        "num_prompts": len(cfg.samples),
        "request_rate": math.inf if cfg.request_rate is None else cfg.request_rate,
        "burstiness": cfg.burstiness,
        "max_concurrency": cfg.max_concurrency,
    }
    summary = summarise(
        records,
        duration_s=(end - start) / 1e9,
        percentiles=args.metric_percentiles,
        selected=args.percentile_metrics,
        goodput_slos=slos,
        clients=[o.client for o in outputs],
        lag_threshold_ms=args.lag_threshold_ms,
        meta=meta,
        interrupted=interrupted,
        latency_from=args.latency_from,
    )
    print_summary(summary.doc, args.percentile_metrics, args.metric_percentiles)
    return summary.doc, interrupted
