"""The latency benchmarking harness behind ``groq-anyio bench`` (vLLM ``bench serve`` shape).

Modules, imported one way (top to bottom depends only on what is below it):

- ``_cli``: the ``bench`` sub-command: flags, sweep, console/JSON/CSV/plot output.
- ``_workers``: ``--workers N`` client processes and the merge of their records.
- ``_runner``: one benchmark run on one event loop (arrivals, concurrency, warm-ups,
  event-loop lag and CPU), producing :class:`~._records.RequestRecord` s.
- ``_local``: the embedded paced local server, in a child process.
- ``_output``: console summary, progress bar, JSON document, CSV, plots.
- ``_metrics``: records -> the vLLM metrics (+ ours); ``_stats``: percentiles, std, goodput.
- ``_datasets``, ``_arrivals``, ``_records``: prompts, arrival times, the per-request record.

Nothing here is imported by ``import groq_anyio``.
"""
