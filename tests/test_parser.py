from __future__ import annotations

from typing import Any

import pytest

from spangle import Api, Request, Response
from spangle.parser import UploadedFile
from tests.support.asgi_http import RawResponse, call_http

BOUNDARY = b"XyZ"


def _api(parse_as: str | None = None) -> tuple[Api, dict[str, Any]]:
    api = Api()
    seen: dict[str, Any] = {}

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            seen["media"] = await req.media(parse_as=parse_as)

    return api, seen


async def _post(api: Api, content_type: bytes, *chunks: bytes) -> RawResponse:
    return await call_http(
        api,
        "POST",
        headers=[(b"content-type", content_type)],
        chunks=list(chunks) or [b""],
    )


def _multipart(*parts: bytes, end: bool = True) -> bytes:
    body = b"".join(b"--" + BOUNDARY + b"\r\n" + part + b"\r\n" for part in parts)
    return body + (b"--" + BOUNDARY + b"--\r\n" if end else b"")


MULTIPART = b"multipart/form-data; boundary=" + BOUNDARY


async def test_malformed_json_is_a_400() -> None:
    api, _ = _api()
    raw = await _post(api, b"application/json", b'{"a": ')
    assert raw.status == 400
    assert b"JSON" in raw.body


async def test_empty_json_body_is_a_400() -> None:
    api, _ = _api()
    assert (await _post(api, b"application/json")).status == 400


async def test_deeply_nested_json_is_a_400_not_a_recursion_crash() -> None:
    api, _ = _api()
    raw = await _post(api, b"application/json", b"[" * 100_000 + b"]" * 100_000)
    assert raw.status == 400


async def test_json_in_its_declared_charset_is_decoded() -> None:
    api, seen = _api()
    body = '{"a": "é"}'.encode("utf-16")
    raw = await _post(api, b"application/json; charset=utf-16", body)
    assert raw.status == 200
    assert seen["media"] == {"a": "é"}


async def test_json_subtypes_are_parsed_as_json() -> None:
    api, seen = _api()
    await _post(api, b"application/problem+json", b'{"a": 1}')
    assert seen["media"] == {"a": 1}


async def test_form_keeps_blank_values_and_repeats() -> None:
    api, seen = _api()
    await _post(api, b"application/x-www-form-urlencoded", b"a=1&a=2&b=&c=x+y")
    assert seen["media"].getall("a") == ["1", "2"]
    assert seen["media"]["b"] == ""
    assert seen["media"]["c"] == "x y"


async def test_form_with_a_wrong_charset_is_a_400() -> None:
    api, _ = _api()
    raw = await _post(api, b"application/x-www-form-urlencoded; charset=nope", b"a=1")
    assert raw.status == 400


async def test_multipart_streams_fields_and_files_across_chunks() -> None:
    api, seen = _api()
    body = _multipart(
        b'Content-Disposition: form-data; name="title"\r\n\r\nhello',
        b'Content-Disposition: form-data; name="f"; filename="a;b.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nfile data",
    )
    chunks = [body[i : i + 7] for i in range(0, len(body), 7)] + [b""]
    raw = await _post(api, MULTIPART, *chunks)
    assert raw.status == 200
    media = seen["media"]
    assert media["title"] == "hello"
    upload = media["f"]
    assert isinstance(upload, UploadedFile)
    assert (upload.filename, upload.mimetype) == ("a;b.txt", "text/plain")
    assert upload.file.closed


async def test_multipart_file_without_type_is_octet_stream() -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            upload = (await req.media())["f"]
            resp.text = f"{upload.mimetype} {upload.file.read().decode()}"

    body = _multipart(
        b'Content-Disposition: form-data; name="f"; filename="x"\r\n\r\nabc'
    )
    raw = await _post(api, MULTIPART, body)
    assert raw.body == b"application/octet-stream abc"


async def test_parse_as_form_reads_multipart_too() -> None:
    api, seen = _api(parse_as="form")
    body = _multipart(b'Content-Disposition: form-data; name="a"\r\n\r\n1')
    await _post(api, MULTIPART, body)
    assert seen["media"]["a"] == "1"


async def test_multipart_without_boundary_is_a_400() -> None:
    api, _ = _api()
    raw = await _post(api, b"multipart/form-data", b"--x\r\n")
    assert raw.status == 400


async def test_broken_multipart_body_is_a_400() -> None:
    api, _ = _api()
    raw = await _post(api, MULTIPART, b"--XyZ\r\nthis is not a header line\r\n\r\n")
    assert raw.status == 400


async def test_truncated_multipart_body_is_a_400() -> None:
    api, _ = _api()
    body = _multipart(b'Content-Disposition: form-data; name="a"\r\n\r\n1', end=False)
    raw = await _post(api, MULTIPART, body)
    assert raw.status == 400


async def test_multipart_part_without_a_name_is_a_400() -> None:
    api, _ = _api()
    body = _multipart(b"Content-Disposition: attachment\r\n\r\n1")
    raw = await _post(api, MULTIPART, body)
    assert raw.status == 400


async def test_multipart_field_invalid_in_its_charset_is_a_400() -> None:
    api, _ = _api()
    body = _multipart(b'Content-Disposition: form-data; name="a"\r\n\r\n\xff\xfe')
    raw = await _post(api, MULTIPART, body)
    assert raw.status == 400


async def test_files_of_a_failed_multipart_parse_are_closed() -> None:
    api = Api()
    files: list[Any] = []

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            try:
                await req.media()
            finally:
                files.extend(req._files or ())

    body = _multipart(
        b'Content-Disposition: form-data; name="f"; filename="x"\r\n\r\nabc', end=False
    )
    raw = await _post(api, MULTIPART, body)
    assert raw.status == 400
    assert files and all(f.closed for f in files)


async def test_unsupported_media_type_is_a_400() -> None:
    api, _ = _api()
    raw = await _post(api, b"application/xml", b"<a/>")
    assert raw.status == 400


async def test_missing_content_type_is_a_400() -> None:
    api, _ = _api()
    raw = await call_http(api, "POST", chunks=[b"a=1"])
    assert raw.status == 400


async def test_unknown_parse_as_is_a_parse_error() -> None:
    api, _ = _api(parse_as="yaml")
    raw = await _post(api, b"application/json", b"{}")
    assert raw.status == 400


@pytest.mark.parametrize(
    ("parse_as", "status"), [("json", 400), ("form", 200), ("multipart", 400)]
)
async def test_parse_as_ignores_content_type(parse_as: str, status: int) -> None:
    api, _ = _api(parse_as=parse_as)
    raw = await _post(api, b"text/plain", b"garbage{")
    assert raw.status == status


async def test_undecodable_filename_falls_back_to_latin1() -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            resp.text = (await req.media())["f"].filename

    body = _multipart(
        b'Content-Disposition: form-data; name="f"; filename="\xe9.txt"\r\n\r\nx'
    )
    raw = await _post(api, MULTIPART, body)
    assert raw.body == "é.txt".encode()
