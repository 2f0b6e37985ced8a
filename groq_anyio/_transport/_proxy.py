"""HTTP proxies: which one a request goes through, and the CONNECT tunnel.

- **Which proxy.** An explicit ``proxy=`` URL applies to every request. Otherwise, with
  ``trust_env`` (the default), ``HTTPS_PROXY`` for ``https://`` origins, ``HTTP_PROXY`` for
  ``http://`` ones, then ``ALL_PROXY`` (upper or lower case, as curl and httpx read them), unless
  ``NO_PROXY`` names the host (``*``; a host or domain, ``.example.com`` and ``example.com``
  both matching subdomains; an IP address or CIDR network; an optional ``:port``). Loopback
  origins (``localhost``, ``127.0.0.0/8``, ``::1``) never take a proxy from the environment:
  a local server is not behind the office proxy.
- **How.** ``https://`` origins go through a CONNECT tunnel: TCP to the proxy, ``CONNECT
  host:port``, then TLS with the origin inside the tunnel (so HTTP/2 by ALPN works inside it
  too). ``http://`` origins are forwarded: the request goes to the proxy with the absolute URL
  as its target (HTTP/1.1 only). Credentials in the proxy URL become a ``Proxy-Authorization:
  Basic`` header (redacted like the API key; never logged).
- **SOCKS5** (``socks5://`` or ``socks5h://``, RFC 1928, with RFC 1929 user/password from the
  URL): a TCP tunnel to the origin for both schemes (then TLS inside it for ``https://``).
  The proxy resolves host names (both spellings send the name, as ``socks5h`` does: the
  client never looks the origin up itself). No extra package is needed.
- ``https://`` proxies (TLS to the proxy itself) and SOCKS4 are refused with a clear error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import unquote, urlsplit

from .._config import RedactedBytes, is_loopback
from .._errors import InvalidParameterError
from . import _core as core

__all__ = ["Proxy", "connect_tunnel", "forward_target", "select_proxy", "socks5_tunnel"]

_MAX_CONNECT_REPLY = 64 * 1024


class Proxy:
    """A proxy's address and the header that authenticates to it (if any)."""

    __slots__ = ("auth", "credentials", "host", "kind", "port", "url")

    def __init__(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise InvalidParameterError("proxy", f"is not a valid URL: {exc}") from None
        scheme = parts.scheme.lower()
        if scheme in ("socks4", "socks4a", "https"):
            raise InvalidParameterError(
                "proxy",
                f"{scheme}:// proxies are not supported; use an http:// or socks5:// proxy URL",
            )
        if scheme not in ("http", "socks5", "socks5h") or not parts.hostname:
            raise InvalidParameterError(
                "proxy", "must be an http://host:port or socks5://host:port URL"
            )
        #: "http" (CONNECT / forwarding) or "socks5"
        self.kind = "http" if scheme == "http" else "socks5"
        self.host = parts.hostname
        self.port = port or (80 if self.kind == "http" else 1080)
        #: the proxy URL without credentials (for messages)
        self.url = f"{scheme}://{self.host}:{self.port}"
        self.auth: bytes | None = None
        #: SOCKS5 user and password (RFC 1929), redacted
        self.credentials: tuple[bytes, bytes] | None = None
        if parts.username is not None:
            user = unquote(parts.username)
            password = unquote(parts.password or "")
            if self.kind == "socks5":
                self.credentials = (
                    RedactedBytes(user.encode()),
                    RedactedBytes(password.encode()),
                )
            else:
                import base64  # (only for a proxy with credentials)

                token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
                self.auth = RedactedBytes(b"Basic " + token.encode("ascii"))

    def __repr__(self) -> str:
        secret = self.auth is not None or self.credentials is not None
        return f"Proxy({self.url!r}{', auth=<redacted>' if secret else ''})"


def _env(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name.lower()) or environ.get(name.upper()) or None


def _bypassed(host: str, port: int, no_proxy: str) -> bool:
    import ipaddress

    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        address = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        entry_port = None
        if entry.count(":") == 1 and not entry.startswith("["):
            entry, _, p = entry.partition(":")
            entry_port = int(p) if p.isdigit() else None
        if entry_port is not None and entry_port != port:
            continue
        entry = entry.strip("[]")
        if address is not None:
            try:
                if address in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def select_proxy(
    scheme: str,
    host: str,
    port: int,
    *,
    proxy: str | None,
    trust_env: bool,
    environ: Mapping[str, str] | None = None,
) -> Proxy | None:
    """The proxy for requests to ``scheme://host:port`` (see the module notes), or None."""
    if proxy is not None:
        return Proxy(proxy)
    if not trust_env or is_loopback(host):
        return None
    env = os.environ if environ is None else environ
    url = _env(env, f"{scheme}_proxy") or _env(env, "all_proxy")
    if url is None:
        return None
    no_proxy = _env(env, "no_proxy")
    if no_proxy and _bypassed(host, port, no_proxy):
        return None
    try:
        return Proxy(url)
    except InvalidParameterError as exc:
        raise InvalidParameterError(
            "proxy", f"(from the environment, {scheme.upper()}_PROXY/ALL_PROXY) {exc.message}"
        ) from None


async def connect_tunnel(
    stream: core.AsyncNetworkStream,
    proxy: Proxy,
    host: str,
    port: int,
    timeout: float | None,
) -> None:
    """Ask the proxy on ``stream`` for a tunnel to ``host:port``; raises ``ProxyError``
    when it says no."""
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    head = [f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n".encode("ascii")]
    if proxy.auth is not None:
        head.append(b"Proxy-Authorization: " + proxy.auth + b"\r\n")
    head.append(b"\r\n")
    await stream.write(b"".join(head), timeout)
    del head  # (it may carry the proxy's credentials)
    reply = b""
    while b"\r\n\r\n" not in reply:
        data = await stream.read(65536, timeout)
        if not data:
            raise core.ProxyError(f"the proxy {proxy.url} closed the connection on CONNECT")
        reply += data
        if len(reply) > _MAX_CONNECT_REPLY:
            raise core.ProxyError(f"the proxy {proxy.url} sent an oversized CONNECT reply")
    head_bytes, _, rest = reply.partition(b"\r\n\r\n")
    status_line = head_bytes.split(b"\r\n", 1)[0].decode("latin-1")
    parts = status_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise core.ProxyError(f"the proxy {proxy.url} sent no HTTP reply to CONNECT")
    status = int(parts[1])
    if not 200 <= status < 300:
        reason = parts[2] if len(parts) > 2 else ""
        hint = " (check the user and password in the proxy URL)" if status == 407 else ""
        raise core.ProxyError(
            f"the proxy {proxy.url} refused the tunnel to {authority}: {status} {reason}{hint}"
        )
    if rest:  # the origin spoke before we did: nothing we can hand to TLS sanely
        raise core.ProxyError(f"the proxy {proxy.url} sent bytes past its CONNECT reply")


def forward_target(scheme: bytes, host: bytes, port: int, target: bytes) -> bytes:
    """The absolute-form request target a forward proxy wants."""
    default = 443 if scheme == b"https" else 80
    netloc = host if port == default else host + b":%d" % port
    return scheme + b"://" + netloc + target


_SOCKS_REPLIES = {
    1: "general SOCKS server failure",
    2: "connection not allowed by ruleset",
    3: "network unreachable",
    4: "host unreachable",
    5: "connection refused",
    6: "TTL expired",
    7: "command not supported",
    8: "address type not supported",
}


class _Reader:
    """Exact-length reads over a network stream (the SOCKS replies are small and framed)."""

    def __init__(self, stream: core.AsyncNetworkStream, proxy: Proxy, timeout: float | None):
        self._stream = stream
        self._proxy = proxy
        self._timeout = timeout
        self._buffer = b""

    async def exactly(self, n: int) -> bytes:
        while len(self._buffer) < n:
            data = await self._stream.read(65536, self._timeout)
            if not data:
                raise core.ProxyError(f"the SOCKS proxy {self._proxy.url} closed the connection")
            self._buffer += data
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out

    @property
    def leftover(self) -> bytes:
        return self._buffer


async def socks5_tunnel(
    stream: core.AsyncNetworkStream,
    proxy: Proxy,
    host: str,
    port: int,
    timeout: float | None,
) -> None:
    """A SOCKS5 CONNECT to ``host:port`` on ``stream`` (RFC 1928; user/password: RFC 1929);
    raises ``ProxyError`` when the proxy says no."""
    import ipaddress

    reader = _Reader(stream, proxy, timeout)
    methods = b"\x00\x02" if proxy.credentials is not None else b"\x00"
    await stream.write(b"\x05" + bytes([len(methods)]) + methods, timeout)
    version, method = await reader.exactly(2)
    if version != 5:
        raise core.ProxyError(f"{proxy.url} does not speak SOCKS5")
    if method == 0x02 and proxy.credentials is not None:
        user, password = proxy.credentials
        if len(user) > 255 or len(password) > 255:
            raise core.ProxyError("SOCKS5 user names and passwords are at most 255 bytes")
        await stream.write(
            b"\x01" + bytes([len(user)]) + user + bytes([len(password)]) + password, timeout
        )
        _, status = await reader.exactly(2)
        if status != 0:
            raise core.ProxyError(f"the SOCKS proxy {proxy.url} refused the user name and password")
    elif method == 0xFF:
        hint = " (it wants a user and password in the proxy URL)" if not proxy.credentials else ""
        raise core.ProxyError(f"the SOCKS proxy {proxy.url} accepts none of our methods{hint}")
    elif method != 0x00:
        raise core.ProxyError(f"the SOCKS proxy {proxy.url} chose an unknown method {method}")
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        name = host.encode("idna")
        if len(name) > 255:
            raise core.ProxyError("the host name is too long for SOCKS5") from None
        target = b"\x03" + bytes([len(name)]) + name
    else:
        target = (b"\x01" if address.version == 4 else b"\x04") + address.packed
    await stream.write(b"\x05\x01\x00" + target + port.to_bytes(2, "big"), timeout)
    version, reply, _, kind = await reader.exactly(4)
    if version != 5 or reply != 0:
        reason = _SOCKS_REPLIES.get(reply, f"reply {reply}")
        raise core.ProxyError(
            f"the SOCKS proxy {proxy.url} could not connect to {host}:{port}: {reason}"
        )
    if kind == 1:
        await reader.exactly(4 + 2)
    elif kind == 4:
        await reader.exactly(16 + 2)
    elif kind == 3:
        (length,) = await reader.exactly(1)
        await reader.exactly(length + 2)
    else:
        raise core.ProxyError(f"the SOCKS proxy {proxy.url} sent a malformed reply")
    if reader.leftover:  # the origin spoke before we did: nothing we can use
        raise core.ProxyError(f"the SOCKS proxy {proxy.url} sent bytes past its reply")
