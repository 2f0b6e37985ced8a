"""The pieces under httpcore's protocol classes: the network stream, its write coalescing, and
the locks that replace httpcore's (``groq_anyio._network``). The whole client runs on them in
every other test; these pin down their own rules."""

from __future__ import annotations

from typing import Any

import anyio
import anyio.abc
import pytest

from groq_anyio._transport import _core as core
from groq_anyio._transport._backends._anyio import AnyioStream as NetworkStream
from groq_anyio._transport._locks import FastLock, FastSemaphore

pytestmark = pytest.mark.anyio


class FakeByteStream(anyio.abc.ByteStream):
    """Records sends; ``receive`` returns queued data, waits, or raises what it is told."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.incoming: list[bytes | BaseException] = []
        self.send_delay = 0.0
        self.receive_delay = 0.0
        self.closed = False

    async def send(self, item: bytes) -> None:
        if self.send_delay:
            await anyio.sleep(self.send_delay)
        else:
            await anyio.lowlevel.checkpoint()
        self.sent.append(bytes(item))

    async def receive(self, max_bytes: int = 65536) -> bytes:
        if self.receive_delay:
            await anyio.sleep(self.receive_delay)
        await anyio.lowlevel.checkpoint()
        item = self.incoming.pop(0) if self.incoming else anyio.EndOfStream()
        if isinstance(item, BaseException):
            raise item
        return item

    async def send_eof(self) -> None:
        pass

    async def aclose(self) -> None:
        self.closed = True


def _stream() -> tuple[NetworkStream, FakeByteStream]:
    fake = FakeByteStream()
    return NetworkStream(fake, None), fake


async def test_writes_pass_straight_through_when_not_corked() -> None:
    stream, fake = _stream()
    await stream.write(b"a")
    await stream.write(b"")
    await stream.write(b"b")
    assert fake.sent == [b"a", b"b"]


async def test_corked_writes_leave_together_at_the_next_read() -> None:
    stream, fake = _stream()
    fake.incoming.append(b"response")
    stream.cork()
    await stream.write(b"head ")
    await stream.write(b"body")
    assert fake.sent == []
    assert await stream.read(100) == b"response"
    assert fake.sent == [b"head body"]
    await stream.write(b"later")  # reading uncorked it
    assert fake.sent == [b"head body", b"later"]


async def test_a_large_corked_request_is_sent_without_waiting_for_a_read() -> None:
    stream, fake = _stream()
    stream.cork()
    await stream.write(b"x" * 40_000)
    assert fake.sent == []
    await stream.write(b"y" * 40_000)
    assert [len(s) for s in fake.sent] == [80_000]


async def test_uncork_sends_the_queue_with_the_next_write() -> None:
    stream, fake = _stream()
    stream.cork()
    await stream.write(b"a")
    stream.uncork()
    await stream.write(b"b")
    assert fake.sent == [b"ab"]


async def test_corked_writes_do_not_wait_while_another_task_reads() -> None:
    stream, fake = _stream()
    fake.receive_delay = 0.05
    fake.incoming.append(b"r")
    async with anyio.create_task_group() as tg:
        tg.start_soon(stream.read, 10)
        await anyio.sleep(0.01)  # the reader is waiting in receive()
        stream.cork()
        await stream.write(b"frame")
        assert fake.sent == [b"frame"]


async def test_writes_during_a_send_are_queued_in_order() -> None:
    stream, fake = _stream()
    fake.send_delay = 0.02
    async with anyio.create_task_group() as tg:
        tg.start_soon(stream.write, b"1")
        await anyio.sleep(0.005)  # "1" is being sent
        await stream.write(b"2")  # queued, returns at once
        await stream.write(b"3")
        assert fake.sent == []
    assert fake.sent == [b"1", b"23"]


async def test_read_maps_end_of_stream_and_errors() -> None:
    stream, fake = _stream()
    assert await stream.read(10) == b""  # EndOfStream
    fake.incoming.append(anyio.BrokenResourceError())
    with pytest.raises(core.ReadError):
        await stream.read(10)
    fake.incoming.append(OSError("reset"))
    with pytest.raises(core.ReadError, match="reset"):
        await stream.read(10)


async def test_read_and_write_timeouts() -> None:
    stream, fake = _stream()
    fake.receive_delay = 5
    with pytest.raises(core.ReadTimeout):
        await stream.read(10, timeout=0.05)
    fake.send_delay = 5
    with pytest.raises(core.WriteTimeout):
        await stream.write(b"x", timeout=0.05)


async def test_an_outer_cancellation_is_not_a_timeout() -> None:
    stream, fake = _stream()
    fake.receive_delay = 5
    with anyio.move_on_after(0.05) as scope:
        await stream.read(10, timeout=10)
    assert scope.cancelled_caught


async def test_a_failed_flush_still_reads_the_response() -> None:
    # as httpcore does for a failed request write: the server may have answered already
    stream, fake = _stream()

    async def broken_send(item: bytes) -> None:
        raise anyio.BrokenResourceError

    stream._send = broken_send
    fake.incoming.append(b"HTTP/1.1 413 ...")
    stream.cork()
    await stream.write(b"request")
    assert await stream.read(100) == b"HTTP/1.1 413 ..."
    with pytest.raises(core.WriteError):
        await stream.write(b"more")


async def test_aclose_drops_the_queue() -> None:
    stream, fake = _stream()
    stream.cork()
    await stream.write(b"never sent")
    await stream.aclose()
    assert fake.closed and fake.sent == []


# -- FastLock / FastSemaphore ---------------------------------------------------------------


async def _holds(lock: Any, order: list[int], n: int, hold: float = 0.01) -> None:
    async with lock:
        order.append(n)
        await anyio.sleep(hold)


async def test_fast_lock_excludes_and_serves_in_arrival_order() -> None:
    lock = FastLock()
    order: list[int] = []
    async with anyio.create_task_group() as tg:
        for n in range(5):
            tg.start_soon(_holds, lock, order, n)
            await anyio.sleep(0.001)
    assert order == [0, 1, 2, 3, 4]
    assert not lock.locked()


async def test_fast_lock_does_not_yield_when_free() -> None:
    lock = FastLock()
    ran: list[str] = []

    async def other() -> None:
        ran.append("other")

    async with anyio.create_task_group() as tg:
        tg.start_soon(other)
        async with lock:
            assert ran == []  # no checkpoint: the other task has not run yet
        assert ran == []


async def test_fast_lock_waiter_cancelled_passes_the_lock_on() -> None:
    lock = FastLock()
    order: list[int] = []
    async with anyio.create_task_group() as tg:
        tg.start_soon(_holds, lock, order, 0, 0.05)
        await anyio.sleep(0.01)
        with anyio.move_on_after(0.01):
            async with lock:
                order.append(99)  # never: cancelled while waiting
        tg.start_soon(_holds, lock, order, 1)
    assert order == [0, 1]
    assert not lock.locked()


async def test_fast_semaphore_bounds_and_releases() -> None:
    sem = FastSemaphore(2)
    active = peak = 0

    async def worker() -> None:
        nonlocal active, peak
        await sem.acquire()
        try:
            active += 1
            peak = max(peak, active)
            await anyio.sleep(0.01)
            active -= 1
        finally:
            await sem.release()

    async with anyio.create_task_group() as tg:
        for _ in range(6):
            tg.start_soon(worker)
    assert peak == 2
    # a waiter cancelled while waiting leaves the count intact
    await sem.acquire()
    await sem.acquire()
    with anyio.move_on_after(0.01):
        await sem.acquire()
    await sem.release()
    await sem.release()
    await sem.release()  # one too many: never above the bound
    await sem.acquire()
    await sem.acquire()
    with anyio.move_on_after(0.01) as scope:
        await sem.acquire()
    assert scope.cancelled_caught
