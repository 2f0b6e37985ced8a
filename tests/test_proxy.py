"""Proxies (issue 14), through a real proxy server: proxy.py, started on loopback by the tests.

- https:// origins through a CONNECT tunnel, HTTP/1.1 and HTTP/2 (ALPN inside the tunnel);
- http:// origins forwarded (absolute-form targets);
- SOCKS5 (through pproxy, with and without a user and password), for https:// and http://;
- proxy authentication from the URL's user and password (a proxy that requires it refuses a
  client without it with 407: proof that the traffic really goes through it), never shown in
  an error, a repr or a log;
- which proxy the environment selects (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY / NO_PROXY,
  ``trust_env=False``), as a pure function, since every origin of the test suite is loopback,
  which never takes a proxy from the environment.

Both backends (asyncio, trio).
"""

from __future__ import annotations

import logging
import os
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio._transport._proxy import Proxy, select_proxy
from groq_anyio.testing import GroqTestServer

from .conftest import TEST_KEY

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "Hi"}]
USER, PASSWORD = "alice", "s3cret-proxy-pw"


def _start_proxy(tmp: Path, *extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port_file = tmp / f"port-{len(extra)}"
    exe = Path(sys.executable).with_name("proxy")
    command = [str(exe) if exe.exists() else "proxy"]
    process = subprocess.Popen(
        [
            *command,
            "--hostname",
            "127.0.0.1",
            "--port",
            "0",
            "--port-file",
            str(port_file),
            "--num-workers",
            "1",
            "--log-level",
            "ERROR",
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            port = int(port_file.read_text().strip())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                return process, port
            except OSError:
                pass
        if process.poll() is not None:
            break
        time.sleep(0.05)
    process.kill()
    raise RuntimeError("proxy.py did not start")


@pytest.fixture(scope="module")
def proxies(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, int]]:
    tmp = tmp_path_factory.mktemp("proxy")
    started = [
        _start_proxy(tmp),
        _start_proxy(tmp, "--basic-auth", f"{USER}:{PASSWORD}"),
    ]
    try:
        yield {"open": started[0][1], "auth": started[1][1]}
    finally:
        for process, _ in started:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def ca_path(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


async def _chat(client: AsyncGroq) -> Any:
    return await client.chat.completions.create(model=MODEL, messages=MSGS)


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
async def test_https_through_a_connect_tunnel(
    proxies: dict[str, int], server_ssl_context: ssl.SSLContext, ca_path: str, http2: bool
) -> None:
    async with GroqTestServer(ssl_context=server_ssl_context) as srv:
        url = srv.base_url.replace("127.0.0.1", "localhost")
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=url,
            verify=ca_path,
            http2=http2,
            proxy=f"http://127.0.0.1:{proxies['open']}",
            max_retries=0,
            timeout=20,
        ) as client:
            for _ in range(3):
                c = await _chat(client)
                assert c.choices[0].message.content
                assert c.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            stream = await client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
            async with stream:
                assert [chunk async for chunk in stream]
            assert client.pool_stats().connections == 1  # the tunnel is kept alive and reused


@pytest.mark.anyio
async def test_https_through_a_proxy_that_requires_authentication(
    proxies: dict[str, int],
    server_ssl_context: ssl.SSLContext,
    ca_path: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with GroqTestServer(ssl_context=server_ssl_context) as srv:
        url = srv.base_url.replace("127.0.0.1", "localhost")
        port = proxies["auth"]
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=url,
            verify=ca_path,
            proxy=f"http://127.0.0.1:{port}",
            max_retries=0,
            timeout=20,
        ) as client:
            with pytest.raises(g.APIConnectionError, match="407") as refused:
                await _chat(client)
            assert "user and password" in str(refused.value)
        proxy_url = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}"
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=url,
            verify=ca_path,
            proxy=proxy_url,
            max_retries=0,
            timeout=20,
        ) as client:
            assert (await _chat(client)).choices[0].message.content
            assert PASSWORD not in repr(client) and PASSWORD not in repr(client._transport._pools)
    assert PASSWORD not in caplog.text
    assert PASSWORD not in str(refused.value) and PASSWORD not in repr(refused.value)


@pytest.mark.anyio
async def test_http_origin_forwarded_through_the_proxy(proxies: dict[str, int]) -> None:
    async with GroqTestServer() as srv:
        port = proxies["auth"]
        # without credentials the proxy refuses: the request did go to it, not to the server
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=srv.base_url,
            proxy=f"http://127.0.0.1:{port}",
            max_retries=0,
            timeout=20,
        ) as client:
            with pytest.raises(g.APIStatusError) as refused:
                await _chat(client)
            assert refused.value.status_code == 407
        before = srv.request_count
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=srv.base_url,
            proxy=f"http://{USER}:{PASSWORD}@127.0.0.1:{port}",
            max_retries=0,
            timeout=20,
        ) as client:
            for _ in range(2):
                assert (await _chat(client)).choices[0].message.content
        assert srv.request_count == before + 2
        # (whether Proxy-Authorization reaches the origin is the proxy's doing: proxy.py passes
        # it on; over https it cannot, the tunnel carries only TLS)


@pytest.mark.anyio
async def test_unreachable_proxy_is_a_connection_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # (closed again: nothing listens there)
    async with AsyncGroq(
        api_key=TEST_KEY,
        base_url="https://api.groq.com",
        proxy=f"http://127.0.0.1:{port}",
        max_retries=0,
        timeout=5,
    ) as client:
        with pytest.raises(g.APIConnectionError):
            await _chat(client)


# -- SOCKS5, through pproxy -----------------------------------------------------------------------

#: pproxy picks uvloop when it imports, and then finds no event loop: run it on asyncio's
_PPROXY = (
    "import sys, asyncio; sys.modules['uvloop'] = None;"
    " asyncio.set_event_loop(asyncio.new_event_loop());"
    " from pproxy.server import main; sys.argv = ['pproxy', *sys.argv[1:]]; main()"
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def socks() -> Iterator[dict[str, int]]:
    ports = {"open": _free_port(), "auth": _free_port()}
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _PPROXY, "-l", f"socks5://127.0.0.1:{ports['open']}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _PPROXY,
                "-l",
                f"socks5://127.0.0.1:{ports['auth']}#{USER}:{PASSWORD}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    try:
        for port in ports.values():
            deadline = time.monotonic() + 30
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError("pproxy did not start") from None
                    time.sleep(0.05)
        yield ports
    finally:
        for process in processes:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.anyio
@pytest.mark.parametrize("http2", [False, True], ids=["http1", "http2"])
@pytest.mark.parametrize("which", ["open", "auth"])
async def test_https_through_socks5(
    socks: dict[str, int],
    server_ssl_context: ssl.SSLContext,
    ca_path: str,
    http2: bool,
    which: str,
) -> None:
    creds = f"{USER}:{PASSWORD}@" if which == "auth" else ""
    scheme = "socks5h" if which == "auth" else "socks5"
    async with GroqTestServer(ssl_context=server_ssl_context) as srv:
        url = srv.base_url.replace("127.0.0.1", "localhost")
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=url,
            verify=ca_path,
            http2=http2,
            proxy=f"{scheme}://{creds}127.0.0.1:{socks[which]}",
            max_retries=0,
            timeout=20,
        ) as client:
            for _ in range(2):
                c = await _chat(client)
                assert c.http_version == ("HTTP/2" if http2 else "HTTP/1.1")
            assert client.pool_stats().connections == 1


@pytest.mark.anyio
async def test_http_origin_through_socks5(socks: dict[str, int]) -> None:
    async with GroqTestServer() as srv:
        async with AsyncGroq(
            api_key=TEST_KEY,
            base_url=srv.base_url,
            proxy=f"socks5://127.0.0.1:{socks['open']}",
            max_retries=0,
            timeout=20,
        ) as client:
            assert (await _chat(client)).choices[0].message.content
        # a SOCKS tunnel carries the request as it is: origin-form, no proxy headers
        assert srv.requests[-1].path.startswith("/openai/v1/")


def test_unsupported_proxy_urls_are_refused_at_construction() -> None:
    for url in ("socks4://127.0.0.1:1080", "https://proxy:443", "ftp://x", "not a url"):
        with pytest.raises(g.InvalidParameterError, match="proxy"):
            AsyncGroq(api_key=TEST_KEY, proxy=url)


def test_proxy_repr_hides_the_password() -> None:
    proxy = Proxy(f"http://{USER}:{PASSWORD}@proxy.example:3128")
    assert PASSWORD not in repr(proxy) and "redacted" in repr(proxy)
    assert proxy.host == "proxy.example" and proxy.port == 3128
    assert PASSWORD not in repr(proxy.auth)


ENV = {
    "HTTPS_PROXY": "http://secure:1",
    "http_proxy": "http://plain:2",
    "ALL_PROXY": "http://all:3",
}


@pytest.mark.parametrize(
    ("scheme", "host", "env", "expected"),
    [
        ("https", "api.groq.com", ENV, "http://secure:1"),
        ("http", "api.groq.com", ENV, "http://plain:2"),
        ("https", "api.groq.com", {"ALL_PROXY": "http://all:3"}, "http://all:3"),
        ("https", "api.groq.com", {}, None),
        ("https", "api.groq.com", {**ENV, "NO_PROXY": "*"}, None),
        ("https", "api.groq.com", {**ENV, "NO_PROXY": "groq.com"}, None),
        ("https", "api.groq.com", {**ENV, "no_proxy": ".groq.com"}, None),
        ("https", "api.groq.com", {**ENV, "NO_PROXY": "example.com, other"}, "http://secure:1"),
        ("https", "api.groq.com", {**ENV, "NO_PROXY": "api.groq.com:443"}, None),
        ("https", "api.groq.com", {**ENV, "NO_PROXY": "api.groq.com:8443"}, "http://secure:1"),
        ("https", "10.1.2.3", {**ENV, "NO_PROXY": "10.0.0.0/8"}, None),
        ("https", "localhost", ENV, None),  # loopback never takes one from the environment
        ("https", "127.0.0.1", ENV, None),
        ("https", "::1", ENV, None),
    ],
)
def test_proxy_from_the_environment(
    scheme: str, host: str, env: dict[str, str], expected: str | None
) -> None:
    port = 443 if scheme == "https" else 80
    proxy = select_proxy(scheme, host, port, proxy=None, trust_env=True, environ=env)
    assert (proxy.url if proxy else None) == (None if expected is None else Proxy(expected).url)
    assert select_proxy(scheme, host, port, proxy=None, trust_env=False, environ=env) is None


def test_explicit_proxy_wins_over_the_environment() -> None:
    proxy = select_proxy(
        "https", "localhost", 443, proxy="http://explicit:9", trust_env=True, environ=ENV
    )
    assert proxy is not None and proxy.url == "http://explicit:9"


def test_trust_env_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "socks4://nope:1")
    with pytest.raises(g.InvalidParameterError, match="environment"):
        AsyncGroq(api_key=TEST_KEY, base_url="https://api.groq.com")
    AsyncGroq(api_key=TEST_KEY, base_url="https://api.groq.com", trust_env=False)
    assert os.environ["HTTPS_PROXY"] == "socks4://nope:1"
