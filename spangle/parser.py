"""Request body parsers and the uploaded-file type.

`Request.media()` picks a parser from `Content-Type` (or `parse_as`). Every
parser turns a malformed body into `ParseError` (400), never a 500, and a body
over one of the Api's limits into `TooLargeRequestError` (413).

No body stalls the event loop for long: JSON is decoded on the loop, so its
size is capped (`Api(max_json_bytes=512 KiB)`, about 30 ms of decoding); a large
urlencoded form is decoded in a worker thread, whose pure-Python loop lets the
event loop run between steps; multipart bodies are parsed chunk by chunk as
they arrive.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from tempfile import SpooledTemporaryFile
from typing import IO, TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl

from multidict import MultiDict, MultiDictProxy

from spangle._internal.headers import parse_content_type
from spangle.component import api_ctx
from spangle.exceptions import ParseError, TooLargeRequestError

if TYPE_CHECKING:
    from spangle.models.http import Request

__all__ = [
    "UploadedFile",
    "BodyParser",
    "parse_body",
    "parse_json",
    "parse_form",
    "parse_multipart",
]

BodyParser = Callable[["Request"], Awaitable[Any]]
"""An async function turning a request's body into a value."""

MiB = 1024 * 1024
# Uploads stay in memory up to this size, then spill to a temporary file.
_SPOOL_BYTES = MiB
# Urlencoded bodies larger than this are decoded in a worker thread: the
# hop costs about 0.1 ms, a 64 KiB form of escapes about 6 ms on the loop.
_FORM_THREAD_BYTES = 64 * 1024

# python-multipart logs a warning for each malformed body before raising,
# which spangle answers with a 400 itself. With no handler, Python's
# last-resort handler would print those lines bare on stderr; with this one
# they reach the root logger only when the application configured one.
logging.getLogger("python_multipart").addHandler(logging.NullHandler())


@dataclass(frozen=True)
class _BodyLimits:
    """The limits a body parser enforces, taken from the serving `Api`.

    Attributes:
        json_bytes: The largest JSON body decoded.
        form_fields: The most fields of a form (urlencoded pairs, or
            multipart parts without a filename).
        form_files: The most files of a multipart form.
        form_part_bytes: The largest multipart field (not file).
    """

    json_bytes: int = 512 * 1024
    form_fields: int = 1000
    form_files: int = 1000
    form_part_bytes: int = MiB


def _body_limits() -> _BodyLimits:
    """Return the limits of the Api serving the current request.

    Returns:
        Its limits, or the defaults outside of an Api.
    """
    api = api_ctx.get(None)
    if api is None:
        return _BodyLimits()
    return _BodyLimits(
        api.max_json_bytes,
        api.max_form_fields,
        api.max_form_files,
        api.max_form_part_bytes,
    )


class UploadedFile(NamedTuple):
    """A file sent in a multipart form.

    Attributes:
        filename: The name the client gave.
        file: The data, a binary file object positioned at the start; it is
            closed when the response has been sent.
        mimetype: The type the client gave (`application/octet-stream` if none).
    """

    filename: str
    file: IO[bytes]
    mimetype: str


async def parse_json(req: Request) -> Any:
    """Decode a JSON body; an object becomes a `MultiDictProxy`, as in 0.11.

    Args:
        req: The request.

    Returns:
        The decoded value: a `MultiDictProxy` of the top-level object's
        members (nested objects are `dict`s), or the array or scalar.

    Raises:
        ParseError: The body is not valid JSON in its charset.
        TooLargeRequestError: The body is over the Api's `max_json_bytes`.
    """
    limit = _body_limits().json_bytes
    if _declared_length(req) > limit:
        raise TooLargeRequestError(f"JSON body is over {limit} bytes")
    text = await req.text
    # Characters, not bytes, but no fewer than bytes: a cheap first test.
    if len(text) > limit or len(text.encode("utf-8")) > limit:
        raise TooLargeRequestError(f"JSON body is over {limit} bytes")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        raise ParseError("the body is not valid JSON") from None
    return MultiDictProxy(MultiDict(value)) if isinstance(value, dict) else value


async def parse_form(req: Request) -> MultiDictProxy[str]:
    """Decode an `application/x-www-form-urlencoded` body.

    Args:
        req: The request.

    Returns:
        The fields; repeated names kept, blank values kept.

    Raises:
        ParseError: The charset is unknown or does not decode the body.
        TooLargeRequestError: The form has more `&`-separated parts than the
            Api's `max_form_fields`.
    """
    text = await req.text
    limit = _body_limits().form_fields
    if text.count("&") >= limit:
        raise TooLargeRequestError(f"form has more than {limit} fields")
    if len(text) <= _FORM_THREAD_BYTES:
        pairs = _decode_form(text, req.charset)
    else:
        pairs = await asyncio.to_thread(_decode_form, text, req.charset)
    return MultiDictProxy(MultiDict(pairs))


def _decode_form(text: str, charset: str) -> list[tuple[str, str]]:
    return parse_qsl(text, keep_blank_values=True, encoding=charset)


async def parse_multipart(req: Request) -> MultiDictProxy[str | UploadedFile]:
    """Decode a `multipart/form-data` body while it streams in.

    Files are spooled to temporary files past 1 MiB; fields are decoded
    with the body's charset (UTF-8 by default).

    Args:
        req: The request.

    Returns:
        Fields as `str` and files as `UploadedFile`, repeated names kept.

    Raises:
        ParseError: No boundary, or a broken or truncated body.
        TooLargeRequestError: More fields or files than the Api's
            `max_form_fields` / `max_form_files`, or a field or a part's
            headers over `max_form_part_bytes`.
    """
    mimetype, options = parse_content_type(req.headers.get("content-type", ""))
    boundary = options.get("boundary", "")
    if not boundary:
        raise ParseError("multipart/form-data without a boundary")
    collector = _PartCollector(
        options.get("charset") or "utf-8", _body_limits(), req.close_later
    )
    # python-multipart is imported with the first multipart body: `import
    # spangle` (which needs `UploadedFile`) does not pay for it.
    from python_multipart.exceptions import MultipartParseError
    from python_multipart.multipart import MultipartParser

    parser = MultipartParser(boundary, collector.callbacks())
    try:
        async for chunk in req.stream():
            parser.write(chunk)
        parser.finalize()
    except MultipartParseError:
        raise ParseError("malformed multipart body") from None
    if not collector.ended:
        raise ParseError("truncated multipart body")
    return MultiDictProxy(collector.result)


class _PartCollector:
    """Turns python-multipart callbacks into fields and files."""

    def __init__(
        self,
        charset: str,
        limits: _BodyLimits,
        close_later: Callable[[IO[bytes]], None],
    ) -> None:
        self.charset = charset
        self.limits = limits
        # Each file opened is closed with the request, even if parsing fails.
        self.close_later = close_later
        self._fields = 0
        self.result: MultiDict[str | UploadedFile] = MultiDict()
        self.files = 0
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = bytearray()
        self._value = bytearray()
        self._name = ""
        self._upload: UploadedFile | None = None
        self._data = bytearray()

    def callbacks(self) -> Any:
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._data = bytearray()
        self._upload = None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]

    def _header_end(self) -> None:
        self._headers[bytes(self._field).lower()] = bytes(self._value)
        self._field.clear()
        self._value.clear()

    def _headers_finished(self) -> None:
        disposition = self._headers.get(b"content-disposition", b"")
        from python_multipart.multipart import parse_options_header

        kind, params = parse_options_header(disposition.decode("latin-1"))
        if kind != b"form-data" or b"name" not in params:
            raise ParseError("a multipart part lacks a form-data name")
        self._name = _decode(params[b"name"], self.charset)
        if b"filename" not in params:
            self._fields += 1
            if self._fields > self.limits.form_fields:
                raise TooLargeRequestError(
                    f"multipart form has more than {self.limits.form_fields} fields"
                )
        elif self.files >= self.limits.form_files:
            raise TooLargeRequestError(
                f"multipart form has more than {self.limits.form_files} files"
            )
        else:
            file: IO[bytes] = SpooledTemporaryFile(max_size=_SPOOL_BYTES)  # noqa: SIM115
            self.files += 1
            self.close_later(file)
            mimetype = self._headers.get(b"content-type", b"").decode("latin-1")
            self._upload = UploadedFile(
                _decode(params[b"filename"], "utf-8"),
                file,
                mimetype.strip() or "application/octet-stream",
            )

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._upload is not None:
            self._upload.file.write(data[start:end])
        else:
            self._data += data[start:end]
            self._check_part(len(self._data))

    def _part_end(self) -> None:
        if self._upload is not None:
            self._upload.file.seek(0)
            self.result.add(self._name, self._upload)
            return
        try:
            self.result.add(self._name, self._data.decode(self.charset))
        except (LookupError, ValueError):
            raise ParseError(f"a form field is not valid {self.charset}") from None

    def _end(self) -> None:
        self.ended = True

    def _check_part(self, size: int) -> None:
        if size > self.limits.form_part_bytes:
            raise TooLargeRequestError(
                f"a multipart field is over {self.limits.form_part_bytes} bytes"
            )


def _declared_length(req: Request) -> int:
    try:
        return int(req.headers.get("content-length", -1))
    except ValueError:
        return -1


def _decode(raw: bytes, charset: str) -> str:
    try:
        return raw.decode(charset)
    except (LookupError, ValueError):
        return raw.decode("latin-1")


_PARSERS: dict[str, BodyParser] = {
    "json": parse_json,
    "form": parse_form,
    "multipart": parse_multipart,
}
_BY_MIMETYPE = {
    "application/json": "json",
    "application/x-www-form-urlencoded": "form",
    "multipart/form-data": "multipart",
}


async def parse_body(req: Request, parse_as: str | None = None) -> Any:
    """Parse a body with the parser its `Content-Type` (or `parse_as`) names.

    Args:
        req: The request.
        parse_as: `"json"`, `"form"` or `"multipart"`; `"form"` reads a
            multipart body too. `None` chooses from `Content-Type`, where any
            `+json` type counts as JSON.

    Returns:
        What the parser returns.

    Raises:
        ParseError: The body is malformed or its type is not supported (400),
            or `parse_as` names no parser (also a `ValueError`).
    """
    mimetype = req.mimetype
    if parse_as is None:
        kind = _BY_MIMETYPE.get(mimetype)
        if kind is None and mimetype.endswith("+json"):
            kind = "json"
        if kind is None:
            raise ParseError(f"unsupported media type {mimetype or '(none)'!r}")
    elif parse_as not in _PARSERS:
        raise ParseError(
            f"parse_as must be one of {sorted(_PARSERS)}, not {parse_as!r}"
        )
    else:
        kind = parse_as
    if kind == "form" and mimetype == "multipart/form-data":
        kind = "multipart"
    return await _PARSERS[kind](req)
