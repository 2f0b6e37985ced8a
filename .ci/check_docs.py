"""Build the docs with warnings as errors, then check the API reference in the built inventory.

Usage: ``.venv/bin/python .ci/check_docs.py [OUTDIR]`` (default: a temporary directory, removed
afterwards). Fails when the ``-W`` build fails, or when a public name of ``groq_anyio``,
``groq_anyio.types``, ``groq_anyio.helpers`` or ``groq_anyio.testing`` is not an object of the
built ``objects.inv``. Needs the ``docs`` dependency group; no network (no intersphinx).
"""

from __future__ import annotations

import posixpath
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import groq_apiref  # noqa: E402  (docs/_ext, not an installed module)
from sphinx.util.inventory import InventoryFile  # noqa: E402


def build(out: Path) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", out],
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - start


def python_objects(inventory: Path) -> set[str]:
    with inventory.open("rb") as stream:
        data = InventoryFile.load(stream, "", posixpath.join)
    return {name for role, items in data.items() if role.startswith("py:") for name in items}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tmp) / "html"
        try:
            seconds = build(out)
        except subprocess.CalledProcessError:
            print("check_docs: the -W build failed (warnings above)", file=sys.stderr)
            return 1
        objects = python_objects(out / "objects.inv")
    names = groq_apiref.public_names()
    missing = [name for name in names if name not in objects]
    print(
        f"check_docs: built in {seconds:.1f} s; {len(objects)} Python objects in the inventory; "
        f"{len(names) - len(missing)} of {len(names)} public names documented"
    )
    if missing:
        print("check_docs: not in the built reference:\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
