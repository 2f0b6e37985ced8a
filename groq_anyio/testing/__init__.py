"""A local Groq-compatible server for tests, examples and benchmarks.

Real HTTP/1.1 (h11) and HTTP/2 (h2) over anyio, on loopback, optionally with TLS::

    from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer

    async with GroqTestServer() as server:
        server.push(ErrorReply(429, headers={"retry-after": "0"}), ChatScript("Hi there"))
        ...  # a client pointed at server.base_url + "/openai/v1"
        assert server.requests[0].json()["model"] == "llama-3.3-70b-versatile"

Synchronous code: ``with GroqTestServer().run_in_thread() as server: ...``.
"""

from ._clock import Clock as Clock
from ._clock import FakeClock as FakeClock
from ._clock import use_clock as use_clock
from ._exchange import Exchange as Exchange
from ._exchange import HeaderList as HeaderList
from ._exchange import RecordedRequest as RecordedRequest
from ._exchange import Reply as Reply
from ._faults import CloseAfterResponse as CloseAfterResponse
from ._faults import GoAway as GoAway
from ._faults import StallBody as StallBody
from ._faults import Trickle as Trickle
from ._faults import fault_mix as fault_mix
from ._groq import KNOWN_MODELS as KNOWN_MODELS
from ._paced import PacedChat as PacedChat
from ._paced import SendLog as SendLog
from ._record import GroqRecorder as GroqRecorder
from ._replay import Recording as Recording
from ._replay import Replay as Replay
from ._replay import load_recordings as load_recordings
from ._replies import DropConnection as DropConnection
from ._replies import ErrorReply as ErrorReply
from ._replies import RawReply as RawReply
from ._replies import ResetStream as ResetStream
from ._replies import Stall as Stall
from ._scenarios import ChatScript as ChatScript
from ._scenarios import ErrorStyle as ErrorStyle
from ._scenarios import UsageStyle as UsageStyle
from ._server import GroqTestServer as GroqTestServer
from ._server import ReplyLike as ReplyLike
from ._server import serve_forever as serve_forever

__all__ = [
    # the server
    "GroqTestServer",
    "serve_forever",
    "RecordedRequest",
    "KNOWN_MODELS",
    # replies
    "Reply",
    "ReplyLike",
    "ChatScript",
    "PacedChat",
    "SendLog",
    "ErrorReply",
    "RawReply",
    "UsageStyle",
    "ErrorStyle",
    # record real exchanges, replay them
    "GroqRecorder",
    "Replay",
    "Recording",
    "load_recordings",
    # fault injection
    "DropConnection",
    "ResetStream",
    "Stall",
    "StallBody",
    "Trickle",
    "CloseAfterResponse",
    "GoAway",
    "fault_mix",
    # virtual time for the client's retry and rate-limit waits and the server's batches
    "Clock",
    "FakeClock",
    "use_clock",
    # extending: the response side seen by a Reply
    "Exchange",
    "HeaderList",
]
