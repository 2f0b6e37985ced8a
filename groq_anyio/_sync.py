"""``Groq``: the synchronous client, the async client run on a background event loop.

There is no second copy of the resource code: a :class:`Groq` owns one
:class:`~groq_anyio.AsyncGroq` living in an event loop on a daemon thread (an anyio blocking
portal; asyncio by default, ``backend="trio"`` works too), and every object reached from it is
seen through :class:`SyncProxy`, which turns

- a coroutine method (or any method) into a blocking call run in the loop's thread,
- an async iterator (a chat stream, ``iter_bytes()``, batch results) into a plain iterator,
- an async context manager (a stream, ``with_streaming_response`` calls) into a plain one,
- ``aclose()`` into ``close()``,

and returns data values (completions, lists, strings, bytes) as they are. So
``client.chat.completions.create(...)``, ``for chunk in stream``, ``with stream:``,
``client.models.with_raw_response.list()`` and ``with client.files.with_streaming_response
.content(id) as r: for part in r.iter_bytes(): ...`` all work as in the official SDK's ``Groq``.

Threads: calls from several threads at once are fine (each is a task in the one loop, sharing
the pool). Lifecycle: ``close()``, ``with Groq() as client:``, garbage collection and
interpreter exit all close the async client (its connections) and stop the loop's thread.
"""

from __future__ import annotations

import inspect
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal

    from ._client import AsyncGroq

__all__ = ["Groq", "SyncProxy"]

#: (module prefix) objects from these modules are values, returned as they are
_VALUE_MODULES = (
    "groq_anyio.types",
    "groq_anyio._timings",
    "groq_anyio._ratelimit",
    "groq_anyio._health",
    "groq_anyio._config",
    "groq_anyio._transport",
)
_END: Any = object()
_PASSTHROUGH_TYPES = (
    str,
    bytes,
    bytearray,
    int,
    float,
    bool,
    type(None),
    list,
    dict,
    tuple,
    BaseException,
)


async def _invoke(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


#: most items one crossing to the loop's thread brings back
_BATCH = 256


class _Raised:
    """An exception met after some items of a batch: raised once they are handed out."""

    __slots__ = ("exc",)

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


def _buffered(iterator: Any) -> bool:
    """Whether a stream has its next item decoded already (the rest of one network read), so
    ``__anext__`` will not wait for the network. False for anything else."""
    batch = getattr(iterator, "_chunks", None)
    if batch is None:
        batch = getattr(iterator, "_events", None)
    index = getattr(iterator, "_index", None)
    return isinstance(batch, list) and isinstance(index, int) and index < len(batch)


async def _anext_batch(iterator: Any) -> list[Any]:
    """The next item and those already decoded behind it (one crossing of the portal for a
    whole network read of a stream); ends with ``_END`` at the end, or ``_Raised``."""
    try:
        items = [await iterator.__anext__()]
    except StopAsyncIteration:
        return [_END]
    while len(items) < _BATCH and _buffered(iterator):
        try:
            items.append(await iterator.__anext__())
        except StopAsyncIteration:
            items.append(_END)
            break
        except Exception as exc:
            items.append(_Raised(exc))
            break
    return items


def _needs_proxy(value: object) -> bool:
    if isinstance(value, _PASSTHROUGH_TYPES):
        return False
    module = type(value).__module__
    if module.startswith(_VALUE_MODULES):
        return False
    if module.startswith("groq_anyio"):
        return True
    # anything else that is asynchronous (an async generator from iter_bytes, ...)
    return (
        hasattr(value, "__anext__")
        or hasattr(value, "__aenter__")
        or hasattr(value, "__aiter__")
        or inspect.isawaitable(value)
    )


class _Loop:
    """The background event loop of one :class:`Groq` (and of its ``with_options`` copies)."""

    def __init__(self, backend: str, backend_options: dict[str, Any] | None) -> None:
        from anyio.from_thread import start_blocking_portal

        self._cm = start_blocking_portal(backend, backend_options, name="groq-anyio-sync")
        self.portal: BlockingPortal = self._cm.__enter__()
        self.thread_id: int = self.portal.call(threading.get_ident)
        self._lock = threading.Lock()
        self.stopped = False

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self.stopped:
            from ._errors import ClientClosedError

            raise ClientClosedError("the client is closed; create a new Groq")
        if threading.get_ident() == self.thread_id:
            raise RuntimeError("a Groq client cannot be used from inside its own event loop")
        return self.portal.call(_invoke, fn, args, kwargs)

    def stop(self) -> None:
        with self._lock:
            if self.stopped:
                return
            self.stopped = True
        if threading.get_ident() == self.thread_id:
            # (a finaliser running in the loop's own thread): finish from another thread
            threading.Thread(target=self._cm.__exit__, args=(None, None, None)).start()
        else:
            self._cm.__exit__(None, None, None)


def _shutdown(loop: _Loop, client: AsyncGroq) -> None:
    """Close ``client`` in its loop, then stop the loop (finaliser: close, GC or exit)."""
    if loop.stopped:
        return
    if threading.get_ident() != loop.thread_id:
        try:
            loop.call(client.aclose)
        except Exception:  # pragma: no cover - the loop is already going away
            pass
        loop.stop()
        return
    # in the loop thread itself (the last reference died there): close from another thread
    threading.Thread(target=_shutdown, args=(loop, client), daemon=True).start()


class SyncProxy:
    """A blocking view of an object living in a :class:`Groq`'s event loop (see the module
    docstring). Attribute access, calls, iteration and ``with`` are forwarded."""

    __slots__ = ("__weakref__", "_loop", "_owner", "_pending", "_target")

    def __init__(self, target: Any, loop: _Loop, owner: object) -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_loop", loop)
        #: the Groq client: kept alive (its loop running) while anything reached from it is
        object.__setattr__(self, "_owner", owner)
        #: items an iterator's last crossing brought back, not handed out yet
        object.__setattr__(self, "_pending", None)

    def _wrap(self, value: Any) -> Any:
        return SyncProxy(value, self._loop, self._owner) if _needs_proxy(value) else value

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        if callable(value) and not isinstance(value, type):
            return _SyncMethod(value, self)
        return self._wrap(value)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __dir__(self) -> list[str]:
        return dir(self._target)

    def __repr__(self) -> str:
        return f"<sync {self._target!r}>"

    # -- calls ----------------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._wrap(self._loop.call(self._target, *args, **kwargs))

    # -- iteration ------------------------------------------------------------------------------

    def __iter__(self) -> Iterator[Any]:
        target = self._target
        if hasattr(target, "__anext__"):
            return self
        if hasattr(target, "__aiter__"):
            return SyncProxy(self._loop.call(target.__aiter__), self._loop, self._owner)
        if hasattr(target, "__iter__"):
            return iter(target)
        raise TypeError(f"{type(target).__name__} is not iterable")

    def __next__(self) -> Any:
        target = self._target
        if not hasattr(target, "__anext__"):
            raise TypeError(f"{type(target).__name__} is not an iterator")
        pending: deque[Any] | None = self._pending
        if not pending:
            pending = deque(self._loop.call(_anext_batch, target))
            object.__setattr__(self, "_pending", pending)
        value = pending.popleft()
        if value is _END:
            pending.appendleft(_END)  # (stays exhausted)
            raise StopIteration
        if isinstance(value, _Raised):
            raise value.exc
        return self._wrap(value)

    def __len__(self) -> int:
        return len(self._target)

    # -- context management ---------------------------------------------------------------------

    def __enter__(self) -> Any:
        target = self._target
        if hasattr(target, "__aenter__"):
            value = self._loop.call(target.__aenter__)
            return self if value is target else self._wrap(value)
        if hasattr(target, "__enter__"):
            return self._wrap(target.__enter__())
        raise TypeError(f"{type(target).__name__} is not a context manager")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        target = self._target
        if hasattr(target, "__aexit__"):
            return self._loop.call(target.__aexit__, exc_type, exc, tb)  # type: ignore[no-any-return]
        return target.__exit__(exc_type, exc, tb)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Release the object (``aclose()`` in its loop)."""
        target = self._target
        closer = getattr(target, "aclose", None) or getattr(target, "close", None)
        if closer is not None:
            self._loop.call(closer)


class _SyncMethod:
    """A method of a proxied object, as a blocking call."""

    __slots__ = ("_fn", "_of")

    def __init__(self, fn: Callable[..., Any], of: SyncProxy) -> None:
        self._fn = fn
        self._of = of

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        of = self._of
        return of._wrap(of._loop.call(self._fn, *args, **kwargs))

    @property
    def __doc__(self) -> str | None:  # type: ignore[override]
        return self._fn.__doc__

    def __repr__(self) -> str:
        return f"<sync {self._fn!r}>"


class Groq:
    """The synchronous Groq client: :class:`~groq_anyio.AsyncGroq` on a background event loop.

    Takes the same arguments as ``AsyncGroq`` (``api_key``, ``base_url``, ``timeout``,
    ``max_retries``, ``default_headers``, ``default_query``, ...), plus ``backend``
    (``"asyncio"``, the default, or ``"trio"``) and ``backend_options`` for the loop's thread.
    Every resource and method of ``AsyncGroq`` is here, blocking::

        with Groq() as client:
            completion = client.chat.completions.create(model=..., messages=[...])
            with client.chat.completions.create(model=..., messages=[...], stream=True) as s:
                for chunk in s:
                    ...

    Use it from as many threads as you like. ``close()`` (or leaving ``with``) closes the
    connections and stops the loop's thread; an unclosed client is closed when it is garbage
    collected or when the interpreter exits.
    """

    def __init__(
        self,
        *,
        backend: str = "asyncio",
        backend_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        from ._client import AsyncGroq

        loop = _Loop(backend, backend_options)
        try:
            client = loop.call(lambda: AsyncGroq(**kwargs))
        except BaseException:
            loop.stop()
            raise
        self._setup(client, loop, parent=None)

    def _setup(self, client: AsyncGroq, loop: _Loop, *, parent: Groq | None) -> None:
        self._async_client = client
        self._loop = loop
        #: a copy keeps its original (whose finaliser stops the loop) alive
        self._parent = parent
        if parent is None:
            self._finalizer = weakref.finalize(self, _shutdown, loop, client)
        else:
            self._finalizer = weakref.finalize(self, _close_copy, loop, client)

    # -- the resource tree and everything else of AsyncGroq -----------------------------------

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_async_client", "_loop", "_parent", "_finalizer"):
            raise AttributeError(name)
        # (not cached: a proxy refers back to this client, which must stay collectable)
        return getattr(SyncProxy(self._async_client, self._loop, self), name)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *dir(self._async_client)})

    @property
    def async_client(self) -> AsyncGroq:
        """The :class:`~groq_anyio.AsyncGroq` behind this client (use it only in its loop)."""
        return self._async_client

    @property
    def is_closed(self) -> bool:
        """Whether :meth:`close` ran (or the ``with`` block exited): no new call can start."""
        return self._loop.stopped or self._async_client.is_closed

    def with_options(self, **kwargs: Any) -> Groq:
        """A copy with other settings (``AsyncGroq.with_options`` arguments), on the same loop
        and, when the key and URL are the same, the same connection pool."""
        copy = object.__new__(type(self))
        client = self._loop.call(self._async_client.with_options, **kwargs)
        copy._setup(client, self._loop, parent=self)
        return copy

    copy = with_options

    def close(self) -> None:
        """Close the connections and, for the original client, stop the loop's thread.

        Safe to call more than once. A ``with_options`` copy only closes what it owns."""
        finalizer = self._finalizer
        if finalizer is not None:
            finalizer()

    def __enter__(self) -> Groq:
        if self.is_closed:
            from ._errors import ClientClosedError

            raise ClientClosedError("the client is closed")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._async_client).replace("AsyncGroq(", "Groq(", 1)


def _close_copy(loop: _Loop, client: AsyncGroq) -> None:
    if loop.stopped:
        return
    if threading.get_ident() == loop.thread_id:
        threading.Thread(target=_close_copy, args=(loop, client), daemon=True).start()
        return
    try:
        loop.call(client.aclose)
    except Exception:  # pragma: no cover - the loop is going away
        pass
