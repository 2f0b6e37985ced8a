"""Construction-time rules: base URL forms, loopback-only http, the API key wrapper, timeouts."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from groq_anyio import AsyncGroq, InvalidParameterError, SecretStr, Timeout
from groq_anyio._config import parse_base_url

KEY = "gsk_configtest_SECRETVALUE123"


@pytest.mark.parametrize(
    ("given_url", "expected"),
    [
        ("https://api.groq.com", "https://api.groq.com/openai/v1"),
        ("https://api.groq.com/", "https://api.groq.com/openai/v1"),
        ("https://api.groq.com/openai/v1", "https://api.groq.com/openai/v1"),
        ("https://api.groq.com/openai/v1/", "https://api.groq.com/openai/v1"),
        ("https://proxy.example:8443/groq/openai/v1", "https://proxy.example:8443/groq/openai/v1"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000/openai/v1"),
        ("http://localhost:8000/openai/v1", "http://localhost:8000/openai/v1"),
        ("http://[::1]:9000", "http://[::1]:9000/openai/v1"),
        ("http://127.5.6.7", "http://127.5.6.7/openai/v1"),
    ],
)
def test_base_url_forms(given_url: str, expected: str) -> None:
    client = AsyncGroq(api_key=KEY, base_url=given_url)
    assert client.base_url == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://api.groq.com",
        "http://10.0.0.1:8000",
        "http://192.168.1.2",
        "http://example.com/openai/v1",
    ],
)
def test_plain_http_refused_off_loopback(url: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncGroq(api_key=KEY, base_url=url)
    assert info.value.param == "base_url"
    assert "loopback" in str(info.value)
    # explicit opt-in
    assert AsyncGroq(api_key=KEY, base_url=url, allow_insecure_http=True).base_url.startswith(
        "http://"
    )


@pytest.mark.parametrize(
    "url",
    [
        "ftp://api.groq.com",
        "api.groq.com",
        "",
        "https://",
        "https://user:pw@api.groq.com",
        "https://h/x?y=1",
        "https://h:99999",
    ],
)
def test_bad_base_urls(url: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncGroq(api_key=KEY, base_url=url)
    assert info.value.param == "base_url"


def test_env_vars(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GROQ_API_KEY", KEY)
    monkeypatch.setenv("GROQ_BASE_URL", "http://127.0.0.1:1234")
    client = AsyncGroq()
    assert client.api_key.get_secret_value() == KEY
    assert client.base_url == "http://127.0.0.1:1234/openai/v1"
    monkeypatch.delenv("GROQ_BASE_URL")
    assert AsyncGroq().base_url == "https://api.groq.com/openai/v1"


def test_missing_key_is_clear(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROQ_API_KEY", raising=False)
    with pytest.raises(InvalidParameterError) as info:
        AsyncGroq()
    assert info.value.param == "api_key"
    assert "GROQ_API_KEY" in str(info.value)


@pytest.mark.parametrize("bad", ["", "   ", "gsk\nabc", "gsk\rabc", "gsk abc ", "clé"])
def test_bad_keys_rejected_without_echo(bad: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncGroq(api_key=bad)
    if bad.strip():
        assert bad.strip() not in str(info.value)


def test_key_never_shown() -> None:
    client = AsyncGroq(api_key=KEY, default_headers={"x-team": "a"})
    for text in (
        repr(client),
        str(client),
        repr(client.api_key),
        str(client.api_key),
        repr(client._config),
    ):
        assert KEY not in text
    with pytest.raises(TypeError):
        pickle.dumps(client.api_key)
    auth = next(v for k, v in client._transport._base_headers if k.lower() == b"authorization")
    assert KEY.encode() in auth  # the real bytes go on the wire...
    assert KEY not in repr(auth) and KEY not in repr(
        client._transport._base_headers
    )  # ...but never in a repr


def test_secret_str() -> None:
    s = SecretStr("abc")
    assert s == SecretStr("abc") and s != SecretStr("abd") and len(s) == 3
    assert "abc" not in f"{s} {s!r}"


@pytest.mark.parametrize("name", ["x-bad\r\nheader", "x-ok"])
@pytest.mark.parametrize("value", ["a\r\nInjected: 1", "a\nb", "a\0b"])
def test_default_headers_crlf_rejected(name: str, value: str) -> None:
    with pytest.raises(InvalidParameterError):
        AsyncGroq(api_key=KEY, default_headers={name: value})


def test_authorization_in_default_headers_rejected() -> None:
    with pytest.raises(InvalidParameterError):
        AsyncGroq(api_key=KEY, default_headers={"Authorization": "Bearer other"})


def test_timeouts() -> None:
    assert AsyncGroq(api_key=KEY, timeout=5).timeout == Timeout(total=5.0, connect=5.0)
    assert AsyncGroq(api_key=KEY, timeout=None).timeout.total is None
    t = Timeout(total=30, connect=2, read=10)
    assert AsyncGroq(api_key=KEY, timeout=t).timeout is t
    ext = t.httpcore_extension()
    assert ext == {"connect": 2, "read": 10, "write": 30, "pool": 30}
    for bad in (0, -1, True, "5", float("nan")):
        with pytest.raises(InvalidParameterError):
            AsyncGroq(api_key=KEY, timeout=bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidParameterError):
        Timeout(total=-2)


@pytest.mark.parametrize(
    ("kw", "param"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": True}, "max_retries"),
        ({"max_connections": 0}, "max_connections"),
        ({"http1": False, "http2": False}, "http2"),
        ({"keepalive_expiry": -1}, "keepalive_expiry"),
    ],
)
def test_bad_settings(kw: dict[str, object], param: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        AsyncGroq(api_key=KEY, **kw)  # type: ignore[arg-type]
    assert info.value.param == param


@given(st.text(max_size=60))
def test_parse_base_url_never_crashes(url: str) -> None:
    try:
        base, scheme, host, port, prefix = parse_base_url(url, allow_insecure_http=False)
    except InvalidParameterError as exc:
        assert exc.param == "base_url"
    else:
        assert scheme in ("http", "https") and host and 0 < port < 65536 and prefix.startswith("/")
        assert base.startswith(scheme + "://")


def test_with_options_shares_pool() -> None:
    client = AsyncGroq(api_key=KEY, timeout=10)
    other = client.with_options(timeout=3, max_retries=5)
    assert other.timeout.total == 3 and other.max_retries == 5
    assert client.timeout.total == 10
    assert other._transport is client._transport
