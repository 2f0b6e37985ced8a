"""Where the recorded Groq traffic lives, for every test that replays or decodes it.

Two places, read together:

1. ``tests/data/groq-traffic/`` -- the corpus vendored in this repository (with its SOURCES.md and
   licence notes). It must be there: a clone without it is broken, and the tests say so by
   failing, never by skipping.
2. ``../shared/conformance/groq-traffic`` next to the repository root (or the folder named by
   ``GROQ_TRAFFIC_DIR``), read in addition when it exists. Files added there are picked up at the
   next collection without any code change.

A file of the outside folder is left out when the vendored corpus already holds the same bytes
(under any name). An outside file whose name is taken by a vendored file with different bytes
is kept, under the id ``shared/<name>``, so a newer recording is tested next to the old one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TESTS = Path(__file__).resolve().parent
ROOT = _TESTS.parent
VENDORED = _TESTS / "data" / "groq-traffic"
MIN_VENDORED = 28  # the corpus as vendored; fewer files means a broken checkout


def outside_dir() -> Path:
    """The optional outside folder: ``GROQ_TRAFFIC_DIR`` or ``../shared`` beside the repo."""
    env = os.environ.get("GROQ_TRAFFIC_DIR")
    if env:
        return Path(env)
    return ROOT.parent / "shared" / "conformance" / "groq-traffic"


@dataclass(frozen=True)
class Recording:
    """One recorded interaction file and the id tests show for it."""

    path: Path
    id: str

    def load(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.path.read_text("utf-8"))
        return data


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recordings() -> list[Recording]:
    """Every recording, vendored first, then the outside folder's new files (sorted by name)."""
    out = [Recording(p, p.name) for p in sorted(VENDORED.glob("*.json"))]
    seen_bytes = {_digest(r.path) for r in out}
    names = {r.path.name for r in out}
    extra = outside_dir()
    if extra.is_dir() and extra.resolve() != VENDORED.resolve():
        for p in sorted(extra.glob("*.json")):
            digest = _digest(p)
            if digest in seen_bytes:
                continue
            seen_bytes.add(digest)
            out.append(Recording(p, f"shared/{p.name}" if p.name in names else p.name))
    return out


def check_vendored() -> None:
    """Fail (never skip) when the vendored corpus is missing or cut short."""
    assert VENDORED.is_dir(), f"the vendored Groq traffic corpus is missing: {VENDORED}"
    assert (VENDORED / "SOURCES.md").is_file(), f"{VENDORED}/SOURCES.md is missing"
    n = len(list(VENDORED.glob("*.json")))
    assert n >= MIN_VENDORED, f"only {n} recordings in {VENDORED}, expected {MIN_VENDORED}+"
