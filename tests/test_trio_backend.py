"""The trio backend's own rules: read timeouts kept by the run's watchdog instead of a cancel
scope per read, and IP addresses connected without ``trio.open_tcp_stream``.

Every other test runs the whole client on trio too; these pin down what those cannot see: when
a timeout fires, that a read that keeps getting bytes never times out, that the watchdog task
ends and keeps no stream alive."""

from __future__ import annotations

import gc
import socket
import time
import weakref
from collections.abc import AsyncIterator

import pytest
import trio

from groq_anyio._transport import _core as core
from groq_anyio._transport._backends._trio import TrioBackend, TrioStream

from .conftest import WATCHDOG_TASK

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("anyio_backend", ["trio"])]


class Peer:
    """The server side of one loopback connection."""

    def __init__(self, sock: trio.socket.SocketType) -> None:
        self.sock = sock

    async def send(self, data: bytes) -> None:
        await self.sock.send(data)


@pytest.fixture
async def pair() -> AsyncIterator[tuple[TrioStream, Peer]]:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stream = await TrioBackend().connect(
        "127.0.0.1", port, timeout=5, ssl_context=None, server_hostname=None
    )
    peer_sock, _ = await listener.accept()
    received: list[bytes] = []
    stream.set_receiver(received.append)
    try:
        yield stream, Peer(peer_sock)
    finally:
        await stream.aclose()
        peer_sock.close()
        listener.close()


def _watchdogs() -> list[trio.lowlevel.Task]:
    root = trio.lowlevel.current_root_task()
    assert root is not None
    tasks: list[trio.lowlevel.Task] = []
    nurseries = list(root.child_nurseries)
    while nurseries:
        nursery = nurseries.pop()
        for task in nursery.child_tasks:
            if task.name == WATCHDOG_TASK:
                tasks.append(task)
            nurseries.extend(task.child_nurseries)
    return tasks


async def test_a_silent_read_times_out_when_due(pair: tuple[TrioStream, Peer]) -> None:
    stream, peer = pair

    async def reply() -> None:
        await trio.sleep(0.05)
        await peer.send(b"a")

    # an entry armed far away (a 30 s read that waits a little for its bytes) ...
    async with trio.open_nursery() as nursery:
        nursery.start_soon(reply)
        await stream.pump(30)
    assert stream._armed_at != float("inf")
    # ... does not delay a shorter timeout: the next read arms an earlier entry
    start = time.monotonic()
    with pytest.raises(core.ReadTimeout, match=r"0\.2 s"):
        await stream.pump(0.2)
    elapsed = time.monotonic() - start
    assert 0.15 <= elapsed < 2, elapsed
    assert stream._closed  # a timed-out connection is closed (the HTTP/1.1 layer would anyway)
    with pytest.raises(core.ReadError):
        await stream.pump(1)


async def test_a_read_that_gets_bytes_in_time_never_times_out(
    pair: tuple[TrioStream, Peer],
) -> None:
    stream, peer = pair
    received: list[bytes] = []
    stream.set_receiver(received.append)

    async def trickle() -> None:
        for i in range(12):
            await trio.sleep(0.05)
            await peer.send(b"%d," % i)

    start = time.monotonic()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(trickle)
        # each read waits ~0.05 s under a 0.2 s timeout, for ~0.6 s in all: the first entry
        # comes due while a later read is within its own deadline, and is moved to it
        while b"11," not in b"".join(received):
            await stream.pump(0.2)
    assert time.monotonic() - start >= 0.5
    assert b"".join(received) == b"".join(b"%d," % i for i in range(12))
    assert not stream._closed and not stream._timed_out


async def test_the_watchdog_ends_and_keeps_no_stream_alive() -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stream = await TrioBackend().connect(
        "127.0.0.1", port, timeout=5, ssl_context=None, server_hostname=None
    )
    peer, _ = await listener.accept()
    stream.set_receiver(lambda data: None)

    async def reply() -> None:
        await trio.sleep(0.05)
        await peer.send(b"x")

    async with trio.open_nursery() as nursery:
        nursery.start_soon(reply)
        await stream.pump(0.3)  # waits: arms an entry 0.3 s away
    assert len(_watchdogs()) == 1
    ref = weakref.ref(stream)
    await stream.aclose()
    del stream
    gc.collect()
    assert ref() is None  # the watchdog's entry does not keep the stream
    with trio.fail_after(3):
        while _watchdogs():  # the entry comes due, nothing is left: the task ends
            await trio.sleep(0.05)
    peer.close()
    listener.close()


async def test_an_outer_cancellation_is_not_a_timeout(pair: tuple[TrioStream, Peer]) -> None:
    stream, _ = pair
    with trio.move_on_after(0.1) as scope:
        await stream.pump(0.05 + 30)
    assert scope.cancelled_caught
    assert not stream._closed and not stream._timed_out
    assert stream._deadline == float("inf")  # no read waits: its entry will find none


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
async def test_connect_by_address_and_by_name(host: str) -> None:
    listener = trio.socket.socket()
    await listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]
    stream = await TrioBackend().connect(
        host, port, timeout=5, ssl_context=None, server_hostname=None
    )
    peer, _ = await listener.accept()
    assert stream.get_extra_info("server_addr")[:2] == ("127.0.0.1", port)
    assert stream._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    await stream.aclose()
    peer.close()
    listener.close()


async def test_connect_refused_is_a_connect_error() -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(core.ConnectError):
        await TrioBackend().connect(
            "127.0.0.1", port, timeout=5, ssl_context=None, server_hostname=None
        )
