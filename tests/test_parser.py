from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

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


def _file_recorder(api: Api) -> list[Any]:
    """Route a view that parses the body and keeps the files it opened."""
    files: list[Any] = []

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            try:
                await req.media()
            finally:
                files.extend(req._files or ())

    return files


async def test_files_of_a_failed_multipart_parse_are_closed() -> None:
    api = Api()
    files = _file_recorder(api)
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


def _limited(**limits: Any) -> tuple[Api, dict[str, Any]]:
    api = Api(**limits)
    seen: dict[str, Any] = {}

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            seen["media"] = await req.media()

    return api, seen


def _fields(count: int) -> bytes:
    return "&".join(f"f{i}=v" for i in range(count)).encode()


def _field_parts(count: int) -> bytes:
    return _multipart(
        *(
            f'Content-Disposition: form-data; name="f{i}"\r\n\r\nv'.encode()
            for i in range(count)
        )
    )


def _file_parts(count: int) -> bytes:
    return _multipart(
        *(
            b'Content-Disposition: form-data; name="f"; filename="%d"\r\n\r\nx' % i
            for i in range(count)
        )
    )


async def test_nested_json_objects_are_plain_dicts_as_in_0_11() -> None:
    api, seen = _api()
    await _post(api, b"application/json", b'{"items": [{"name": "a"}], "n": {"m": 1}}')
    assert seen["media"]["items"] == [{"name": "a"}]
    assert type(seen["media"]["n"]) is dict


async def test_json_of_exactly_max_json_bytes_is_decoded() -> None:
    api, seen = _limited(max_json_bytes=8)
    raw = await _post(api, b"application/json", b'["1234"]')
    assert raw.status == 200
    assert seen["media"] == ["1234"]


async def test_json_over_max_json_bytes_is_a_413() -> None:
    api, seen = _limited(max_json_bytes=8)
    raw = await _post(api, b"application/json", b'["12345"]')
    assert (raw.status, raw.body) == (413, b"JSON body is over 8 bytes")
    assert seen == {}


async def test_json_over_max_json_bytes_in_utf8_is_a_413() -> None:
    api, _ = _limited(max_json_bytes=8)
    raw = await _post(api, b"application/json", '["éé"]'.encode())
    assert raw.status == 200
    raw = await _post(api, b"application/json", '["ééé"]'.encode())
    assert raw.status == 413


async def test_json_declared_over_max_json_bytes_is_refused_before_reading() -> None:
    api, _ = _limited(max_json_bytes=8)
    raw = await call_http(
        api,
        "POST",
        headers=[(b"content-type", b"application/json"), (b"content-length", b"9")],
        chunks=[b"[1,2,3,4]"],
    )
    assert raw.status == 413


async def test_json_is_limited_to_512_kib_by_default() -> None:
    api, _ = _api()
    body = b'"' + b"x" * (512 * 1024 - 2) + b'"'
    assert (await _post(api, b"application/json", body)).status == 200
    raw = await _post(api, b"application/json", body + b" ")
    assert (raw.status, raw.body) == (413, b"JSON body is over 524288 bytes")


async def test_a_form_of_1000_fields_is_decoded_by_default() -> None:
    api, seen = _api()
    raw = await _post(api, b"application/x-www-form-urlencoded", _fields(1000))
    assert raw.status == 200
    assert len(seen["media"]) == 1000


async def test_a_form_of_1001_fields_is_a_413_by_default() -> None:
    api, seen = _api()
    raw = await _post(api, b"application/x-www-form-urlencoded", _fields(1001))
    assert (raw.status, raw.body) == (413, b"form has more than 1000 fields")
    assert seen == {}


async def test_max_form_fields_is_configurable() -> None:
    api, _ = _limited(max_form_fields=3)
    form = b"application/x-www-form-urlencoded"
    assert (await _post(api, form, _fields(3))).status == 200
    assert (await _post(api, form, _fields(4))).status == 413


async def test_a_large_form_is_decoded_off_the_loop_with_the_same_result() -> None:
    api, seen = _api()
    value = "é&=" * 30_000
    body = urlencode([("a", value), ("b", "")]).encode()
    raw = await _post(api, b"application/x-www-form-urlencoded", body)
    assert raw.status == 200
    assert (seen["media"]["a"], seen["media"]["b"]) == (value, "")


async def test_a_multipart_form_of_1001_fields_is_a_413_by_default() -> None:
    api, seen = _api()
    assert (await _post(api, MULTIPART, _field_parts(1000))).status == 200
    raw = await _post(api, MULTIPART, _field_parts(1001))
    assert (raw.status, raw.body) == (413, b"multipart form has more than 1000 fields")


async def test_a_multipart_form_over_max_form_files_is_a_413() -> None:
    api, _ = _limited(max_form_files=2)
    assert (await _post(api, MULTIPART, _file_parts(2))).status == 200
    raw = await _post(api, MULTIPART, _file_parts(3))
    assert (raw.status, raw.body) == (413, b"multipart form has more than 2 files")


async def test_files_of_a_multipart_form_over_a_limit_are_closed() -> None:
    api = Api(max_form_files=2)
    files = _file_recorder(api)
    raw = await _post(api, MULTIPART, _file_parts(3))
    assert raw.status == 413
    assert len(files) == 2
    assert all(f.closed for f in files)


async def test_a_multipart_field_over_max_form_part_bytes_is_a_413() -> None:
    api, _ = _limited(max_form_part_bytes=4)
    field = b'Content-Disposition: form-data; name="a"\r\n\r\n'
    assert (await _post(api, MULTIPART, _multipart(field + b"1234"))).status == 200
    raw = await _post(api, MULTIPART, _multipart(field + b"12345"))
    assert (raw.status, raw.body) == (413, b"a multipart field is over 4 bytes")


async def test_a_multipart_file_is_not_bound_by_max_form_part_bytes() -> None:
    api, _ = _limited(max_form_part_bytes=4)
    part = b'Content-Disposition: form-data; name="f"; filename="x"\r\n\r\n' + b"x" * 99
    assert (await _post(api, MULTIPART, _multipart(part))).status == 200
