"""``client.audio.transcriptions.create`` / ``client.audio.translations.create``.

Validate every argument (and ``stat`` the file) before anything is sent, stream the upload as
``multipart/form-data`` with an exact ``Content-Length`` (:mod:`groq_anyio._multipart`), then
decode: ``json`` / ``verbose_json`` answers become :class:`~groq_anyio.types.audio.Transcription`
or :class:`~groq_anyio.types.audio.Translation`; ``text`` / ``srt`` / ``vtt`` answers are
returned as ``str``.
"""

from __future__ import annotations

import io
import math
import os
import stat
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, TypeAlias, TypeVar, overload

import anyio.to_thread
import msgspec

from .._capabilities import check_transcription_model
from .._config import Timeout
from .._errors import InvalidParameterError
from .._multipart import BinaryReadable, FilePart, FileSource, is_seekable
from .._notgiven import NOT_GIVEN, NotGiven
from .._timings import start_timings
from ..types.audio import Transcription, Translation
from ._common import APIResource, decode_response, post_form

if TYPE_CHECKING:
    from .._requester import Requester

__all__ = [
    "AUDIO_CONTENT_TYPES",
    "Audio",
    "FileInput",
    "ResponseFormat",
    "Transcriptions",
    "Translations",
]

#: What ``file=`` accepts: a path, the bytes, a binary file object (its ``name`` gives the
#: file name), or ``(filename, bytes_or_file)`` / ``(filename, bytes_or_file, content_type)``.
FileInput: TypeAlias = (
    "str | os.PathLike[str] | bytes | BinaryReadable"
    " | tuple[str, bytes | BinaryReadable] | tuple[str, bytes | BinaryReadable, str]"
)
ResponseFormat: TypeAlias = Literal["json", "verbose_json", "text", "srt", "vtt"]
TimestampGranularity: TypeAlias = Literal["word", "segment"]

#: The file extensions the API accepts and the content type each is uploaded with.
AUDIO_CONTENT_TYPES: Final[Mapping[str, str]] = {
    "flac": "audio/flac",
    "mp3": "audio/mpeg",
    "mp4": "audio/mp4",
    "mpeg": "audio/mpeg",
    "mpga": "audio/mpeg",
    "m4a": "audio/mp4",
    "ogg": "audio/ogg",
    "opus": "audio/ogg",
    "wav": "audio/wav",
    "webm": "audio/webm",
}
_EXTENSIONS: Final = ", ".join(AUDIO_CONTENT_TYPES)
_JSON_FORMATS: Final = frozenset({"json", "verbose_json"})
_TEXT_FORMATS: Final = frozenset({"text", "srt", "vtt"})
_GRANULARITIES: Final = frozenset({"word", "segment"})
_JSON_ACCEPT: Final = b"application/json"
_TEXT_ACCEPT: Final = b"text/plain, text/vtt, application/x-subrip, */*;q=0.5"
_SNIFF_BYTES: Final = 16

_T = TypeVar("_T", Transcription, Translation)
_transcription_decoder: Final = msgspec.json.Decoder(Transcription)
_translation_decoder: Final = msgspec.json.Decoder(Translation)


class Transcriptions(APIResource):
    """``POST /audio/transcriptions``: speech to text in the spoken language."""

    _path: Final = "/audio/transcriptions"

    def __init__(self, client: Requester) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        response_format: Literal["text", "srt", "vtt"],
        file: FileInput | None = None,
        url: str | None = None,
        language: str | None = None,
        prompt: str | None = None,
        temperature: float | None = None,
        timestamp_granularities: Sequence[TimestampGranularity] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> str: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        file: FileInput | None = None,
        url: str | None = None,
        language: str | None = None,
        prompt: str | None = None,
        response_format: Literal["json", "verbose_json"] | None = None,
        temperature: float | None = None,
        timestamp_granularities: Sequence[TimestampGranularity] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> Transcription: ...

    async def create(
        self,
        *,
        model: str,
        file: FileInput | None = None,
        url: str | None = None,
        language: str | None = None,
        prompt: str | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        timestamp_granularities: Sequence[TimestampGranularity] | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> Transcription | str:
        """Transcribe audio: ``file`` (uploaded) or ``url`` (fetched by Groq), exactly one.

        Args:
            model: The model id (``whisper-large-v3``, ``whisper-large-v3-turbo``, ...).
            file: A path, bytes, a binary file object or ``(filename, content[, type])``. The
                file name's extension must be one of flac, mp3, mp4, mpeg, mpga, m4a, ogg,
                opus, wav or webm; it also gives the uploaded content type. Bare bytes and
                nameless file objects are recognised by their header (wav, flac, ogg, mp3,
                mp4/m4a, webm). The file is streamed in 64 KiB chunks, never read whole.
            url: An audio URL for the server to fetch instead of uploading a file.
            language: The ISO-639-1 code of the spoken language (improves speed and accuracy).
            prompt: Text to guide the style or continue a previous segment.
            response_format: ``json`` (default) or ``verbose_json`` return a
                :class:`Transcription`; ``text``, ``srt`` and ``vtt`` return ``str``.
            temperature: Sampling temperature between 0 and 1.
            timestamp_granularities: ``["word"]``, ``["segment"]`` or both; only with
                ``response_format="verbose_json"``.
            extra_headers: Additional request headers.
            extra_query: Additional query parameters.
            extra_body: Additional form fields (they replace same-named ones).
            timeout: The call's total deadline (seconds or a :class:`~groq_anyio.Timeout`).
            check_capabilities: ``False`` skips the check that a model the client knows
                is a Whisper (speech-to-text) model.

        Raises:
            InvalidParameterError: A wrong argument or an unusable file, before any request.
            APIStatusError: The API answered with an error status (a subclass per status).
        """
        return await _create(
            self._client,
            self._path,
            _transcription_decoder,
            model=model,
            file=file,
            url=url,
            language=language,
            prompt=prompt,
            response_format=response_format,
            temperature=temperature,
            timestamp_granularities=timestamp_granularities,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            check_capabilities=check_capabilities,
        )


class Translations(APIResource):
    """``POST /audio/translations``: speech in any supported language to English text."""

    _path: Final = "/audio/translations"

    def __init__(self, client: Requester) -> None:
        self._client = client

    @overload
    async def create(
        self,
        *,
        model: str,
        response_format: Literal["text", "srt", "vtt"],
        file: FileInput | None = None,
        url: str | None = None,
        prompt: str | None = None,
        temperature: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> str: ...

    @overload
    async def create(
        self,
        *,
        model: str,
        file: FileInput | None = None,
        url: str | None = None,
        prompt: str | None = None,
        response_format: Literal["json", "verbose_json"] | None = None,
        temperature: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> Translation: ...

    async def create(
        self,
        *,
        model: str,
        file: FileInput | None = None,
        url: str | None = None,
        prompt: str | None = None,
        response_format: ResponseFormat | None = None,
        temperature: float | None = None,
        extra_headers: Mapping[str, str] | None = None,
        extra_query: Mapping[str, Any] | None = None,
        extra_body: Mapping[str, str] | None = None,
        timeout: float | Timeout | NotGiven | None = NOT_GIVEN,
        check_capabilities: bool = True,
    ) -> Translation | str:
        """Translate audio into English text; arguments as for ``transcriptions.create``.

        ``prompt`` should be in English. ``json`` / ``verbose_json`` return a
        :class:`Translation`; ``text``, ``srt`` and ``vtt`` return ``str``.

        Raises:
            InvalidParameterError: A wrong argument or an unusable file, before any request.
            APIStatusError: The API answered with an error status (a subclass per status).
        """
        return await _create(
            self._client,
            self._path,
            _translation_decoder,
            model=model,
            file=file,
            url=url,
            language=None,
            prompt=prompt,
            response_format=response_format,
            temperature=temperature,
            timestamp_granularities=None,
            extra_headers=extra_headers,
            extra_query=extra_query,
            extra_body=extra_body,
            timeout=timeout,
            check_capabilities=check_capabilities,
        )


class Audio(APIResource):
    """``client.audio``: ``transcriptions``, ``translations`` and ``speech``."""

    def __init__(self, client: Requester) -> None:
        from .speech import Speech

        self.transcriptions = Transcriptions(client)
        self.translations = Translations(client)
        self.speech = Speech(client)


# ------------------------------------------------------------------------------ the one path


async def _create(
    client: Requester,
    path: str,
    decoder: msgspec.json.Decoder[_T],
    *,
    model: str,
    file: FileInput | None,
    url: str | None,
    language: str | None,
    prompt: str | None,
    response_format: str | None,
    temperature: float | None,
    timestamp_granularities: Sequence[str] | None,
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, Any] | None,
    extra_body: Mapping[str, str] | None,
    timeout: float | Timeout | NotGiven | None,
    check_capabilities: bool = True,
) -> _T | str:
    timings = start_timings()
    fields = _form_fields(
        model=model,
        has_file=file is not None,
        url=url,
        language=language,
        prompt=prompt,
        response_format=response_format,
        temperature=temperature,
        timestamp_granularities=timestamp_granularities,
        extra_body=extra_body,
    )
    if check_capabilities:
        check_transcription_model(model)
    text_format = response_format in _TEXT_FORMATS
    raw, data = await post_form(
        client,
        path,
        fields,
        file,
        _file_part,
        timings=timings,
        accept=_TEXT_ACCEPT if text_format else _JSON_ACCEPT,
        extra_headers=extra_headers,
        extra_query=extra_query,
        timeout=timeout,
    )
    if text_format:
        return data.decode("utf-8", "replace")
    return decode_response(raw, data, decoder)


def _form_fields(
    *,
    model: str,
    has_file: bool,
    url: str | None,
    language: str | None,
    prompt: str | None,
    response_format: str | None,
    temperature: float | None,
    timestamp_granularities: Sequence[str] | None,
    extra_body: Mapping[str, str] | None,
) -> list[tuple[str, str]]:
    """The text fields of the form, in order; raises on any invalid argument."""
    if not isinstance(model, str) or not model.strip():
        raise InvalidParameterError("model", "must be a non-empty model id string")
    fields: list[tuple[str, str]] = [("model", model)]
    if has_file == (url is not None):
        raise InvalidParameterError(
            "file", "pass exactly one of file= (an upload) or url= (audio the server fetches)"
        )
    if url is not None:
        if not isinstance(url, str) or not url.strip():
            raise InvalidParameterError("url", "must be a non-empty string")
        fields.append(("url", url))
    if language is not None:
        if not isinstance(language, str) or not language.strip():
            raise InvalidParameterError("language", "must be a non-empty language code string")
        fields.append(("language", language))
    if prompt is not None:
        if not isinstance(prompt, str):
            raise InvalidParameterError("prompt", "must be a string")
        fields.append(("prompt", prompt))
    if response_format is not None:
        if response_format not in _JSON_FORMATS and response_format not in _TEXT_FORMATS:
            raise InvalidParameterError(
                "response_format", "must be one of json, verbose_json, text, srt, vtt"
            )
        fields.append(("response_format", response_format))
    if temperature is not None:
        if (
            isinstance(temperature, bool)
            or not isinstance(temperature, int | float)
            or not math.isfinite(temperature)
            or not 0.0 <= temperature <= 1.0
        ):
            raise InvalidParameterError("temperature", "must be a number between 0 and 1")
        fields.append(("temperature", repr(float(temperature))))
    if timestamp_granularities is not None:
        if isinstance(timestamp_granularities, str | bytes) or not isinstance(
            timestamp_granularities, Sequence
        ):
            raise InvalidParameterError(
                "timestamp_granularities", 'must be a list of "word" and/or "segment"'
            )
        for i, item in enumerate(timestamp_granularities):
            if item not in _GRANULARITIES:
                raise InvalidParameterError(
                    f"timestamp_granularities[{i}]", 'must be "word" or "segment"'
                )
        if timestamp_granularities and response_format != "verbose_json":
            raise InvalidParameterError(
                "timestamp_granularities", 'needs response_format="verbose_json"'
            )
        fields.extend(("timestamp_granularities[]", item) for item in timestamp_granularities)
    if extra_body:
        if not isinstance(extra_body, Mapping):
            raise InvalidParameterError("extra_body", "must be a mapping of field names to strings")
        for key, value in extra_body.items():
            if not isinstance(key, str) or not key:
                raise InvalidParameterError("extra_body", "field names must be non-empty strings")
            if key == "file":
                raise InvalidParameterError("extra_body['file']", "pass the audio as file=")
            fields = [f for f in fields if f[0] != key]
            fields.append((key, _form_value(key, value)))
    return fields


def _form_value(key: str, value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    raise InvalidParameterError(f"extra_body[{key!r}]", "must be a string, number or bool")


# ------------------------------------------------------------------------------------ files


async def _file_part(file: object) -> FilePart:
    """Check ``file`` and turn it into a :class:`FilePart`; raises ``InvalidParameterError``."""
    content_type: str | None = None
    if isinstance(file, tuple):
        if len(file) not in (2, 3) or not isinstance(file[0], str):
            raise InvalidParameterError(
                "file", "a tuple must be (filename, content) or (filename, content, content_type)"
            )
        filename: str | None = file[0]
        source = file[1]
        if len(file) == 3:
            content_type = file[2]
            if not isinstance(content_type, str) or not content_type:
                raise InvalidParameterError("file", "the content type must be a non-empty string")
        if isinstance(source, str | os.PathLike):
            raise InvalidParameterError(
                "file", "a tuple holds the content (bytes or a file object), not a path"
            )
    else:
        filename = None
        source = file
    size: int | None = None
    if isinstance(source, str | os.PathLike):
        path = os.fspath(source)
        if not isinstance(path, str):
            raise InvalidParameterError("file", "a path must be a str or os.PathLike[str]")
        filename = os.path.basename(path)
        _check_extension(filename)  # before touching the disk
        size = await anyio.to_thread.run_sync(_probe_path, path)
    elif isinstance(source, bytes | bytearray | memoryview):
        size = memoryview(source).nbytes
        if filename is None:
            filename = _sniffed_name(bytes(memoryview(source)[:_SNIFF_BYTES]))
    elif callable(getattr(source, "read", None)):
        mode = getattr(source, "mode", None)
        if isinstance(source, io.TextIOBase) or (isinstance(mode, str) and "b" not in mode):
            raise InvalidParameterError("file", "open the file in binary mode ('rb')")
        if filename is None:
            name = getattr(source, "name", None)
            if isinstance(name, bytes):
                name = os.fsdecode(name)
            if isinstance(name, str) and name:
                filename = os.path.basename(name)
            else:
                filename = _sniffed_name(await anyio.to_thread.run_sync(_peek, source))
        size = await anyio.to_thread.run_sync(_remaining_size, source)
    else:
        raise InvalidParameterError(
            "file",
            "must be a path, bytes, a binary file object or a (filename, content) tuple,"
            f" not {type(source).__name__}",
        )
    ext = _check_extension(filename)
    if size == 0:
        raise InvalidParameterError("file", "is empty")
    fsource: FileSource = source
    return FilePart("file", filename, content_type or AUDIO_CONTENT_TYPES[ext], fsource, size=size)


def _check_extension(filename: str) -> str:
    base, dot, ext = filename.rpartition(".")
    ext = ext.lower()
    if not dot or not base or ext not in AUDIO_CONTENT_TYPES:
        raise InvalidParameterError(
            "file", f"file name {filename!r} must end in one of: {_EXTENSIONS}"
        )
    return ext


def _probe_path(path: str) -> int:
    """Open (so a missing or unreadable file fails now), check it is a regular file, size it."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
    except FileNotFoundError:
        raise InvalidParameterError("file", f"no such file: {path!r}") from None
    except OSError as exc:
        raise InvalidParameterError("file", f"cannot open {path!r}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InvalidParameterError("file", f"{path!r} is not a regular file")
    return st.st_size


def _remaining_size(f: Any) -> int | None:
    """Bytes from the current position to the end (``None``: not seekable, size unknown)."""
    if not is_seekable(f):
        return None
    try:
        pos: int = f.tell()
        end: int = f.seek(0, os.SEEK_END)
        f.seek(pos)
    except (OSError, ValueError) as exc:
        raise InvalidParameterError("file", f"cannot be read: {exc}") from None
    return max(0, end - pos)


def _peek(f: Any) -> bytes:
    """The first bytes of a seekable file object, leaving its position where it was."""
    if not is_seekable(f):
        return b""
    pos = f.tell()
    try:
        head = f.read(_SNIFF_BYTES)
    finally:
        f.seek(pos)
    return head if isinstance(head, bytes) else b""


def _sniffed_name(head: bytes) -> str:
    """``audio.<ext>`` from the container signature of the first bytes."""
    ext: str | None = None
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        ext = "wav"
    elif head[:4] == b"fLaC":
        ext = "flac"
    elif head[:4] == b"OggS":
        ext = "ogg"
    elif head[:4] == b"\x1a\x45\xdf\xa3":
        ext = "webm"
    elif head[4:8] == b"ftyp":
        ext = "m4a" if head[8:12] in (b"M4A ", b"M4B ") else "mp4"
    elif head[:3] == b"ID3" or (len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        ext = "mp3"
    if ext is None:
        raise InvalidParameterError(
            "file",
            "cannot tell the audio format of unnamed content: pass (filename, content) with a"
            f" file name ending in one of: {_EXTENSIONS}",
        )
    return "audio." + ext
