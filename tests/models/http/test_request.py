from __future__ import annotations

import io
from typing import Any

import pytest
from multidict import MultiDictProxy

from spangle import Api, Request, Response, UploadedFile
from spangle._internal.asgi import Message
from tests.support.asgi_http import call_http


def _capture(api: Api, read: Any, path: str = "/") -> dict[str, Any]:
    """Route a view at `path` that stores `await read(req)` in the result."""
    seen: dict[str, Any] = {}

    @api.route(path)
    class View:
        allowed_methods = ["POST"]

        async def on_request(self, req: Request, resp: Response) -> None:
            seen["value"] = await read(req)

    return seen


async def test_headers_are_case_insensitive_and_keep_repeats() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.headers["X-Tag"], req.headers.getall("x-tag")

    seen = _capture(api, read)
    async with api.client() as client:
        await client.get("/", headers={"x-tag": "a"})
    assert seen["value"] == ("a", ["a"])
    raw = await call_http(api, headers=[(b"x-tag", b"a"), (b"x-tag", b"b")])
    assert raw.status == 200
    assert seen["value"] == ("a", ["a", "b"])


async def test_method_is_lower_case() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.method

    seen = _capture(api, read)
    async with api.client() as client:
        await client.get("/")
    assert seen["value"] == "get"


async def test_url_and_full_url_describe_the_request() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.url.path, req.url.query, req.full_url

    seen = _capture(api, read, "/p")
    async with api.client() as client:
        await client.get("/p?a=1")
    assert seen["value"] == ("/p", "a=1", "http://www.example.com/p?a=1")


async def test_params_keep_repeated_keys_and_blank_values() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.params.getall("a"), req.params["b"]

    seen = _capture(api, read)
    async with api.client() as client:
        await client.get("/?a=1&a=2&b=")
    assert seen["value"] == (["1", "2"], "")


async def test_cookies_are_parsed_from_the_cookie_header() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.cookies

    seen = _capture(api, read)
    async with api.client() as client:
        await client.get("/", cookies={"a": "1", "b": "two"})
    assert seen["value"] == {"a": "1", "b": "two"}


async def test_client_and_version_come_from_the_scope() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        assert req.client is not None
        return req.client.host, req.version

    seen = _capture(api, read)
    await call_http(api)
    assert seen["value"] == ("127.0.0.1", "1.1")


async def test_mimetype_drops_parameters_and_case() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.mimetype

    seen = _capture(api, read)
    await call_http(api, headers=[(b"content-type", b"Text/HTML; charset=UTF-8")])
    assert seen["value"] == "text/html"
    await call_http(api)
    assert seen["value"] == ""


@pytest.mark.parametrize(
    ("accept", "asked", "expected"),
    [
        (
            "text/html, application/json;q=0.5",
            "application/json",
            ("application/json", 0.5),
        ),
        ("text/*;q=0.3", "text/plain", ("text/*", 0.3)),
        ("*/*;q=0.1", "image/png", ("*/*", 0.1)),
        ("text/html", "application/json", None),
        ("text/*;q=0.9, text/html;q=0", "text/html", None),
        ("application/json;q=bogus, text/html", "text/html", ("text/html", 1.0)),
        ("TEXT/Html", "text/html", ("text/html", 1.0)),
        ("garbage, , ;;", "text/html", None),
    ],
)
async def test_accept_picks_the_most_specific_entry(
    accept: str, asked: str, expected: tuple[str, float] | None
) -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.accept(asked)

    seen = _capture(api, read)
    async with api.client() as client:
        await client.get("/", headers={"accept": accept})
    assert seen["value"] == expected


async def test_accept_without_header_accepts_everything() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return req.accept("image/png")

    seen = _capture(api, read)
    await call_http(api)
    assert seen["value"] == ("*/*", 1.0)


async def test_content_and_text_read_the_body_once() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return await req.content, await req.content, await req.text

    seen = _capture(api, read)
    await call_http(api, "POST", chunks=[b"he", b"llo"])
    assert seen["value"] == (b"hello", b"hello", "hello")


async def test_text_uses_the_charset_of_content_type() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return await req.text

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post(
            "/",
            content="café".encode("latin-1"),
            headers={"content-type": "text/plain; charset=latin-1"},
        )
    assert seen["value"] == "café"


async def test_body_invalid_in_its_charset_is_a_400() -> None:
    api = Api()
    _capture(api, lambda req: req.text)
    async with api.client() as client:
        resp = await client.post(
            "/", content=b"\xff\xfe\xfa", headers={"content-type": "text/plain"}
        )
    assert resp.status_code == 400


async def test_unknown_charset_is_a_400() -> None:
    api = Api()
    _capture(api, lambda req: req.text)
    async with api.client() as client:
        for charset in ("no-such-charset", "rot13", "base64"):
            resp = await client.post(
                "/",
                content=b"abc",
                headers={"content-type": f"text/plain; charset={charset}"},
            )
            assert resp.status_code == 400, charset
            assert "charset" in resp.text


async def test_body_over_max_upload_bytes_is_a_413() -> None:
    api = Api(max_upload_bytes=4)
    _capture(api, lambda req: req.content)
    async with api.client() as client:
        resp = await client.post("/", content=b"12345")
        ok = await client.post("/", content=b"1234")
    assert resp.status_code == 413
    assert ok.status_code == 200


async def test_announced_oversize_body_is_refused_before_reading() -> None:
    api = Api(max_upload_bytes=4)
    _capture(api, lambda req: req.content)
    received: list[Message] = []

    async def receive() -> Message:
        received.append({"type": "http.request"})
        return {"type": "http.request", "body": b"x" * 100}

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/",
        "headers": [(b"content-length", b"100")],
        "query_string": b"",
    }
    await api(scope, receive, send)
    assert sent[0]["status"] == 413
    assert received == []


async def test_streamed_oversize_body_without_length_is_a_413() -> None:
    api = Api(max_upload_bytes=10)
    _capture(api, lambda req: req.content)
    raw = await call_http(api, "POST", chunks=[b"123456", b"789012", b""])
    assert raw.status == 413
    ok = await call_http(api, "POST", chunks=[b"12345", b"67890", b""])
    assert ok.status == 200


async def test_max_upload_bytes_can_be_raised_per_request() -> None:
    api = Api(max_upload_bytes=2)

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            req.max_upload_bytes = 100
            resp.text = (await req.text).upper()

    async with api.client() as client:
        resp = await client.post("/", content=b"hello")
    assert resp.text == "HELLO"


async def test_disconnect_before_the_body_ends_is_a_400() -> None:
    api = Api()
    _capture(api, lambda req: req.content)
    assert await _truncated(api) == 400


async def _truncated(api: Api) -> int:
    messages = [{"type": "http.request", "body": b"a", "more_body": True}]
    status: list[int] = []

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    await api(scope, receive, send)
    return status[0]


async def test_media_decodes_a_json_object_to_a_multidict_proxy_once() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        media = await req.media()
        return type(media), media["user"]["name"], await req.media() is media

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post("/", json={"user": {"name": "ann"}})
    assert seen["value"] == (MultiDictProxy, "ann", True)


async def test_media_returns_a_json_array_as_a_list() -> None:
    api = Api()
    seen = _capture(api, lambda req: req.media())
    async with api.client() as client:
        await client.post("/", json=[1, 2])
    assert seen["value"] == [1, 2]


async def test_media_decodes_json_arrays_as_lists() -> None:
    api = Api()
    seen = _capture(api, lambda req: req.media())
    async with api.client() as client:
        await client.post("/", json=[1, 2])
    assert seen["value"] == [1, 2]


async def test_media_decodes_an_urlencoded_form() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        media = await req.media()
        return media.getall("a"), media["b"]

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post("/", form={"a": ["1", "2"], "b": "x y"})
    assert seen["value"] == (["1", "2"], "x y")


async def test_media_decodes_multipart_fields_and_files() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        media = await req.media()
        upload = media["doc"]
        assert isinstance(upload, UploadedFile)
        return media["title"], upload.filename, upload.mimetype, upload.file.read()

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post(
            "/",
            form={"title": "héllo"},
            files={"doc": ("ré.txt", b"data", "text/plain")},
        )
    assert seen["value"] == ("héllo", "ré.txt", "text/plain", b"data")


async def test_uploaded_files_are_closed_after_the_response() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return (await req.media())["doc"]

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post("/", files={"doc": ("a.bin", b"x" * 2_000_000)})
    assert seen["value"].file.closed


async def test_media_uses_a_custom_parser() -> None:
    api = Api()

    async def upper(req: Request) -> str:
        return (await req.text).upper()

    async def read(req: Request) -> Any:
        return await req.media(parser=upper)

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post("/", content=b"abc")
    assert seen["value"] == "ABC"


async def test_media_parse_as_overrides_content_type() -> None:
    api = Api()
    seen = _capture(api, lambda req: req.media(parse_as="json"))
    async with api.client() as client:
        await client.post(
            "/", content=b'{"a": 1}', headers={"content-type": "text/plain"}
        )
    assert seen["value"] == {"a": 1}


async def test_media_of_an_unsupported_type_is_a_400() -> None:
    api = Api()
    _capture(api, lambda req: req.media())
    async with api.client() as client:
        resp = await client.post(
            "/", content=b"abc", headers={"content-type": "text/csv"}
        )
    assert resp.status_code == 400


async def test_content_after_a_streamed_multipart_body_raises() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        await req.media()
        with pytest.raises(RuntimeError, match="consumed"):
            await req.content
        return "checked"

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post("/", files={"f": ("a", b"b")})
    assert seen["value"] == "checked"


async def test_state_is_a_fresh_addict_per_request() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        req.state.user.name = "x"
        return req.state

    seen = _capture(api, read)
    async with api.client() as client:
        await client.get("/")
        first = seen["value"]
        await client.get("/")
    assert first.user.name == "x"
    assert seen["value"] is not first


async def test_push_sends_a_push_promise_when_the_server_offers_it() -> None:
    api = Api()
    seen = _capture(api, lambda req: req.push("/static/app.css"))
    raw = await call_http(
        api,
        headers=[(b"accept", b"text/css"), (b"cookie", b"secret=1")],
        extensions={"http.response.push": {}},
    )
    assert seen["value"] is None
    push = raw.messages[0]
    assert push == {
        "type": "http.response.push",
        "path": "/static/app.css",
        "headers": [(b"accept", b"text/css")],
    }


async def test_push_without_server_support_does_nothing() -> None:
    api = Api()
    _capture(api, lambda req: req.push("/x"))
    raw = await call_http(api)
    assert [m["type"] for m in raw.messages] == [
        "http.response.start",
        "http.response.body",
    ]


async def test_media_after_content_parses_the_kept_body() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        raw = await req.content
        media = await req.media()
        return raw.startswith(b"--"), media["a"]

    seen = _capture(api, read)
    async with api.client() as client:
        await client.post("/", files={"a": (None, b"1")})
    assert seen["value"] == (True, "1")


async def test_bogus_content_length_is_ignored_for_the_limit() -> None:
    api = Api()
    seen = _capture(api, lambda req: req.content)
    raw = await call_http(
        api, "POST", headers=[(b"content-length", b"abc")], chunks=[b"data"]
    )
    assert raw.status == 200
    assert seen["value"] == b"data"


async def test_stream_yields_the_body_chunk_by_chunk() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        return [chunk async for chunk in req.stream()]

    seen = _capture(api, read)
    raw = await call_http(api, "POST", chunks=[b"ab", b"", b"cd"])
    assert raw.status == 200
    assert seen["value"] == [b"ab", b"cd"]


async def test_stream_after_content_yields_the_kept_body_once() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        await req.content
        return [chunk async for chunk in req.stream()]

    seen = _capture(api, read)
    await call_http(api, "POST", chunks=[b"ab", b"cd"])
    assert seen["value"] == [b"abcd"]


async def test_a_body_streamed_twice_raises_runtime_error() -> None:
    api = Api()

    async def read(req: Request) -> Any:
        [chunk async for chunk in req.stream()]
        with pytest.raises(RuntimeError, match="consumed by a streaming read"):
            [chunk async for chunk in req.stream()]
        return "checked"

    seen = _capture(api, read)
    await call_http(api, "POST", chunks=[b"ab"])
    assert seen["value"] == "checked"


async def test_stream_refuses_a_body_over_max_upload_bytes_with_413() -> None:
    api = Api(max_upload_bytes=3)

    async def read(req: Request) -> Any:
        return [chunk async for chunk in req.stream()]

    _capture(api, read)
    raw = await call_http(api, "POST", chunks=[b"ab", b"cd"])
    assert (raw.status, raw.body) == (413, b"request body is over 3 bytes")


async def test_a_file_handed_to_close_later_is_closed_after_the_response() -> None:
    api = Api()
    opened = io.BytesIO()
    closed_in_view: list[bool] = []

    async def read(req: Request) -> Any:
        req.close_later(opened)
        closed_in_view.append(opened.closed)
        return None

    _capture(api, read)
    async with api.client() as client:
        await client.post("/")
    assert closed_in_view == [False]
    assert opened.closed


def test_close_twice_does_nothing_the_second_time() -> None:
    req = Request({"type": "http", "headers": []}, _never, _never)
    file = io.BytesIO()
    req.close_later(file)
    req.close()
    req.close()
    assert file.closed


async def _never(*args: Any) -> Any:
    raise AssertionError("not called")
