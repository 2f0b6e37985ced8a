"""Tests for the sans-IO Server-Sent Events scanner.

The scanner is checked against a reference parser written here from the WHATWG text (decode the
whole input, split it into lines, apply the field rules literally), for hand-written cases and for
generated streams split into chunks at arbitrary points.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from groq_anyio._sse import ServerSentEvent, SSEError, SSEScanner

BOM = b"\xef\xbb\xbf"
Event = tuple[bytes, str | None, str | None, int | None]
TextEvent = tuple[str, str | None, str | None, int | None]

# --------------------------------------------------------------------------------------------
# Reference parser: the WHATWG "event stream interpretation" applied literally to decoded text.
# --------------------------------------------------------------------------------------------

_EOL = re.compile("\r\n|\r|\n")


@dataclass
class Parsed:
    events: list[TextEvent] = field(default_factory=list)
    overflow: bool = False
    last_event_id: str = ""
    reconnection_time: int | None = None


def reference_parse(raw: bytes, errors: str = "surrogateescape", max_buffer: int = 0) -> Parsed:
    """Parse a complete stream. ``errors="replace"`` is the standard's decoding; the default
    keeps undecodable bytes (as lone surrogates) so data can be compared byte for byte.

    With ``max_buffer`` it also applies the scanner's documented bound: the event's data so far
    plus the line being read may not exceed it.
    """
    result = Parsed()
    text = raw.decode("utf-8", errors)
    if text.startswith("\ufeff"):
        text = text[1:]
    *lines, tail = _EOL.split(text)  # `tail` is an unterminated line: never processed

    def size(s: str) -> int:
        return len(s.encode("utf-8", errors))

    data = ""
    event_type = ""
    last_id: str | None = None
    retry: int | None = None
    for line in lines:
        if max_buffer and size(data[:-1]) + size(line) > max_buffer:
            result.overflow = True
            return result
        if line == "":
            if data:
                result.events.append((data[:-1], event_type or None, last_id, retry))
            data = event_type = ""
            retry = None
            continue
        if line.startswith(":"):
            continue
        if ":" in line:
            name, _, value = line.partition(":")
            if value.startswith(" "):
                value = value[1:]
        else:
            name, value = line, ""
        if name == "data":
            data += value + "\n"
        elif name == "event":
            event_type = value
        elif name == "id":
            if "\0" not in value:
                last_id = value
        elif name == "retry" and value and all(c in "0123456789" for c in value):
            retry = result.reconnection_time = int(value)
    if max_buffer and tail and size(data[:-1]) + size(tail) > max_buffer:
        result.overflow = True
    result.last_event_id = last_id or ""
    return result


def _fix(s: str | None) -> str | None:
    # A surrogate-escaped str as the scanner reports it: bytes decoded with replacement.
    return None if s is None else s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def reference_events(raw: bytes) -> list[Event]:
    return [
        (d.encode("utf-8", "surrogateescape"), _fix(e), _fix(i), r)
        for d, e, i, r in reference_parse(raw).events
    ]


# --------------------------------------------------------------------------------------------
# Driving the scanner
# --------------------------------------------------------------------------------------------


def as_tuple(ev: ServerSentEvent) -> Event:
    return (bytes(ev.data), ev.event, ev.id, ev.retry)


@dataclass
class Scanned:
    events: list[ServerSentEvent]
    overflow: bool
    scanner: SSEScanner

    @property
    def tuples(self) -> list[Event]:
        return [as_tuple(ev) for ev in self.events]


def scan(chunks: Iterable[bytes | bytearray | memoryview], max_buffer: int = 1 << 24) -> Scanned:
    scanner = SSEScanner(max_buffer)
    events: list[ServerSentEvent] = []
    overflow = False
    try:
        for chunk in chunks:
            events += scanner.feed(chunk)
    except SSEError:
        overflow = True
    tail = scanner.close()
    assert tail == []
    return Scanned(events, overflow, scanner)


def feed_all(
    scanner: SSEScanner, chunks: Iterable[bytes | bytearray | memoryview]
) -> list[ServerSentEvent]:
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events += scanner.feed(chunk)
    return events


def split_at(raw: bytes, cuts: Iterable[int]) -> list[bytes]:
    points = sorted({0, len(raw), *cuts})
    return [raw[a:b] for a, b in itertools.pairwise(points)]


def bytewise(raw: bytes) -> list[bytes]:
    return [raw[i : i + 1] for i in range(len(raw))]


# h11 tests/test_io.py style: every fixture whole, one byte at a time, and with trailing data.
FEEDS: dict[str, Callable[[bytes], list[bytes]]] = {
    "whole": lambda raw: [raw],
    "bytewise": bytewise,
    "pairs": lambda raw: [raw[i : i + 2] for i in range(0, len(raw), 2)],
}
TRAILING = [b"", b"data: never dispatched", b"event: e\ndata: never\n", b": comment", b"id"]


# --------------------------------------------------------------------------------------------
# The standard's cases (WHATWG examples and httpx-sse's test_event_source.py cases)
# --------------------------------------------------------------------------------------------

CASES: list[tuple[str, bytes, list[Event]]] = [
    ("single", b"data: hello\n\n", [(b"hello", None, None, None)]),
    (
        "multi-line data",
        b"data: YHOO\ndata: +2\ndata: 10\n\n",
        [(b"YHOO\n+2\n10", None, None, None)],
    ),
    (
        "comments, ids and spaces",
        b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\n"
        b"data:  third event\n\n",
        [
            (b"first event", None, "1", None),
            (b"second event", None, "", None),
            (b" third event", None, "", None),
        ],
    ),
    ("comments only", b": test stream\n\n:another\n\n", []),
    (
        "data without colon",
        b"data\n\ndata\ndata\n\ndata:",
        [(b"", None, None, None), (b"\n", None, None, None)],
    ),
    (
        "one leading space removed",
        b"data:x\n\ndata: x\n\ndata:  x\n\n",
        [(b"x", None, None, None), (b"x", None, None, None), (b" x", None, None, None)],
    ),
    (
        "event types",
        b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\n",
        [
            (b"73857293", "add", None, None),
            (b"2153", "remove", None, None),
            (b"113411", "add", None, None),
        ],
    ),
    (
        "event type reset after dispatch, even without data",
        b"event: a\n\ndata: 1\n\nevent: b\ndata: 2\n\ndata: 3\n\nevent:\ndata: 4\n\n",
        [
            (b"1", None, None, None),
            (b"2", "b", None, None),
            (b"3", None, None, None),
            (b"4", None, None, None),
        ],
    ),
    ("empty data buffer not dispatched", b"event: x\n\nid: 3\n\nretry: 5\n\n\n\n", []),
    ("empty data line is dispatched", b"data:\n\n", [(b"", None, None, None)]),
    (
        "id persists across events",
        b"id: 7\ndata: a\n\ndata: b\n\nid: 8\n\ndata: c\n\n",
        [(b"a", None, "7", None), (b"b", None, "7", None), (b"c", None, "8", None)],
    ),
    (
        "id containing NUL ignored",
        b"id: 1\n\nid: a\x00b\ndata: x\n\n",
        [(b"x", None, "1", None)],
    ),
    (
        "retry",
        b"retry: 1000\ndata: a\n\nretry: 12a\ndata: b\n\nretry: \ndata: c\n\nretry:-1\n"
        b"retry:\xd9\xa1\ndata: d\n\nretry:  5\nretry: 6 \nretry: +7\ndata: e\n\n"
        b"retry:08\ndata: f\n\n",
        [
            (b"a", None, None, 1000),
            (b"b", None, None, None),
            (b"c", None, None, None),
            (b"d", None, None, None),
            (b"e", None, None, None),
            (b"f", None, None, 8),
        ],
    ),
    (
        "unknown fields and case",
        b"Data: a\nDATA: b\nfoo: c\ndata : d\n data: e\n\ndata: ok\n\n",
        [(b"ok", None, None, None)],
    ),
    ("colon in value", b"data: a: b:c\n\n", [(b"a: b:c", None, None, None)]),
    ("BOM skipped", BOM + b"data: x\n\n", [(b"x", None, None, None)]),
    ("only the first BOM", BOM + BOM + b"data: x\n\ndata: y\n\n", [(b"y", None, None, None)]),
    ("BOM not at start", b"data: a\n\n" + BOM + b"data: b\n\n", [(b"a", None, None, None)]),
    ("partial BOM is data", b"\xef\xbbdata: x\n\ndata: y\n\n", [(b"y", None, None, None)]),
    (
        "CR only",
        b"data: a\rdata: b\r\rid: 1\rdata: c\r\r",
        [
            (b"a\nb", None, None, None),
            (b"c", None, "1", None),
        ],
    ),
    (
        "CRLF",
        b"data: a\r\ndata: b\r\n\r\nevent: e\r\ndata: c\r\n\r\n",
        [
            (b"a\nb", None, None, None),
            (b"c", "e", None, None),
        ],
    ),
    (
        "mixed endings",
        b"data: a\r\ndata: b\rdata: c\n\r\n\rdata: d\n\r",
        [
            (b"a\nb\nc", None, None, None),
            (b"d", None, None, None),
        ],
    ),
    (
        "unterminated final event discarded",
        b"data: a\n\ndata: b\n",
        [(b"a", None, None, None)],
    ),
    (
        "UTF-8 in event, id and data",
        "event: \u00e9v\nid: \u4e2d\ndata: \u2603\n\n".encode(),
        [("\u2603".encode(), "\u00e9v", "\u4e2d", None)],
    ),
    (
        "invalid UTF-8 replaced in event and id, kept in data",
        b"event: \xff\nid: a\xe2\x82\ndata: \xfe\n\n",
        [(b"\xfe", "\ufffd", "a\ufffd", None)],
    ),
    (
        "groq stream",
        b'data: {"id":"c1","choices":[{"delta":{"content":"Hi"}}]}\n\n'
        b": keep-alive\n\n"
        b'data: {"id":"c1","choices":[],"x_groq":{"usage":{"total_tokens":3}}}\n\n'
        b"data: [DONE]\n\n",
        [
            (b'{"id":"c1","choices":[{"delta":{"content":"Hi"}}]}', None, None, None),
            (b'{"id":"c1","choices":[],"x_groq":{"usage":{"total_tokens":3}}}', None, None, None),
            (b"[DONE]", None, None, None),
        ],
    ),
    (
        "in-band error event",
        b'event: error\ndata: {"error":{"message":"boom","status_code":500}}\n\n',
        [(b'{"error":{"message":"boom","status_code":500}}', "error", None, None)],
    ),
]


@pytest.mark.parametrize("feed", list(FEEDS))
@pytest.mark.parametrize("trailing", TRAILING)
@pytest.mark.parametrize(("raw", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_cases(raw: bytes, expected: list[Event], feed: str, trailing: bytes) -> None:
    assert reference_events(raw) == expected  # the reference agrees with the hand-written answer
    result = scan(FEEDS[feed](raw + trailing))
    assert not result.overflow
    assert result.tuples == expected


def test_reference_replace_decoding_matches_text() -> None:
    raw = b"event: \xff\nid: \xe2\x82\ndata: a\xe2\x82\ndata: \xf0\x9f\n\n"
    (ev,) = scan([raw]).events
    (ref,) = reference_parse(raw, errors="replace").events
    assert (ev.text, ev.event, ev.id, ev.retry) == ref


@pytest.mark.parametrize(
    "chunks",
    [
        [b"\xef", b"\xbb", b"\xbf", b"data: x\n\n"],
        [b"\xef\xbb", b"\xbfdata: x\n\n"],
        [b"\xef", b"\xbb\xbfdata: x\n", b"\n"],
        [b"", b"\xef", b"", b"\xbb\xbf", b"", b"data: x\n\n"],
    ],
)
def test_bom_split_across_chunks(chunks: list[bytes]) -> None:
    assert scan(chunks).tuples == [(b"x", None, None, None)]


def test_partial_bom_then_other_bytes() -> None:
    # b"\xef\xbb" then "d": not a BOM, so the first line's field name is b"\xef\xbbdata".
    assert scan([b"\xef\xbb", b"data: x\n\ndata: y\n\n"]).tuples == [(b"y", None, None, None)]
    # A stream that is only part of a BOM so far: nothing yet, the bytes are held.
    scanner = SSEScanner()
    assert feed_all(scanner, [b"\xef", b"\xbb"]) == []
    assert scanner.buffered == 2
    assert scanner.close() == []


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b"data: a\r", b"\ndata: b\n\n"], [b"a\nb"]),  # CRLF split: no spurious blank line
        ([b"data: a\r", b"\n\r\n"], [b"a"]),
        ([b"data: a\r", b"", b"\n", b"\n"], [b"a"]),  # empty chunks keep the pending CR
        ([b"data: a\r", b"\r"], [b"a"]),  # CR then CR: a blank line
        ([b"data: a\r", b"data: b\r\r"], [b"a\nb"]),
        ([b"data: a\r\n\r", b"\ndata: b\r\n\r\n"], [b"a", b"b"]),
        ([b"data: a\n", b"\r"], [b"a"]),
        ([b"data: a\r\r", b"\n\n"], [b"a"]),  # the LF after the blank CR line is skipped
    ],
)
def test_cr_at_chunk_end(chunks: list[bytes], expected: list[bytes]) -> None:
    assert [bytes(ev.data) for ev in scan(chunks).events] == expected


def test_cr_dispatches_without_waiting_for_next_chunk() -> None:
    scanner = SSEScanner()
    assert scanner.feed(b"data: a\r") == []
    (ev,) = scanner.feed(b"\r")
    assert bytes(ev.data) == b"a"
    assert scanner.buffered == 0


# --------------------------------------------------------------------------------------------
# Properties against the reference
# --------------------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
).map(lambda v: json.dumps(v, ensure_ascii=False).encode())

_values = st.one_of(
    _json,
    st.text(max_size=12).map(str.encode),
    st.integers(0, 10**6).map(lambda i: str(i).encode()),
    st.tuples(st.sampled_from([b"", b" ", b"+", b"-"]), st.integers(0, 99)).map(
        lambda t: t[0] + b"%d" % t[1]
    ),
    st.sampled_from(
        [b"", b" ", b"  x", b"1x", b"a\x00b", b"\x00", b"error", b"\xff\xfe", b"\xe2\x82", BOM]
    ),
    st.binary(max_size=8),
)
_names = st.sampled_from(
    [b"data"] * 4
    + [b"event", b"id", b"retry", b"", b"dat", b"Data", b"foo", b" data", b"data ", BOM + b"data"]
)
_seps = st.sampled_from([b":", b": ", b": ", b":  ", b"", b"::"])
_endings = st.sampled_from([b"\n", b"\n", b"\r", b"\r\n"])
_line = st.one_of(
    st.tuples(_names, _seps, _values).map(b"".join),
    _values.map(lambda v: b":" + v),  # comment
    st.just(b""),  # blank line
)


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    parts = [BOM] if draw(st.integers(0, 4)) == 0 else []
    for line, ending in draw(st.lists(st.tuples(_line, _endings), max_size=20)):
        parts += [line, ending]
    if draw(st.booleans()):
        parts.append(draw(_line))  # unterminated
    return b"".join(parts)


# The typical token stream, with the occasional keep-alive, error event or id.
_block = st.one_of(
    _json.map(lambda j: b"data: " + j + b"\n\n"),
    _json.map(lambda j: b"data:" + j + b"\n\n"),
    st.just(b": ping\n\n"),
    _json.map(lambda j: b"event: error\ndata: " + j + b"\n\n"),
    st.integers(0, 99).map(lambda i: b"id: %d\n" % i),
    st.just(b"data: [DONE]\n\n"),
)
groq_streams = st.lists(_block, max_size=12).map(b"".join)

# Byte soup of the tokens that matter to the grammar.
token_soup = st.lists(
    st.sampled_from(
        [
            *[b"\r", b"\n", b"\r\n", b":", b" ", b"data", b"data:", b"data: ", b"event:"],
            *[b"id:", b"retry:", b"7", b"x", b"\x00", BOM, b"\xef", b"\xbb", b"\xbf", b"{}"],
            b"\xff",
        ]
    ),
    max_size=40,
).map(b"".join)

streams = st.one_of(sse_streams(), groq_streams, token_soup, st.binary(max_size=200))
_chunk_types: list[Callable[[bytes], bytes | bytearray | memoryview]] = [
    bytes,
    bytearray,
    memoryview,
]

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(raw=streams, data=st.data())
def test_matches_reference_for_any_split(raw: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=16), label="cuts")
    kinds = data.draw(st.lists(st.sampled_from(_chunk_types), min_size=1), label="kinds")
    chunks = [kinds[i % len(kinds)](c) for i, c in enumerate(split_at(raw, cuts))]
    expected = reference_parse(raw)
    result = scan(chunks)
    assert not result.overflow
    assert result.tuples == reference_events(raw)
    assert result.scanner.last_event_id == _fix(expected.last_event_id)
    assert result.scanner.reconnection_time == expected.reconnection_time


@SETTINGS
@given(raw=streams)
def test_whole_bytewise_and_trailing_agree(raw: bytes) -> None:
    expected = reference_events(raw)
    assert scan([raw]).tuples == expected
    assert scan(bytewise(raw)).tuples == expected
    # Trailing partial data: the events so far come out, the tail waits.
    scanner = SSEScanner()
    events = scanner.feed(raw + b"\n\n")
    tail_events = scanner.feed(b"data: partial")
    assert tail_events == []
    assert scanner.buffered == len(b"data: partial")
    assert [as_tuple(ev) for ev in events] == reference_events(raw + b"\n\n")


@SETTINGS
@given(raw=streams)
def test_text_matches_standard_decoding(raw: bytes) -> None:
    expected = reference_parse(raw, errors="replace").events
    got = [(ev.text, ev.event, ev.id, ev.retry) for ev in scan([raw]).events]
    assert got == expected


@SETTINGS
@given(raw=streams, max_buffer=st.integers(4, 64), data=st.data())
def test_bound_does_not_depend_on_chunking(
    raw: bytes, max_buffer: int, data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=16), label="cuts")
    expected = reference_parse(raw, max_buffer=max_buffer)
    full = reference_events(raw)
    result = scan(split_at(raw, cuts), max_buffer=max_buffer)
    assert result.overflow == expected.overflow
    if result.overflow:
        assert result.tuples == full[: len(result.tuples)]
    else:
        assert result.tuples == full


# --------------------------------------------------------------------------------------------
# Fast path, zero copy
# --------------------------------------------------------------------------------------------


def test_fast_path_is_zero_copy() -> None:
    chunk = b'data: {"a": 1}\n\ndata:{"b": 2}\n\ndata: [DONE]\n\n'
    scanner = SSEScanner()
    events = scanner.feed(chunk)
    assert len(events) == 3
    for ev in events:
        assert isinstance(ev.data, memoryview)
        assert ev.data.obj is chunk  # a view of the caller's bytes: no copy
    assert msgspec.json.decode(events[0].data) == {"a": 1}
    assert msgspec.json.decode(events[1].data) == {"b": 2}
    assert events[2].text == "[DONE]"
    assert scanner.buffered == 0


def test_fast_path_carries_last_event_id() -> None:
    scanner = SSEScanner()
    (ev,) = scanner.feed(b"id: 42\n: comment\ndata: x\n\n")
    assert isinstance(ev.data, memoryview)
    assert (bytes(ev.data), ev.event, ev.id, ev.retry) == (b"x", None, "42", None)
    assert scanner.last_event_id == "42"


def test_event_completed_across_chunks_is_not_a_view_of_the_buffer() -> None:
    scanner = SSEScanner()
    assert scanner.feed(b"data: hel") == []
    assert scanner.buffered == len(b"data: hel")
    (ev,) = scanner.feed(b"lo\n\ndata: wor")
    assert bytes(ev.data) == b"hello"
    assert isinstance(ev.data, memoryview | bytes)
    if isinstance(ev.data, memoryview):
        assert isinstance(ev.data.obj, bytes)  # immutable, not the scanner's bytearray
    # Holding the event does not stop the scanner from growing or compacting its buffer.
    for _ in range(100):
        assert scanner.feed(b"x" * 100) == []
    (ev2,) = scanner.feed(b"ld\n\n")
    assert bytes(ev2.data) == b"wor" + b"x" * 10_000 + b"ld"
    assert bytes(ev.data) == b"hello"


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_mutable_input_is_copied(kind: Callable[[bytes], bytearray | memoryview]) -> None:
    backing = bytearray(b"data: abc\n\n")
    chunk = backing if kind is bytearray else memoryview(backing)
    (ev,) = SSEScanner().feed(chunk)
    backing[6:9] = b"XYZ"  # the caller reuses its buffer
    assert bytes(ev.data) == b"abc"


def test_text_property() -> None:
    assert ServerSentEvent(b"caf\xc3\xa9").text == "caf\u00e9"
    assert ServerSentEvent(memoryview(b"a\xffb")).text == "a\ufffdb"


def test_slow_path_data_is_bytes() -> None:
    (ev,) = SSEScanner().feed(b"data: a\ndata: b\n\n")
    assert type(ev.data) is bytes
    assert ev.data == b"a\nb"


# --------------------------------------------------------------------------------------------
# State: properties, close(), reuse
# --------------------------------------------------------------------------------------------


def test_properties() -> None:
    scanner = SSEScanner()
    assert (scanner.last_event_id, scanner.reconnection_time, scanner.buffered) == ("", None, 0)
    scanner.feed(b"retry: 3000\nid: e1\ndata: x")
    assert scanner.reconnection_time == 3000
    assert scanner.last_event_id == "e1"
    assert scanner.buffered == len(b"data: x")
    scanner.feed(b"\ndata: y")  # data buffer "x" plus partial line
    assert scanner.buffered == len(b"x") + len(b"data: y")
    (ev,) = scanner.feed(b"\n\n")
    assert (ev.data, ev.id, ev.retry) == (b"x\ny", "e1", 3000)
    assert scanner.buffered == 0
    scanner.feed(b"retry: x\n\n")
    assert scanner.reconnection_time == 3000


def test_close_discards_unterminated_event_and_allows_a_new_stream() -> None:
    scanner = SSEScanner()
    assert scanner.feed(b"id: 5\n\ndata: a\ndata: b") == []
    assert scanner.buffered > 0
    assert scanner.close() == []
    assert scanner.buffered == 0
    assert scanner.close() == []  # idempotent
    assert scanner.last_event_id == "5"
    # A new stream (a reconnection): a BOM is allowed again, the last event ID is kept.
    events = scanner.feed(BOM + b"data: c\n\n")
    assert [(bytes(e.data), e.id) for e in events] == [(b"c", "5")]


def test_close_forgets_pending_cr() -> None:
    scanner = SSEScanner()
    scanner.feed(b"data: a\r")
    scanner.close()
    # The LF now starts a new stream: it is a blank line, not the end of a split CRLF.
    assert scanner.feed(b"\ndata: b\n\n")[0].data == b"b"


def test_empty_chunks() -> None:
    scanner = SSEScanner()
    assert scanner.feed(b"") == []
    assert scanner.feed(bytearray()) == []
    assert scanner.feed(b"data: a\n\n")[0].data == b"a"
    assert scanner.feed(b"") == []


# --------------------------------------------------------------------------------------------
# Buffer bound, memory, no rescanning
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("feed", list(FEEDS))
def test_line_that_never_ends_is_an_error(feed: str) -> None:
    scanner = SSEScanner(max_buffer=100)
    with pytest.raises(SSEError, match="max_buffer"):
        feed_all(scanner, FEEDS[feed](b"data: " + b"x" * 200))
    assert scanner.buffered == 0  # the memory is released
    with pytest.raises(SSEError):  # and the stream stays failed
        scanner.feed(b"\n\n")
    assert scanner.close() == []
    assert scanner.feed(b"data: ok\n\n")[0].data == b"ok"  # close() starts afresh


@pytest.mark.parametrize("feed", list(FEEDS))
def test_event_too_large_is_an_error(feed: str) -> None:
    with pytest.raises(SSEError):
        feed_all(SSEScanner(max_buffer=100), FEEDS[feed](b"data: 0123456789\n" * 20 + b"\n"))


@pytest.mark.parametrize("feed", list(FEEDS))
def test_complete_long_line_is_an_error_too(feed: str) -> None:
    # Whether the long line arrives whole or in pieces, the outcome is the same.
    with pytest.raises(SSEError):
        feed_all(SSEScanner(max_buffer=100), FEEDS[feed](b"data: " + b"x" * 95 + b"\n\n"))


@pytest.mark.parametrize("feed", list(FEEDS))
def test_line_of_exactly_max_buffer_is_fine(feed: str) -> None:
    raw = (
        b"data: " + b"x" * 94 + b"\n\n" + b"data: " + b"y" * 40 + b"\ndata: " + b"z" * 53 + b"\n\n"
    )
    result = scan(FEEDS[feed](raw), max_buffer=100)
    assert not result.overflow
    assert [len(ev.data) for ev in result.events] == [94, 40 + 1 + 53]


def test_max_buffer_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        SSEScanner(max_buffer=0)


def test_memory_bounded_over_long_stream_fed_bytewise() -> None:
    block = b'data: {"choices":[{"delta":{"content":"tok"}}]}\n\n'
    scanner = SSEScanner()
    count = 0
    peak = 0
    for _ in range(10_000):
        for i in range(len(block)):
            count += len(scanner.feed(block[i : i + 1]))
        peak = max(peak, scanner._buf.__sizeof__(), scanner._data.__sizeof__())
    assert count == 10_000
    assert scanner.buffered == 0
    assert peak < 4 * len(block) + 200  # the buffers hold one line at most, never the stream
    scanner.feed(b"data: partial")
    assert scanner.buffered == len(b"data: partial")


class _CountingFind:
    """Mixin: count how many bytes find() examines (the scanner's only search primitive)."""

    searched = 0

    def find(self, sub: bytes, start: int | None = None, end: int | None = None, /) -> int:
        size = len(self)  # type: ignore[arg-type]
        lo = 0 if start is None else start
        hi = size if end is None else min(end, size)
        i: int = super().find(sub, lo, hi)  # type: ignore[misc]
        self.searched += (i + len(sub) if i >= 0 else hi) - lo
        return i


class CountingBytes(_CountingFind, bytes):  # type: ignore[misc]
    pass


class CountingBytearray(_CountingFind, bytearray):  # type: ignore[misc]
    pass


def counting_scanner() -> tuple[SSEScanner, CountingBytearray]:
    scanner = SSEScanner()
    buf = CountingBytearray()
    scanner._buf = buf  # the scanner only ever mutates its buffer in place
    return scanner, buf


def test_no_rescan_when_one_line_arrives_in_many_pieces() -> None:
    payload = b"x" * (1 << 20)
    raw = b"data: " + payload + b"\n\n"
    scanner, buf = counting_scanner()
    events = feed_all(scanner, (raw[i : i + 1024] for i in range(0, len(raw), 1024)))
    assert [bytes(ev.data) for ev in events] == [payload]
    assert scanner._buf is buf
    # Each new byte is searched once for LF and once for CR (rescanning: ~1000 times each).
    assert buf.searched <= 2 * len(raw)


@pytest.mark.parametrize("ending", [b"\n\n", b"\r\r", b"\r\n\r\n"])
def test_no_rescan_when_fed_bytewise(ending: bytes) -> None:
    raw = (b"data: " + b"y" * 5_000 + ending) * 4
    scanner, buf = counting_scanner()
    events = feed_all(scanner, bytewise(raw))
    assert [len(ev.data) for ev in events] == [5_000] * 4
    assert buf.searched <= 2 * len(raw)


@pytest.mark.parametrize(
    "block",
    [
        b"data: x\r\r",  # CR only: a naive LF search would scan to the end for every line
        b"data: x\n\n",  # LF only: the CR search must not run per line
        b"data: x\r\n\r\n",
        b"event: t\ndata: x\ndata: y\n\n",
        b": keep-alive\r",
    ],
)
def test_each_byte_searched_a_bounded_number_of_times(block: bytes) -> None:
    chunk = CountingBytes(block * 20_000)
    SSEScanner().feed(chunk)
    assert chunk.searched <= 4 * len(chunk)


def _consume(events: Sequence[ServerSentEvent]) -> int:
    return sum(len(ev.data) for ev in events)


def test_many_events_in_one_chunk() -> None:
    block = b'data: {"choices":[{"delta":{"content":"tok"}}]}\n\n'
    events = SSEScanner().feed(block * 5000)
    assert len(events) == 5000
    assert _consume(events) == 5000 * (len(block) - 8)
    assert all(isinstance(ev.data, memoryview) for ev in events)


# --------------------------------------------------------------------------------------------
# The run fast path (feed_json_run): whole reads of plain `data:` events in one JSON array
# --------------------------------------------------------------------------------------------

# Token streams as servers send them, mostly plain runs, with the odd line that forces the
# slow path for one read.
_run_block = st.one_of(
    *[_json.map(lambda j: b"data: " + j + b"\n\n")] * 6,
    st.just(b"data: [DONE]\n\n"),
    st.just(b"data: \n\n"),
    _json.map(lambda j: b"data:" + j + b"\n\n"),
    _json.map(lambda j: b"data:  " + j + b"\n\n"),
    st.just(b": ping\n\n"),
    _json.map(lambda j: b"event: error\ndata: " + j + b"\n\n"),
    _json.map(lambda j: b"data: " + j + b"\r\n\r\n"),
    st.just(b"\n"),
    st.integers(0, 99).map(lambda i: b"id: %d\n" % i),
)
run_streams = st.one_of(st.lists(_run_block, max_size=16).map(b"".join), streams)


def scan_runs(
    chunks: Iterable[bytes], max_buffer: int = 1 << 24
) -> tuple[list[tuple[bytes, str | None]], bool, int]:
    """Feed each chunk to feed_json_run first, to feed_views when it declines; returns the
    (data, event type) of every event, whether the bound was hit, and how many reads the run
    path took."""
    scanner = SSEScanner(max_buffer)
    out: list[tuple[bytes, str | None]] = []
    runs = 0
    try:
        for chunk in chunks:
            run = scanner.feed_json_run(chunk)
            if run is None:
                for ev in scanner.feed_views(chunk):
                    if isinstance(ev, memoryview):
                        out.append((bytes(ev), None))
                    else:
                        out.append((bytes(ev.data), ev.event))
                continue
            runs += 1
            array, count, b, end = run
            views = SSEScanner.run_views(b, end)
            assert len(views) == count > 0
            assert array == b"[" + b"\r,".join(views) + b"]"
            out += [(bytes(v), None) for v in views]
    except SSEError:
        return out, True, runs
    assert scanner.close() == []
    return out, False, runs


def _data_and_type(raw: bytes) -> list[tuple[bytes, str | None]]:
    return [(d, e) for d, e, _, _ in reference_events(raw)]


@SETTINGS
@given(raw=run_streams, data=st.data())
def test_run_path_matches_reference_for_any_split(raw: bytes, data: st.DataObject) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=16), label="cuts")
    got, overflow, _ = scan_runs(split_at(raw, cuts))
    assert not overflow
    assert got == _data_and_type(raw)


@SETTINGS
@given(raw=run_streams, max_buffer=st.integers(4, 64), data=st.data())
def test_run_path_bound_does_not_depend_on_chunking(
    raw: bytes, max_buffer: int, data: st.DataObject
) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(raw)), max_size=16), label="cuts")
    expected = reference_parse(raw, max_buffer=max_buffer)
    full = _data_and_type(raw)
    got, overflow, _ = scan_runs(split_at(raw, cuts), max_buffer=max_buffer)
    assert overflow == expected.overflow
    assert got == (full[: len(got)] if overflow else full)


def test_run_path_takes_plain_reads_and_keeps_the_partial_line() -> None:
    events = [b'{"i":%d}' % i for i in range(50)]
    raw = b"".join(b"data: " + e + b"\n\n" for e in events)
    scanner = SSEScanner()
    assert scanner.feed_views(b"") == []  # (a stream's first bytes go the slow way: BOM check)
    first = scanner.feed_views(raw[:3])
    assert first == [] and scanner.buffered == 3
    cut = raw.index(b"data", 500) + 9  # in the middle of an event
    run = scanner.feed_json_run(raw[3:cut])
    assert run is not None
    array = run[0]
    n = len(msgspec.json.decode(array))
    assert msgspec.json.decode(array) == [{"i": i} for i in range(n)]
    assert scanner.buffered == len(raw[:cut]) - raw[:cut].rindex(b"\n\n") - 2
    rest = scanner.feed_json_run(raw[cut:])
    assert rest is not None
    assert msgspec.json.decode(rest[0]) == [{"i": i} for i in range(n, 50)]
    assert scanner.buffered == 0


@pytest.mark.parametrize(
    "chunk",
    [
        b"data: 1\n\n: ping\n\n",  # a comment
        b"data: 1\n\nevent: x\ndata: 2\n\n",  # a named event
        b"data: 1\r\n\r\n",  # CRLF
        b"data: 1\n\n\ndata: 2\n\n",  # an extra blank line
        b"data:1\n\n",  # no space after the colon
        b"data: 1\n\ndata: 2\n",  # the tail holds a line end
        b"data: 1\ndata: 2\n\n",  # a two-line event
        b"data: partial",  # nothing completes
    ],
)
def test_run_path_declines_anything_but_plain_runs(chunk: bytes) -> None:
    scanner = SSEScanner()
    scanner.feed_views(b"data: 0\n\n")  # past the stream start
    assert scanner.feed_json_run(chunk) is None
    assert scanner.buffered == 0  # nothing consumed: the same chunk goes to feed_views


def test_run_path_declines_while_an_event_is_open_or_at_the_start() -> None:
    scanner = SSEScanner()
    assert scanner.feed_json_run(b"data: 1\n\n") is None  # the stream start (BOM check)
    scanner.feed_views(b"event: x\n")  # an event under construction
    assert scanner.feed_json_run(b"data: 1\n\n") is None


@pytest.mark.parametrize("kind", [bytearray, memoryview])
def test_run_path_copies_mutable_input(kind: Callable[[bytes], bytearray | memoryview]) -> None:
    scanner = SSEScanner()
    scanner.feed_views(b"data: 0\n\n")
    raw = bytearray(b'data: {"a":1}\n\ndata: {"b":2}\n\ndata: {"c"')
    run = scanner.feed_json_run(kind(raw) if kind is memoryview else raw)
    assert run is not None
    raw[:] = b"x" * len(raw)  # the caller reuses its buffer
    assert msgspec.json.decode(run[0]) == [{"a": 1}, {"b": 2}]
    rest = scanner.feed_json_run(b":3}\n\n")
    assert rest is not None and msgspec.json.decode(rest[0]) == [{"c": 3}]
