"""TLS options: what ``verify`` accepts, the typed errors for what it refuses, and that a
caller's ``ssl.SSLContext`` is never changed (one context may serve several clients).

Every connection test runs over real sockets against the local server with trustme certificates,
on asyncio and trio.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import trustme

import groq_anyio as g
from groq_anyio import AsyncGroq
from groq_anyio._transport import create_ssl_context
from groq_anyio.testing import GroqTestServer

from .conftest import TEST_KEY

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "hi"}]


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
async def tls_server(
    anyio_backend: Any, server_ssl_context: ssl.SSLContext
) -> AsyncIterator[GroqTestServer]:
    async with GroqTestServer(ssl_context=server_ssl_context, http2=True) as srv:
        yield srv


def _url(srv: GroqTestServer) -> str:
    return srv.base_url.replace("127.0.0.1", "localhost")


async def _http_version(client: AsyncGroq) -> str:
    completion = await client.chat.completions.create(model=MODEL, messages=MSGS)
    assert completion.choices[0].message.content
    return completion.http_version


# -- what verify accepts -------------------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("verify", [True, None])
async def test_verify_true_is_the_default_trust(
    tls_server: GroqTestServer, ca_file: Path, monkeypatch: pytest.MonkeyPatch, verify: Any
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # the default trust, pointed at our CA
    async with AsyncGroq(api_key=TEST_KEY, base_url=_url(tls_server), verify=verify) as client:
        assert await _http_version(client) == "HTTP/1.1"  # (the default: docs/performance.md)
    async with AsyncGroq(
        api_key=TEST_KEY, base_url=_url(tls_server), verify=verify, http2=True
    ) as client:
        assert await _http_version(client) == "HTTP/2"


@pytest.mark.anyio
@pytest.mark.parametrize(("http2", "expected"), [(True, "HTTP/2"), (False, "HTTP/1.1")])
async def test_verify_ca_bundle_path(
    tls_server: GroqTestServer, ca_file: Path, http2: bool, expected: str
) -> None:
    for verify in (str(ca_file), ca_file):
        async with AsyncGroq(
            api_key=TEST_KEY, base_url=_url(tls_server), verify=verify, http2=http2
        ) as client:
            assert await _http_version(client) == expected


@pytest.mark.anyio
async def test_default_trust_does_not_trust_a_private_ca(
    tls_server: GroqTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with AsyncGroq(api_key=TEST_KEY, base_url=_url(tls_server), max_retries=0) as client:
        with pytest.raises(g.APIConnectionError):
            await client.chat.completions.create(model=MODEL, messages=MSGS)


# -- what verify refuses, with a typed error that says what to do ---------------------------------


def test_verify_false_is_refused_with_the_way_out() -> None:
    with pytest.raises(g.InvalidParameterError) as info:
        AsyncGroq(api_key=TEST_KEY, verify=False)  # type: ignore[arg-type]
    err = info.value
    assert err.param == "verify"
    assert "cannot be switched off" in err.message
    assert 'verify="/path/to/ca.pem"' in err.message


@pytest.mark.parametrize("bad", [5, b"\x00", ["ca.pem"], 1.5])
def test_verify_of_another_type_is_refused(bad: Any) -> None:
    with pytest.raises(g.InvalidParameterError) as info:
        AsyncGroq(api_key=TEST_KEY, verify=bad)
    assert info.value.param == "verify"
    assert type(bad).__name__ in info.value.message


def test_missing_ca_file_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "ca.pem"
    with pytest.raises(g.InvalidParameterError) as info:
        AsyncGroq(api_key=TEST_KEY, verify=missing)
    assert info.value.param == "verify"
    assert str(missing) in info.value.message and "not found" in info.value.message


@pytest.mark.parametrize("variable", ["SSL_CERT_FILE", "SSL_CERT_DIR"])
def test_missing_ca_from_the_environment_names_variable_and_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    missing = tmp_path / "gone"
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.setenv(variable, str(missing))
    with pytest.raises(g.InvalidParameterError) as info:
        AsyncGroq(api_key=TEST_KEY)
    assert info.value.param == variable
    assert str(missing) in info.value.message


@pytest.mark.parametrize("content", [b"", b"not a certificate\n", b"\x00\xff" * 100])
def test_ca_file_without_a_certificate_is_refused(tmp_path: Path, content: bytes) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_bytes(content)
    with pytest.raises(g.InvalidParameterError) as info:
        AsyncGroq(api_key=TEST_KEY, verify=bad)
    assert info.value.param == "verify"
    assert str(bad) in info.value.message and "no usable CA certificate" in info.value.message


def test_non_verifying_context_says_what_to_change() -> None:
    no_hostname = ssl.create_default_context()
    no_hostname.check_hostname = False
    no_verify = ssl.create_default_context()
    no_verify.check_hostname = False
    no_verify.verify_mode = ssl.CERT_NONE
    for ctx in (no_hostname, no_verify):
        with pytest.raises(g.InvalidParameterError) as info:
            AsyncGroq(api_key=TEST_KEY, verify=ctx)
        assert info.value.param == "verify"
        assert "ctx.verify_mode = ssl.CERT_REQUIRED" in info.value.message
        assert "ctx.check_hostname = True" in info.value.message
        assert isinstance(info.value, ValueError)  # as before, for existing except clauses


def test_context_allowing_old_tls_is_refused_not_changed() -> None:
    ctx = ssl.create_default_context()
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    with pytest.raises(g.InvalidParameterError, match="TLSv1_2") as info:
        AsyncGroq(api_key=TEST_KEY, verify=ctx)
    assert info.value.param == "verify"
    assert ctx.minimum_version == ssl.TLSVersion.MINIMUM_SUPPORTED


# -- a caller's context is never mutated ---------------------------------------------------------


def _callers_context(ca: trustme.CA, alpn: list[str] | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ca.configure_trust(ctx)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_3
    if alpn is not None:
        ctx.set_alpn_protocols(alpn)
    return ctx


@pytest.mark.anyio
async def test_one_context_two_clients_neither_changes_the_other(
    tls_server: GroqTestServer, ca: trustme.CA
) -> None:
    ctx = _callers_context(ca, ["h2", "http/1.1"])
    url = _url(tls_server)
    async with AsyncGroq(api_key=TEST_KEY, base_url=url, verify=ctx, http2=True) as a:
        # building a second client with other flags used to reset the context's ALPN, so the
        # first client's next connection came up as HTTP/1.1
        async with AsyncGroq(api_key=TEST_KEY, base_url=url, verify=ctx, http2=False) as b:
            assert b._transport.ssl_context is ctx
            assert await _http_version(a) == "HTTP/2"
            assert (await b.chat.completions.create(model=MODEL, messages=MSGS)).choices
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_3
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


@pytest.mark.anyio
async def test_callers_alpn_decides_the_protocol(
    tls_server: GroqTestServer, ca: trustme.CA
) -> None:
    url = _url(tls_server)
    # no ALPN on the caller's context: we do not add one, the server falls back to HTTP/1.1
    ctx = _callers_context(ca, None)
    async with AsyncGroq(api_key=TEST_KEY, base_url=url, verify=ctx, http2=True) as client:
        assert await _http_version(client) == "HTTP/1.1"
    ctx = _callers_context(ca, ["http/1.1"])
    async with AsyncGroq(api_key=TEST_KEY, base_url=url, verify=ctx, http2=True) as client:
        assert await _http_version(client) == "HTTP/1.1"


@pytest.mark.anyio
async def test_a_built_context_is_rebuilt_for_other_flags_not_changed(
    tls_server: GroqTestServer, ca_file: Path
) -> None:
    both = create_ssl_context(http1=True, http2=True, verify=ca_file)
    assert create_ssl_context(http1=True, http2=True, verify=both) is both  # shared as is
    h1_only = create_ssl_context(http1=True, http2=False, verify=both)
    assert h1_only is not both
    url = _url(tls_server)
    async with AsyncGroq(api_key=TEST_KEY, base_url=url, verify=h1_only, http2=False) as c1:
        assert await _http_version(c1) == "HTTP/1.1"
    async with AsyncGroq(api_key=TEST_KEY, base_url=url, verify=both, http2=True) as c2:
        assert await _http_version(c2) == "HTTP/2"  # the first context still offers h2


def test_built_context_rules(ca_file: Path) -> None:
    for verify in (None, True, ca_file):
        ctx = create_ssl_context(http1=True, http2=True, verify=verify)
        assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname
        assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2


# -- checked when the client is created, built by its first TLS connection -----------------------


@pytest.mark.anyio
async def test_the_context_is_built_by_the_first_connection_then_shared(
    tls_server: GroqTestServer, ca_file: Path
) -> None:
    client = AsyncGroq(api_key=TEST_KEY, base_url=_url(tls_server), verify=ca_file)
    try:
        tls = client._transport.tls
        assert tls is not None
        assert not tls.built  # (creating the client loaded no CA bundle)
        same = client.with_options(api_key=TEST_KEY + "2")  # (its own transport)
        assert same._transport is not client._transport
        assert same._transport.tls is tls  # same flags: one context for both
        assert tls.with_flags(http1=True, http2=True) is not tls  # (other flags: its own)
        assert await _http_version(client) == "HTTP/1.1"
        assert tls.built
        ctx = tls.context()
        assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2 and ctx.check_hostname
        assert await _http_version(same) == "HTTP/1.1"
        assert same._transport.ssl_context is ctx
    finally:
        await client.aclose()


@pytest.mark.anyio
async def test_entering_the_client_builds_the_context(
    tls_server: GroqTestServer, ca_file: Path
) -> None:
    """``async with`` builds it before the first request (which then pays only its handshake)."""
    client = AsyncGroq(api_key=TEST_KEY, base_url=_url(tls_server), verify=ca_file)
    assert client._transport.tls is not None and not client._transport.tls.built
    async with client:
        assert client._transport.tls.built
        assert await _http_version(client) == "HTTP/1.1"
    async with AsyncGroq(api_key=TEST_KEY, base_url="http://127.0.0.1:1") as plain:
        assert plain._transport.tls is None  # (nothing to build for http://)


@pytest.mark.anyio
async def test_a_bundle_that_does_not_load_fails_with_the_typed_error_before_any_request(
    tls_server: GroqTestServer, tmp_path: Path
) -> None:
    """A file with a certificate marker passes the check at creation; loading it fails when
    the client is entered, or else on its first request, with the same typed error (never a
    raw ssl error, never a retry)."""
    bad = tmp_path / "corrupt.pem"
    bad.write_bytes(b"-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n")

    def check(info: pytest.ExceptionInfo[g.InvalidParameterError]) -> None:
        assert info.value.param == "verify"
        assert str(bad) in info.value.message
        assert "no usable CA certificate" in info.value.message

    client = AsyncGroq(api_key=TEST_KEY, base_url=_url(tls_server), verify=bad)
    try:
        for _ in range(2):  # (not kept as built: the second request says the same)
            with pytest.raises(g.InvalidParameterError) as info:
                await client.chat.completions.create(model=MODEL, messages=MSGS)
            check(info)
    finally:
        await client.aclose()
    with pytest.raises(g.InvalidParameterError) as info:
        async with AsyncGroq(api_key=TEST_KEY, base_url=_url(tls_server), verify=bad):
            pass
    check(info)
