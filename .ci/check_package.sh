#!/usr/bin/env bash
# CI step "package" (called by .ci/run; `nox -s package` runs it too): build the sdist and the
# wheel, check their metadata and contents, then prove each one works on its own:
#   1. `python -m build` (sdist + wheel) into a temp dir, `twine check --strict`;
#   2. LICENSE in both archives (the wheel's .dist-info/licenses/), sizes and file counts printed;
#   3. the wheel ALONE in a fresh venv (no -e, no test dependencies), run from outside the
#      repository: `groq-anyio --help`, a streamed `groq-anyio chat` on the embedded server (no
#      key), `groq-anyio serve` on a free port hit with one request, then stopped;
#   4. the sdist unpacked in a temp dir, `pip install '.[test]'` in a fresh venv there, and a fast
#      subset of its own tests run from the unpacked folder (the sdist must carry its tests).
# Environment: PYTHON (the interpreter for the fresh venvs, default python3), TOOLS_PYTHON (the one
# that gets `build` and `twine`, default .venv/bin/python). Everything else lives under /tmp and
# is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
PY=${PYTHON:-python3}
TOOLS_PY=${TOOLS_PYTHON:-$repo/.venv/bin/python}

work=$(mktemp -d /tmp/groq-anyio-package.XXXXXX)
server_pid=""
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

say() { echo "CI package: $*"; }

# ---- 1. build and twine check ------------------------------------------------------------------
"$TOOLS_PY" -m pip install -q 'build>=1.2' 'twine>=6.1'
build_start=$(date +%s%N)
if ! "$TOOLS_PY" -m build --outdir "$work/dist" . >"$work/build.log" 2>&1; then
    cat "$work/build.log" >&2
    exit 1
fi
say "sdist and wheel built in $(( ($(date +%s%N) - build_start) / 1000000 )) ms"
"$TOOLS_PY" -m twine check --strict "$work"/dist/*

sdist=$(echo "$work"/dist/*.tar.gz)
wheel=$(echo "$work"/dist/*.whl)
[ -f "$sdist" ] && [ -f "$wheel" ] || { echo "CI package: expected one sdist and one wheel" >&2; exit 1; }

# ---- 2. contents: LICENSE in both, what the sdist must carry -----------------------------------
"$TOOLS_PY" - "$sdist" "$wheel" <<'EOF'
import os
import sys
import tarfile
import zipfile

sdist, wheel = sys.argv[1:]
with tarfile.open(sdist) as tf:
    names = [m.name for m in tf.getmembers() if m.isfile()]
top = names[0].split("/")[0]
inside = {n.split("/", 1)[1] for n in names}
with zipfile.ZipFile(wheel) as zf:
    wheel_names = zf.namelist()
dist_info = next(n.split("/")[0] for n in wheel_names if ".dist-info/" in n)
problems = []
if "LICENSE" not in inside:
    problems.append("sdist: no LICENSE")
if f"{dist_info}/licenses/LICENSE" not in wheel_names:
    problems.append(f"wheel: no {dist_info}/licenses/LICENSE")
for needed in ("README.md", "CHANGELOG.md", "CONTRIBUTING.md", "pyproject.toml", "noxfile.py",
               "groq_anyio/py.typed", "tests/conftest.py", "tests/data/groq-traffic/SOURCES.md",
               "examples/basic_chat.py", "docs/index.md", "bench/run_all.py"):
    if needed not in inside:
        problems.append(f"sdist: no {needed}")
for name in inside | set(wheel_names):
    if "__pycache__" in name or name.endswith(".pyc"):
        problems.append(f"a cache file is packaged: {name}")
if any(not n.startswith(("groq_anyio/", dist_info + "/")) for n in wheel_names):
    problems.append("wheel: files outside groq_anyio/ and its .dist-info")
for path, count in ((sdist, len(names)), (wheel, len(wheel_names))):
    print(f"CI package: {os.path.basename(path)}: {os.path.getsize(path):,} bytes, {count} files")
if problems:
    sys.exit("CI package: " + "; ".join(sorted(problems)[:20]))
print(f"CI package: LICENSE in both ({top}/LICENSE, {dist_info}/licenses/LICENSE)")
EOF

# ---- 3. the wheel alone in a fresh venv --------------------------------------------------------
wheel_start=$(date +%s)
"$PY" -m venv "$work/wheel-venv"
"$work/wheel-venv/bin/pip" install -q "$wheel"
bin=$work/wheel-venv/bin
cd "$work"  # nothing of the repository on sys.path from here on
unset GROQ_API_KEY GROQ_BASE_URL
"$bin/python" - <<'EOF'
import importlib.util
import groq_anyio

assert "site-packages" in groq_anyio.__file__, groq_anyio.__file__
extra = [m for m in ("pytest", "trio", "hypothesis", "groq") if importlib.util.find_spec(m)]
assert not extra, f"the wheel pulled in test dependencies: {extra}"
EOF
"$bin/groq-anyio" --help >/dev/null
if ! answer=$("$bin/groq-anyio" chat --local "hi" 2>"$work/chat.err") || [ -z "$answer" ]; then
    cat "$work/chat.err" >&2
    echo "CI package: groq-anyio chat from the wheel failed or printed nothing" >&2
    exit 1
fi
say "wheel: groq-anyio chat: $answer ($(tail -n 1 "$work/chat.err"))"

"$bin/groq-anyio" serve --port 0 >/dev/null 2>"$work/serve.err" &
server_pid=$!
url=""
for _ in $(seq 1 300); do  # up to 30 s for the server to say where it listens
    url=$(grep -o 'http://[^ ]*/openai/v1' "$work/serve.err" || true)
    [ -n "$url" ] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$url" ] || { cat "$work/serve.err" >&2; echo "CI package: serve did not start" >&2; exit 1; }
"$bin/python" - "$url" <<'EOF'
import json
import sys
import urllib.request

body = {"model": "llama-3.1-8b-instant", "messages": [{"role": "user", "content": "hi"}]}
req = urllib.request.Request(
    sys.argv[1] + "/chat/completions",
    data=json.dumps(body).encode(),
    headers={"Content-Type": "application/json", "Authorization": "Bearer gsk_local"},
)
with urllib.request.urlopen(req, timeout=30) as resp:
    assert resp.status == 200, resp.status
    reply = json.load(resp)
content = reply["choices"][0]["message"]["content"]
assert content, reply
print(f"CI package: wheel: groq-anyio serve at {sys.argv[1]} answered: {content}")
EOF
kill "$server_pid"
wait "$server_pid" || true
server_pid=""
say "wheel-only venv checks done in $(( $(date +%s) - wheel_start )) s"

# ---- 4. the sdist runs its own tests -----------------------------------------------------------
sdist_start=$(date +%s)
mkdir "$work/sdist"
tar xzf "$sdist" -C "$work/sdist"
src=$(echo "$work"/sdist/groq_anyio-*)
"$PY" -m venv "$work/sdist-venv"
"$work/sdist-venv/bin/pip" install -q "$src[test]"
cd "$src"
"$work/sdist-venv/bin/python" -m pytest -q -p no:cacheprovider \
    tests/test_conformance.py tests/test_cli_examples.py tests/test_pytest_plugin.py
say "sdist tests done in $(( $(date +%s) - sdist_start )) s"
