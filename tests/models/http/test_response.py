from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone

import pytest

from spangle import Api, Request, Response
from spangle.models.http.response import (
    _LENGTH_HEADERS,
    _LENGTH_HEADERS_MAX,
    _length_header,
)
from spangle.testing import HttpTestResponse
from tests.support.asgi_http import call_http


async def _serve(
    fill: Callable[[Response], object], path: str = "/"
) -> HttpTestResponse:
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            fill(resp)

    async with api.client() as client:
        return await client.get(path, allow_redirects=False)


async def test_a_new_response_is_an_empty_200() -> None:
    resp = await _serve(lambda resp: None)
    assert resp.status_code == 200
    assert resp.content == b""
    assert resp.headers["content-length"] == "0"
    assert "content-type" not in resp.headers


async def test_text_body_is_sent_as_utf8_plain_text() -> None:
    def fill(resp: Response) -> None:
        resp.text = "héllo"

    resp = await _serve(fill)
    assert resp.headers["content-type"] == "text/plain; charset=utf-8"
    assert resp.content == "héllo".encode()
    assert resp.headers["content-length"] == str(len("héllo".encode()))


async def test_content_body_is_sent_as_octet_stream() -> None:
    def fill(resp: Response) -> None:
        resp.content = b"\x00\x01"

    resp = await _serve(fill)
    assert resp.headers["content-type"] == "application/octet-stream"
    assert resp.content == b"\x00\x01"


async def test_json_body_is_built_with_dot_access() -> None:
    def fill(resp: Response) -> None:
        resp.json.user.name = "ann"
        resp.json.tags = ["a"]

    resp = await _serve(fill)
    assert resp.headers["content-type"] == "application/json"
    assert resp.json == {"user": {"name": "ann"}, "tags": ["a"]}


async def test_json_body_can_be_any_json_value() -> None:
    def fill(resp: Response) -> None:
        resp.json = [1, "é"]

    resp = await _serve(fill)
    assert resp.json == [1, "é"]


async def test_unserializable_json_is_a_500_not_a_crash() -> None:
    def fill(resp: Response) -> None:
        resp.json = {"when": object()}

    resp = await _serve(fill)
    assert resp.status_code == 500


async def test_streaming_body_sends_chunks_in_order() -> None:
    async def chunks() -> AsyncIterator[bytes | str]:
        yield "a"
        yield b"b"
        yield ""
        yield "c"

    def fill(resp: Response) -> None:
        resp.streaming = chunks()

    resp = await _serve(fill)
    assert resp.text == "abc"
    assert resp.headers["content-type"] == "application/octet-stream"
    assert "content-length" not in resp.headers


async def test_streaming_sends_each_chunk_as_its_own_message() -> None:
    api = Api()

    async def chunks() -> AsyncIterator[bytes | str]:
        yield "one"
        yield "two"

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.set_header("content-type", "text/event-stream").streaming = chunks()

    raw = await call_http(api)
    bodies = [m["body"] for m in raw.messages if m["type"] == "http.response.body"]
    assert bodies == [b"one", b"two", b""]
    assert raw.header("content-type") == "text/event-stream"


async def test_explicit_content_type_header_wins() -> None:
    def fill(resp: Response) -> None:
        resp.set_header("Content-Type", "text/markdown").text = "# hi"

    resp = await _serve(fill)
    assert resp.headers.getall("content-type") == ["text/markdown"]


async def test_set_text_adds_a_charset_to_its_content_type() -> None:
    def fill(resp: Response) -> None:
        resp.set_text("<b>x</b>", "text/html")

    resp = await _serve(fill)
    assert resp.headers["content-type"] == "text/html; charset=utf-8"


async def test_set_text_encodes_with_the_charset_it_names() -> None:
    def fill(resp: Response) -> None:
        resp.set_text("café", "text/plain; charset=latin-1")

    resp = await _serve(fill)
    assert resp.headers["content-type"] == "text/plain; charset=latin-1"
    assert resp.content == b"caf\xe9"


async def test_set_text_with_an_unknown_charset_raises_lookup_error() -> None:
    def fill(resp: Response) -> None:
        resp.set_text("x", "text/plain; charset=no-such-charset")

    with pytest.raises(LookupError):
        await _serve(fill)


async def test_set_content_takes_a_content_type() -> None:
    def fill(resp: Response) -> None:
        resp.set_content(b"\x89PNG", "image/png")

    resp = await _serve(fill)
    assert resp.headers["content-type"] == "image/png"


async def test_setters_chain() -> None:
    def fill(resp: Response) -> None:
        (
            resp.set_status(201)
            .set_header("x-a", "1")
            .add_header("x-b", "1")
            .add_header("x-b", "2")
            .set_cookie("c", "v")
            .set_text("made")
        )

    resp = await _serve(fill)
    assert resp.status_code == 201
    assert resp.headers["x-a"] == "1"
    assert resp.headers.getall("x-b") == ["1", "2"]
    assert resp.cookies == {"c": "v"}
    assert resp.text == "made"


async def test_set_cookie_sends_every_attribute() -> None:
    def fill(resp: Response) -> None:
        resp.set_cookie(
            "sid",
            "a b",
            max_age=60,
            expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            path="/app",
            domain="example.com",
            secure=True,
            httponly=True,
            samesite="Strict",
        )

    resp = await _serve(fill)
    cookie = resp.headers["set-cookie"]
    assert cookie.startswith('sid="a b"; ')
    for part in (
        "Max-Age=60",
        "expires=Wed, 02 Jan 2030 03:04:05 GMT",
        "Path=/app",
        "Domain=example.com",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
    ):
        assert part in cookie


async def test_set_cookie_defaults_are_root_path_httponly_lax() -> None:
    def fill(resp: Response) -> None:
        resp.set_cookie("a", "1")

    resp = await _serve(fill)
    assert resp.headers["set-cookie"] == "a=1; HttpOnly; Path=/; SameSite=Lax"


async def test_several_cookies_are_several_headers() -> None:
    def fill(resp: Response) -> None:
        resp.set_cookie("a", "1").set_cookie("b", "2")

    resp = await _serve(fill)
    assert len(resp.headers.getall("set-cookie")) == 2


async def test_delete_cookie_expires_it_on_the_client() -> None:
    def fill(resp: Response) -> None:
        resp.delete_cookie("sid")

    resp = await _serve(fill)
    cookie = resp.headers["set-cookie"]
    assert "Max-Age=0" in cookie
    assert "expires=Thu, 01 Jan 1970 00:00:00 GMT" in cookie


async def test_redirect_to_a_url() -> None:
    def fill(resp: Response) -> None:
        resp.redirect(url="https://example.com/x", query_string="")

    resp = await _serve(fill)
    assert resp.status_code == 307
    assert resp.headers["location"] == "https://example.com/x"
    assert resp.content == b""


async def test_redirect_keeps_the_request_query_string_by_default() -> None:
    def fill(resp: Response) -> None:
        resp.redirect(url="/next", status=303)

    resp = await _serve(fill, "/?a=1")
    assert resp.status_code == 303
    assert resp.headers["location"] == "/next?a=1"


async def test_redirect_takes_a_query_mapping() -> None:
    def fill(resp: Response) -> None:
        resp.redirect(url="/next?x=1", query_string={"a": ["1", "2"], "b": "é"})

    resp = await _serve(fill, "/?ignored=1")
    assert resp.headers["location"] == "/next?x=1&a=1&a=2&b=%C3%A9"


async def test_redirect_to_a_view_builds_its_path() -> None:
    api = Api()

    @api.route("/users/{name}")
    class User:
        async def on_get(self, req: Request, resp: Response, name: str) -> None:
            resp.text = name

    @api.route("/")
    class Index:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.redirect(view=User, params={"name": "a b"}, query_string="")

    async with api.client() as client:
        moved = await client.get("/", allow_redirects=False)
        followed = await client.get("/")
    assert moved.headers["location"] == "/users/a%20b"
    assert followed.text == "a b"


async def test_redirect_to_a_view_includes_the_root_path() -> None:
    api = Api()

    @api.route("/target")
    class Target:
        pass

    @api.route("/")
    class Index:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.redirect(view=Target)

    raw = await call_http(api, root_path="/app", path="/")
    assert raw.header("location") == "/app/target"


def test_redirect_needs_a_target() -> None:
    with pytest.raises(TypeError):
        Response().redirect()


def test_redirect_needs_a_3xx_status() -> None:
    with pytest.raises(ValueError, match="3xx"):
        Response().redirect(url="/", status=200)


async def test_204_is_sent_without_body_or_length() -> None:
    def fill(resp: Response) -> None:
        resp.set_status(204).text = "ignored"

    resp = await _serve(fill)
    assert resp.content == b""
    assert "content-length" not in resp.headers


async def test_header_that_cannot_be_encoded_is_a_500() -> None:
    def fill(resp: Response) -> None:
        resp.headers["x-name"] = "snowman ☃"

    resp = await _serve(fill)
    assert resp.status_code == 500


async def test_naive_cookie_expiry_is_taken_as_utc() -> None:
    def fill(resp: Response) -> None:
        resp.set_cookie("a", "1", expires=datetime(2030, 1, 2, 3, 4, 5))

    resp = await _serve(fill)
    assert "expires=Wed, 02 Jan 2030 03:04:05 GMT" in resp.headers["set-cookie"]


def test_body_getters_read_back_what_was_set() -> None:
    resp = Response()
    resp.json = {"a": 1}
    assert (resp.content, resp.text) == (b'{"a":1}', '{"a":1}')
    resp.content = b"x"
    assert resp.text == "x"


def test_url_for_an_unrouted_view_raises_key_error() -> None:
    api = Api()

    class Unrouted:
        pass

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.redirect(view=Unrouted)

    with pytest.raises(KeyError):
        api.url_for(Unrouted)


async def test_a_json_dict_set_by_the_view_gains_dot_access_when_read() -> None:
    def fill(resp: Response) -> None:
        resp.json = {"user": {"name": "ann"}}
        resp.json.user.age = 3

    resp = await _serve(fill)
    assert resp.json == {"user": {"name": "ann", "age": 3}}


async def test_headers_can_be_replaced_as_a_whole() -> None:
    def fill(resp: Response) -> None:
        resp.headers["x-dropped"] = "1"
        resp.headers = {"x-kept": "2"}
        resp.headers.add("x-kept", "3")

    resp = await _serve(fill)
    assert "x-dropped" not in resp.headers
    assert resp.headers.getall("x-kept") == ["2", "3"]


@pytest.mark.parametrize("size", [0, 1, 9, 10, 99_999, 100_000])
async def test_content_length_matches_every_body_size(size: int) -> None:
    def fill(resp: Response) -> None:
        resp.content = b"x" * size

    resp = await _serve(fill)
    assert resp.headers["content-length"] == str(size)
    assert len(resp.content) == size


def test_content_length_headers_stay_right_once_their_cache_is_full() -> None:
    sizes = range(_LENGTH_HEADERS_MAX * 2 + 1)
    headers = [_length_header(size) for size in sizes]
    assert headers == [(b"content-length", str(n).encode()) for n in sizes]
    assert len(_LENGTH_HEADERS) <= _LENGTH_HEADERS_MAX
