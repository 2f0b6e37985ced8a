"""Fan-out: many calls in one task group, at most N in flight, results in input order.

Structured concurrency: every call runs in a task of a task group that lives only inside the
helper, so cancelling the caller cancels every call still running, and nothing outlives the
helper's return. ``max_in_flight`` worker tasks take the calls in input order (no task per call,
so 10,000 calls cost 10 tasks, not 10,000).

Results come back in input order, each the call's value or the ``Exception`` it raised. With
``fail_fast=True`` the first exception cancels the calls still running and is raised (calls not
yet started are not started). Cancellation and other ``BaseException``\\ s always propagate.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

import anyio

from ._errors import InvalidParameterError

if TYPE_CHECKING:
    from ._client import AsyncGroq
    from .types.chat import ChatCompletion

__all__ = ["chat_many", "gather_limited"]

T = TypeVar("T")


def _check_limit(max_in_flight: object) -> int:
    if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int) or max_in_flight < 1:
        raise InvalidParameterError(
            "max_in_flight", f"must be an integer >= 1, not {max_in_flight!r}"
        )
    return max_in_flight


async def gather_limited(
    calls: Iterable[Callable[[], Awaitable[T]]],
    *,
    max_in_flight: int = 10,
    fail_fast: bool = False,
) -> list[T | Exception]:
    """Await every ``call()`` with at most ``max_in_flight`` running at once.

    Returns, in input order, each call's value or the ``Exception`` it raised. With
    ``fail_fast`` the first exception cancels the others and is raised instead.
    """
    limit = _check_limit(max_in_flight)
    pending = list(calls)
    results: list[Any] = [None] * len(pending)
    queue = iter(enumerate(pending))
    first_error: list[Exception] = []

    async def worker(tg: anyio.abc.TaskGroup) -> None:
        for index, call in queue:
            try:
                results[index] = await call()
            except Exception as exc:
                results[index] = exc
                if fail_fast:
                    if not first_error:
                        first_error.append(exc)
                    tg.cancel_scope.cancel()
                    return

    if pending:
        async with anyio.create_task_group() as tg:
            for _ in range(min(limit, len(pending))):
                tg.start_soon(worker, tg)
    if first_error:
        raise first_error[0]
    return results


async def chat_many(
    client: AsyncGroq,
    requests: Iterable[Mapping[str, Any]],
    *,
    max_in_flight: int = 10,
    fail_fast: bool = False,
) -> list[ChatCompletion | Exception]:
    """Run many ``client.chat.completions.create(**request)`` calls concurrently.

    Each request is a mapping of ``create()`` keyword arguments (``model``, ``messages``, ...,
    ``timeout``, ``max_retries``). At most ``max_in_flight`` are in flight at once (the client's
    own ``max_concurrent_requests``, rate-limit waits, retries and circuit breaker apply to each).
    Returns, in input order, each :class:`ChatCompletion` or the exception its call raised; with
    ``fail_fast`` the first exception cancels the rest and is raised.

    Example::

        results = await chat_many(client, [{"model": m, "messages": [q]} for q in questions],
                                  max_in_flight=20)
        for r in results:
            if isinstance(r, Exception): ...
    """
    _check_limit(max_in_flight)
    batch = list(requests)
    for i, request in enumerate(batch):
        if not isinstance(request, Mapping):
            raise InvalidParameterError(
                f"requests[{i}]", "must be a mapping of create() keyword arguments"
            )
        if request.get("stream"):
            raise InvalidParameterError(
                f"requests[{i}].stream",
                "streams cannot be fanned out (a stream must be consumed by its caller)",
            )
    create = client.chat.completions.create
    calls = [
        cast("Callable[[], Awaitable[ChatCompletion]]", functools.partial(create, **request))
        for request in batch
    ]
    return await gather_limited(calls, max_in_flight=max_in_flight, fail_fast=fail_fast)
