"""The TLS context of a client: where trust comes from, and the rules every context must meet.

Rules:

- Certificates and host names are always verified. ``verify=False`` is refused with a
  :class:`~groq_anyio.InvalidParameterError` that says what to do instead (pass the CA bundle
  of a private CA as ``verify="/path/to/ca.pem"``); ``verify=True`` and ``verify=None`` both
  mean the default trust. (The official ``groq`` SDK has no ``verify`` argument at all; switching
  verification off there goes through a custom httpx client. We do not offer that switch.)
- Default trust: ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` when set, else the system store through
  truststore, else certifi.
- A path is a CA bundle file or a directory of hashed certificates (``c_rehash``). A path that
  does not exist, or a file with no usable certificate, is a typed error naming the path.
- A context built here gets TLS 1.2 minimum and the ALPN list of the client's ``http1`` /
  ``http2`` flags. It is never changed afterwards, so clients may share it: a derived client
  (``with_options``) whose flags differ gets a fresh context built from the same trust source.
- A caller's own ``ssl.SSLContext`` is used as given and **never mutated**: one context may
  serve several clients (and other libraries) without one changing another's protocol. It must
  verify (``CERT_REQUIRED`` and ``check_hostname``) and allow nothing below TLS 1.2, else a
  typed error says which attribute to change. Its ALPN list is the caller's to set: for HTTP/2
  over it call ``ctx.set_alpn_protocols(["h2", "http/1.1"])``; without ALPN the server picks
  HTTP/1.1. (Python cannot read a context's ALPN list back, so it cannot be checked or copied.)
- **Checked at once, built on first use.** Creating a client checks ``verify`` and the trust
  source (:func:`prepare_tls`: a missing path, or a file without a PEM certificate, fails
  there), but loading a CA bundle costs ~17 ms and the ``ssl`` module ~10 ms to import, so
  the context itself is built by the first TLS connection (:class:`LazyContext`), once per
  client: its pools and the clients derived with the same flags share it. A bundle that has a
  certificate marker but cannot be loaded fails then, with the same typed error. Callers who
  want it built before the clock starts open their connections ahead (``preconnect``).
"""

from __future__ import annotations

import os
import re
import sys
import weakref
from typing import TYPE_CHECKING, Any, Final, NamedTuple

from .._errors import InvalidParameterError

if TYPE_CHECKING:
    import ssl

    VerifyTypes = ssl.SSLContext | str | os.PathLike[str] | bool | None

__all__ = ["LazyContext", "VerifyTypes", "create_ssl_context", "prepare_tls"]

#: what OpenSSL reads as a certificate in a PEM CA file (``load_verify_locations(cafile=)``)
_PEM_CERTIFICATE = re.compile(rb"-----BEGIN (?:X509 |TRUSTED )?CERTIFICATE-----")

_FIX_PRIVATE_CA: Final = (
    "for a server with a private or self-signed CA, pass that CA's bundle as "
    'verify="/path/to/ca.pem" (or an ssl.SSLContext that trusts it)'
)


class _Origin(NamedTuple):
    """Where the trust of a context built here came from, to build it again with other flags."""

    path: str | None  # a CA bundle file or directory given as ``verify``
    env_file: str | None  # SSL_CERT_FILE when the client was created
    env_dir: str | None  # SSL_CERT_DIR when the client was created
    http1: bool
    http2: bool


# contexts built here -> their origin (weak: a context lives as long as its clients)
_BUILT: weakref.WeakKeyDictionary[ssl.SSLContext, _Origin] = weakref.WeakKeyDictionary()


class LazyContext:
    """The TLS context of a client: its trust source already checked, the context built by the
    first call of :meth:`context` and kept (see the module docstring)."""

    __slots__ = ("_context", "_origin")

    def __init__(self, origin: _Origin | None, context: ssl.SSLContext | None = None) -> None:
        self._origin = origin  # None: a caller's context, used as given
        self._context = context

    @property
    def built(self) -> bool:
        """Whether the context exists yet."""
        return self._context is not None

    def context(self) -> ssl.SSLContext:
        """The context, built now if this is its first use."""
        ctx = self._context
        if ctx is None:
            assert self._origin is not None
            ctx = self._context = _build(self._origin)
        return ctx

    def with_flags(self, http1: bool, http2: bool) -> LazyContext:
        """This context for a client with these flags: itself when they match (or when it is a
        caller's, used as given), else a fresh one from the same trust source."""
        origin = self._origin
        if origin is None or (origin.http1, origin.http2) == (http1, http2):
            return self
        return LazyContext(origin._replace(http1=http1, http2=http2))


def create_ssl_context(*, http1: bool, http2: bool, verify: VerifyTypes = None) -> ssl.SSLContext:
    """Build (or check) the one TLS context of a client now; see the module docstring for the
    rules and :func:`prepare_tls` for the errors."""
    return prepare_tls(http1=http1, http2=http2, verify=verify).context()


def prepare_tls(
    *, http1: bool, http2: bool, verify: VerifyTypes | LazyContext = None
) -> LazyContext:
    """Check ``verify`` and the trust source now; the context is built on first use.

    Raises:
        InvalidParameterError: ``verify`` is ``False``, not a supported type, a path that does
            not exist or holds no certificate, or a context that does not verify or allows
            less than TLS 1.2 (``param`` is ``"verify"``, or ``"SSL_CERT_FILE"`` /
            ``"SSL_CERT_DIR"`` for a bad environment variable).
    """
    if verify is True or verify is None:
        env_file = os.environ.get("SSL_CERT_FILE") or None
        env_dir = os.environ.get("SSL_CERT_DIR") or None
        if env_file:
            _check(_File("SSL_CERT_FILE", env_file))
        if env_dir:
            _check(_File("SSL_CERT_DIR", env_dir))
        return LazyContext(_Origin(None, env_file, env_dir, http1, http2))
    if isinstance(verify, LazyContext):  # another client's (with_options)
        return verify.with_flags(http1, http2)
    if verify is False:
        raise InvalidParameterError(
            "verify",
            "certificate verification cannot be switched off: this client always verifies "
            f"the server's certificate and host name; {_FIX_PRIVATE_CA}",
        )
    ssl: Any = sys.modules.get("ssl")  # (an SSLContext exists only once ssl is imported)
    if ssl is not None and isinstance(verify, ssl.SSLContext):
        origin = _BUILT.get(verify)
        if origin is not None:  # one of ours: share it, or rebuild it for other flags
            return LazyContext(origin, verify).with_flags(http1, http2)
        _check_callers_context(verify)
        return LazyContext(None, verify)
    if isinstance(verify, str | os.PathLike):
        path = os.fsdecode(os.fspath(verify))
        _check(_File("verify", path))
        return LazyContext(_Origin(path, None, None, http1, http2))
    raise InvalidParameterError(
        "verify",
        "must be True, an ssl.SSLContext or the path of a CA bundle (file or directory), "
        f"not {type(verify).__name__}",
    )


def _check_callers_context(ctx: ssl.SSLContext) -> None:
    import ssl

    if ctx.verify_mode != ssl.CERT_REQUIRED or not ctx.check_hostname:
        raise InvalidParameterError(
            "verify",
            "the ssl.SSLContext does not verify the server "
            f"(verify_mode={ctx.verify_mode.name}, check_hostname={ctx.check_hostname}): "
            "set ctx.verify_mode = ssl.CERT_REQUIRED and ctx.check_hostname = True; "
            f"{_FIX_PRIVATE_CA}",
        )
    if ctx.minimum_version < ssl.TLSVersion.TLSv1_2:
        raise InvalidParameterError(
            "verify",
            f"the ssl.SSLContext allows {ctx.minimum_version.name}: set "
            "ctx.minimum_version = ssl.TLSVersion.TLSv1_2 (or higher); the context is used "
            "as given, never changed",
        )


class _File(NamedTuple):
    param: str  # what named it: "verify", "SSL_CERT_FILE" or "SSL_CERT_DIR"
    path: str


def _check(source: _File) -> None:
    """What can be known of a CA bundle file or directory without loading it: it exists, and
    a file can be read and holds a PEM certificate."""
    param, path = source
    if os.path.isdir(path):
        return
    if not os.path.exists(path):
        raise InvalidParameterError(param, f"CA bundle not found: {path!r} does not exist")
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise InvalidParameterError(
            param, f"cannot read the CA bundle {path!r}: {exc.strerror or exc}"
        ) from None
    if _PEM_CERTIFICATE.search(data) is None:
        raise InvalidParameterError(
            param, f"no usable CA certificate (PEM) in {path!r}: no certificate in it"
        )


def _build(origin: _Origin) -> ssl.SSLContext:
    import ssl

    if origin.path is not None:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _load(ctx, "verify", origin.path)
    elif origin.env_file or origin.env_dir:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        if origin.env_file:
            _load(ctx, "SSL_CERT_FILE", origin.env_file)
        if origin.env_dir:
            _load(ctx, "SSL_CERT_DIR", origin.env_dir)
    else:
        try:
            import truststore

            ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        except Exception:  # pragma: no cover - platform without a usable system store
            import certifi

            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.load_verify_locations(cafile=certifi.where())
    # PROTOCOL_TLS_CLIENT already means CERT_REQUIRED + check_hostname; say it anyway
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.check_hostname = True
    if ctx.minimum_version < ssl.TLSVersion.TLSv1_2:
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    alpn = []
    if origin.http2:
        alpn.append("h2")
    if origin.http1:
        alpn.append("http/1.1")
    ctx.set_alpn_protocols(alpn)
    _BUILT[ctx] = origin
    return ctx


def _load(ctx: ssl.SSLContext, param: str, path: str) -> None:
    """Load a CA bundle file or a hashed-certificate directory, or say what is wrong with it."""
    import ssl

    if os.path.isdir(path):
        ctx.load_verify_locations(capath=path)
        return
    if not os.path.exists(path):
        raise InvalidParameterError(param, f"CA bundle not found: {path!r} does not exist")
    try:
        ctx.load_verify_locations(cafile=path)
    except ssl.SSLError as exc:
        raise InvalidParameterError(
            param, f"no usable CA certificate (PEM) in {path!r}: {exc.reason or exc}"
        ) from None
    except OSError as exc:
        raise InvalidParameterError(
            param, f"cannot read the CA bundle {path!r}: {exc.strerror or exc}"
        ) from None
