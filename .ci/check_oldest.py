"""Fail unless every package pinned in .ci/constraints-oldest.txt is installed at its pin.

pip applies a constraint only to packages something asks for, so a pin whose package nobody
requires (or a floor dropped from pyproject.toml) would pass unnoticed without this check.
"""

from __future__ import annotations

import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

PINS = Path(__file__).with_name("constraints-oldest.txt")


def main() -> int:
    wrong = []
    for raw in PINS.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, pinned = line.partition("==")
        try:
            got = version(name)
        except PackageNotFoundError:
            got = "not installed"
        if got != pinned:
            wrong.append(f"{name}: pinned {pinned}, got {got}")
        else:
            print(f"oldest: {name} {got}")
    for w in wrong:
        print(f"oldest: {w}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
