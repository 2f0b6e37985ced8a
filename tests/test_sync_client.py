"""``groq_anyio.Groq``: the synchronous client, on a background asyncio or trio loop.

The local server runs in its own thread (``run_in_thread``); every call goes over a real socket.
The sync client's loop backend is parametrised: asyncio and trio.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

import groq_anyio as g
from groq_anyio import Groq
from groq_anyio.testing import ChatScript, ErrorReply, GroqTestServer, StallBody
from groq_anyio.types import ChatCompletion, ModelList

from .conftest import TEST_KEY

MODEL = "llama-3.3-70b-versatile"
MSGS = [{"role": "user", "content": "Hi"}]


@pytest.fixture(scope="module")
def sync_server() -> Iterator[GroqTestServer]:
    server = GroqTestServer()
    with server.run_in_thread():
        yield server


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def sync_client(sync_server: GroqTestServer, backend: str) -> Iterator[Groq]:
    with Groq(
        api_key=TEST_KEY, base_url=sync_server.base_url, max_retries=0, backend=backend
    ) as client:
        yield client


def _loop_thread_alive(client: Groq) -> bool:
    ident = client._loop.thread_id
    return any(t.ident == ident and t.is_alive() for t in threading.enumerate())


def test_completion(sync_server: GroqTestServer, sync_client: Groq) -> None:
    sync_server.push(ChatScript(text="sync hello"))
    completion = sync_client.chat.completions.create(model=MODEL, messages=MSGS)
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == "sync hello"
    assert completion.request_id is not None


def test_stream_as_context_manager_and_iterator(
    sync_server: GroqTestServer, sync_client: Groq
) -> None:
    sync_server.push(ChatScript(text="a b c"))
    with sync_client.chat.completions.create(model=MODEL, messages=MSGS, stream=True) as stream:
        parts = [c.choices[0].delta.content or "" for c in stream if c.choices]
        final = stream.get_final_completion()
    assert "".join(parts) == "a b c"
    assert final.choices[0].message.content == "a b c"
    assert stream.closed
    # a plain iterator, no with-block: the stream closes at its end
    sync_server.push(ChatScript(text="x y"))
    stream = sync_client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "x y" and stream.closed
    # await stream.close() in the SDK is stream.close() here
    sync_server.push(ChatScript(text="one two three"))
    stream = sync_client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    next(iter(stream))
    stream.close()
    assert stream.closed


def test_stream_items_and_in_band_errors_in_order(
    sync_server: GroqTestServer, sync_client: Groq
) -> None:
    # an unpaced stream: many chunks per network read come back in one crossing, in order
    words = [f"w{i}" for i in range(600)]
    sync_server.push(ChatScript(text=" ".join(words)))
    with sync_client.chat.completions.create(model=MODEL, messages=MSGS, stream=True) as s:
        got = [c.choices[0].delta.content for c in s if c.choices and c.choices[0].delta.content]
        assert s.get_final_completion().choices[0].message.content == " ".join(words)
    assert "".join(got) == " ".join(words)
    # an in-band error after 50 chunks: the 50 arrive first, then the error
    sync_server.push(
        ChatScript(
            text=" ".join(words),
            stream_error={"message": "overloaded", "type": "server_error", "status_code": 503},
            stream_error_after=50,
        )
    )
    seen = []
    with pytest.raises(g.APIStatusError) as info:
        with sync_client.chat.completions.create(model=MODEL, messages=MSGS, stream=True) as s:
            for c in s:
                if c.choices and c.choices[0].delta.content:
                    seen.append(c.choices[0].delta.content)
    assert info.value.in_stream and info.value.status_code == 503
    assert "".join(seen) == " ".join(words[:50])


def test_resources_and_views(sync_server: GroqTestServer, sync_client: Groq) -> None:
    models = sync_client.models.list()
    assert isinstance(models, ModelList) and models.data
    model = sync_client.models.retrieve(MODEL)
    assert model.id == MODEL
    raw = sync_client.models.with_raw_response.list()
    assert raw.status_code == 200 and raw.headers["content-type"].startswith("application/json")
    assert raw.parse().data == models.data
    with sync_client.models.with_streaming_response.list() as response:
        assert response.status_code == 200
        lines = list(response.iter_lines())
    assert lines and lines[0].startswith("{")
    with sync_client.chat.completions.with_streaming_response.create(
        model=MODEL, messages=MSGS
    ) as response:
        completion = response.parse()
    assert completion.choices[0].message.content
    embedding = sync_client.embeddings.create(model="nomic-embed-text-v1_5", input="hello")
    assert embedding.data and embedding.data[0].embedding
    assert sync_client.get("/openai/v1/models", cast_to=ModelList).data == models.data


def test_speech_download(sync_server: GroqTestServer, sync_client: Groq) -> None:
    with sync_client.audio.speech.create(
        model="playai-tts", input="hello", voice="Fritz-PlayAI", response_format="wav"
    ) as audio:
        data = b"".join(audio.iter_bytes())
    assert data[:4] == b"RIFF"
    audio = sync_client.audio.speech.create(
        model="playai-tts", input="hello", voice="Fritz-PlayAI", response_format="wav"
    )
    assert audio.read()[:4] == b"RIFF"
    audio.close()


def test_errors_are_the_same_types(sync_server: GroqTestServer, sync_client: Groq) -> None:
    sync_server.push(ErrorReply(404, "no such model", code="model_not_found"))
    with pytest.raises(g.ModelNotFoundError) as info:
        sync_client.chat.completions.create(model=MODEL, messages=MSGS)
    assert info.value.response.status_code == 404
    assert info.value.response.json()["error"]["code"] == "model_not_found"
    with pytest.raises(g.InvalidParameterError):
        sync_client.chat.completions.create(model=MODEL, messages=[])


def test_many_threads_share_one_client(sync_server: GroqTestServer, sync_client: Groq) -> None:
    def work(i: int) -> str:
        texts = []
        for _ in range(3):
            c = sync_client.chat.completions.create(model=MODEL, messages=MSGS)
            texts.append(c.choices[0].message.content or "")
            with sync_client.chat.completions.create(model=MODEL, messages=MSGS, stream=True) as s:
                for _chunk in s:
                    pass
        return texts[0]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(work, range(16)))
    assert len(results) == 16 and all(results)
    stats = sync_client.pool_stats()
    assert stats.in_flight == 0


def test_dir_shows_the_resources(sync_client: Groq) -> None:
    names = dir(sync_client)
    for name in ("chat", "audio", "models", "files", "batches", "embeddings", "responses"):
        assert name in names
    assert "create" in dir(sync_client.chat.completions)


def test_with_options_shares_the_loop(sync_server: GroqTestServer, sync_client: Groq) -> None:
    copy = sync_client.with_options(max_retries=1, default_headers={"x-test": "1"})
    assert copy.max_retries == 1 and copy._loop is sync_client._loop
    copy.models.list()
    assert sync_server.requests[-1].header("x-test") == "1"
    copy.close()  # the copy owns nothing: the original keeps working
    assert not sync_client.is_closed
    sync_client.models.list()


def test_close_stops_the_thread(sync_server: GroqTestServer, backend: str) -> None:
    client = Groq(api_key=TEST_KEY, base_url=sync_server.base_url, backend=backend)
    client.models.list()
    assert _loop_thread_alive(client)
    client.close()
    assert not _loop_thread_alive(client) and client.is_closed
    client.close()  # twice is fine
    with pytest.raises(g.ClientClosedError):
        client.models.list()
    with pytest.raises(g.ClientClosedError), client:
        pass


def test_context_manager_stops_the_thread(sync_server: GroqTestServer, backend: str) -> None:
    with Groq(api_key=TEST_KEY, base_url=sync_server.base_url, backend=backend) as client:
        client.models.list()
    assert not _loop_thread_alive(client)


def test_garbage_collection_stops_the_thread(sync_server: GroqTestServer, backend: str) -> None:
    client = Groq(api_key=TEST_KEY, base_url=sync_server.base_url, backend=backend)
    client.models.list()
    ident = client._loop.thread_id
    del client
    gc.collect()
    for t in threading.enumerate():
        if t.ident == ident:
            t.join(timeout=30)
    assert not any(t.ident == ident and t.is_alive() for t in threading.enumerate())


def test_an_inline_client_lives_as_long_as_what_it_returned(
    sync_server: GroqTestServer, backend: str
) -> None:
    # the client object is dropped at once; the resource keeps it (and its loop) alive
    models = Groq(api_key=TEST_KEY, base_url=sync_server.base_url, backend=backend).models
    assert models.list().data


def test_interpreter_exit_closes_an_unclosed_client(
    sync_server: GroqTestServer, backend: str
) -> None:
    # the client is never closed: at exit its connections are closed and the thread stopped
    script = textwrap.dedent(
        f"""
        import groq_anyio._client as c
        aclose = c.AsyncGroq.aclose
        async def closing(self):
            await aclose(self)
            print("closed", self.pool_stats().connections)
        c.AsyncGroq.aclose = closing
        from groq_anyio import Groq
        client = Groq(api_key={TEST_KEY!r}, base_url={sync_server.base_url!r},
                      backend={backend!r})
        print(len(client.models.list().data))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    count, closed = done.stdout.splitlines()
    assert int(count) > 0
    assert closed == "closed 0"


def test_close_while_another_thread_reads_a_stream(
    sync_server: GroqTestServer, backend: str
) -> None:
    client = Groq(api_key=TEST_KEY, base_url=sync_server.base_url, backend=backend)
    # the body stalls for an hour after its first events
    sync_server.push(
        StallBody(seconds=3600, after_bytes=900, reply=ChatScript(text=" ".join("w" * 40)))
    )
    stream = client.chat.completions.create(model=MODEL, messages=MSGS, stream=True)
    started = threading.Event()
    seen: list[BaseException | str] = []

    def consume() -> None:
        try:
            for _ in stream:
                started.set()
            seen.append("ended")
        except BaseException as exc:
            seen.append(exc)
        finally:
            started.set()

    thread = threading.Thread(target=consume)
    thread.start()
    assert started.wait(30)
    client.close()
    thread.join(30)
    assert not thread.is_alive()
    # a read waiting on the network raises ClientClosedError; one that comes after the close
    # finds the stream released (the async stream's behaviour, which this client passes on)
    assert len(seen) == 1 and (seen[0] == "ended" or isinstance(seen[0], g.ClientClosedError))
    assert not _loop_thread_alive(client)


def test_not_from_inside_its_own_loop(sync_server: GroqTestServer, sync_client: Groq) -> None:
    seen: list[BaseException] = []

    def inside() -> None:
        try:
            sync_client.models.list()
        except RuntimeError as exc:
            seen.append(exc)

    sync_client._loop.portal.call(inside)
    assert seen and "own event loop" in str(seen[0])


def test_import_is_lazy() -> None:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, groq_anyio; groq_anyio.Groq; "
            "print('anyio.from_thread' in sys.modules, 'groq_anyio._client' in sys.modules)",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    # naming the class imports neither the portal machinery nor the async client
    assert out.stdout.split() == ["False", "False"]
