"""SPEC §3 through a real uvicorn process, with httpx and raw sockets."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.apps.http_app import UPLOAD_LIMIT
from tests.support.server import Server, run_server, server_fixture

APP = "tests.apps.http_app:api"
TIMEOUT = 10.0


server = server_fixture(APP, "server")


@pytest.fixture
async def http(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.http_url, timeout=TIMEOUT) as client:
        yield client


async def raw_request(
    server: Server, head: bytes, body: bytes = b""
) -> tuple[int, bytes]:
    """Send bytes as written and read one response (by its Content-Length)."""
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection("127.0.0.1", server.port), TIMEOUT
    )
    try:
        writer.write(head + body)
        await writer.drain()
        raw_head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
        status = int(raw_head.split(b" ", 2)[1])
        length = 0
        for line in raw_head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        data = await asyncio.wait_for(reader.readexactly(length), TIMEOUT)
        return status, data
    finally:
        writer.close()
        await writer.wait_closed()


async def assert_still_serving(server: Server, http: httpx.AsyncClient) -> None:
    resp = await http.get("/")
    assert (resp.status_code, resp.text) == (200, "index")
    assert "Traceback" not in server.output
    assert "Exception in ASGI application" not in server.output


# -- features ----------------------------------------------------------------


async def test_request_fields_reach_the_view(http: httpx.AsyncClient) -> None:
    resp = await http.get(
        "/info/ann",
        params={"a": ["1", "2"]},
        headers={"accept": "text/html, application/json;q=0.5", "cookie": "c=1"},
    )
    assert resp.json() == {
        "name": "ann",
        "method": "get",
        "params": {"a": ["1", "2"]},
        "cookies": {"c": "1"},
        "accept_json": ["application/json", 0.5],
        "version": "1.1",
        "client": True,
    }


async def test_json_form_and_multipart_media(http: httpx.AsyncClient) -> None:
    as_json = await http.post("/media", json={"a": [1, 2]})
    as_form = await http.post("/media", data={"a": "1 2"})
    multipart = await http.post(
        "/media", data={"t": "é"}, files={"f": ("a.bin", b"x" * 5000, "image/png")}
    )
    assert as_json.json() == {"json": {"a": [1, 2]}}
    assert as_form.json() == {"form": {"a": "1 2"}}
    assert multipart.json() == {"form": {"t": "é", "f": ["a.bin", "image/png", 5000]}}


async def test_text_is_decoded_with_its_charset(http: httpx.AsyncClient) -> None:
    resp = await http.post(
        "/text",
        content="naïve".encode("latin-1"),
        headers={"content-type": "text/plain; charset=iso-8859-1"},
    )
    assert resp.text == "naïve"


async def test_cookies_are_set_and_deleted(http: httpx.AsyncClient) -> None:
    set_resp = await http.get("/cookies")
    assert "SameSite=Strict" in set_resp.headers["set-cookie"]
    assert http.cookies.get("sid") == "s1"
    await http.delete("/cookies")
    assert http.cookies.get("sid") is None


async def test_redirect_to_a_view_is_followed(http: httpx.AsyncClient) -> None:
    moved = await http.get("/go?x=1")
    assert moved.headers["location"] == "/info/moved?x=1"
    followed = await http.get("/go", follow_redirects=True)
    assert followed.json()["name"] == "moved"


async def test_template_is_rendered_and_escaped(http: httpx.AsyncClient) -> None:
    resp = await http.get("/page")
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.text.strip() == '<h1>&lt;Hi&gt;</h1><a href="/">home</a>'


async def test_streaming_body(http: httpx.AsyncClient) -> None:
    async with http.stream("GET", "/stream") as resp:
        chunks = [chunk async for chunk in resp.aiter_text()]
    assert "".join(chunks) == "chunk0;chunk1;chunk2;"
    assert resp.headers.get("transfer-encoding") == "chunked"


async def test_methods_head_options_and_405(http: httpx.AsyncClient) -> None:
    head = await http.head("/")
    options = await http.options("/cookies")
    refused = await http.post("/")
    assert (head.status_code, head.content, head.headers["content-length"]) == (
        200,
        b"",
        "5",
    )
    assert (options.status_code, options.headers["allow"]) == (
        200,
        "DELETE, GET, HEAD, OPTIONS",
    )
    assert (refused.status_code, refused.headers["allow"]) == (
        405,
        "GET, HEAD, OPTIONS",
    )


async def test_slash_redirect_keeps_the_query(http: httpx.AsyncClient) -> None:
    resp = await http.get("/slash?q=1")
    assert (resp.status_code, resp.headers["location"]) == (308, "/slash/?q=1")
    assert (await http.get("/slash?q=1", follow_redirects=True)).text == "slash"


async def test_static_files_favicon_and_custom_404(http: httpx.AsyncClient) -> None:
    css = await http.get("/static/css/site.css")
    icon = await http.get("/favicon.ico")
    missing = await http.get("/static/missing.css")
    assert (css.status_code, css.text.strip()) == (200, "body{color:red}")
    assert icon.content == b"ICO"
    assert (missing.status_code, missing.text) == (404, "custom 404")


async def test_unhandled_error_is_a_logged_500_and_the_server_goes_on() -> None:
    with run_server(APP) as own:
        async with httpx.AsyncClient(base_url=own.http_url, timeout=TIMEOUT) as http:
            boom = await http.get("/boom")
            after = await http.get("/")
        own.wait_for_line("expected failure for the test")
    assert (boom.status_code, boom.text) == (500, "Internal Server Error")
    assert after.text == "index"
    assert "unhandled RuntimeError" in own.output


# -- bad input -------------------------------------------------------------------


async def test_malformed_json_is_a_400(server: Server, http: httpx.AsyncClient) -> None:
    resp = await http.post(
        "/media", content=b'{"a": [1,', headers={"content-type": "application/json"}
    )
    assert resp.status_code == 400
    await assert_still_serving(server, http)


async def test_broken_multipart_is_a_400(
    server: Server, http: httpx.AsyncClient
) -> None:
    resp = await http.post(
        "/media",
        content=b"--b\r\nnot a header\r\n\r\nxx",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert resp.status_code == 400
    await assert_still_serving(server, http)


async def test_wrong_charset_is_a_400(server: Server, http: httpx.AsyncClient) -> None:
    bad = await http.post(
        "/text",
        content=b"\xff\xfe",
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    unknown = await http.post(
        "/text", content=b"a", headers={"content-type": "text/plain; charset=klingon"}
    )
    assert (bad.status_code, unknown.status_code) == (400, 400)
    await assert_still_serving(server, http)


async def test_oversize_body_with_content_length_is_a_413(
    server: Server, http: httpx.AsyncClient
) -> None:
    resp = await http.post("/text", content=b"x" * (UPLOAD_LIMIT + 1))
    assert resp.status_code == 413
    await assert_still_serving(server, http)


async def test_oversize_chunked_body_is_a_413(
    server: Server, http: httpx.AsyncClient
) -> None:
    chunk = b"x" * 16_000
    body = (b"%x\r\n" % len(chunk) + chunk + b"\r\n") * 5 + b"0\r\n\r\n"
    head = (
        b"POST /text HTTP/1.1\r\nHost: test\r\nContent-Type: text/plain\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    status, _ = await raw_request(server, head, body)
    assert status == 413
    await assert_still_serving(server, http)


async def test_a_cookie_header_with_a_stray_pair_serves_the_other_cookies(
    server: Server, http: httpx.AsyncClient
) -> None:
    head = b"GET /info/c HTTP/1.1\r\nHost: test\r\nCookie: foo; a=1\r\n\r\n"
    status, body = await raw_request(server, head)
    assert status == 200
    assert json.loads(body)["cookies"] == {"a": "1"}
    await assert_still_serving(server, http)


async def test_reading_a_query_with_an_invalid_percent_escape_is_a_400(
    server: Server, http: httpx.AsyncClient
) -> None:
    head = b"GET /info/q?a=%zz&b=100% HTTP/1.1\r\nHost: test\r\n\r\n"
    status, body = await raw_request(server, head)
    assert (status, body) == (400, b"invalid percent-escape in query string")
    await assert_still_serving(server, http)


async def test_reading_a_query_escaping_invalid_utf8_is_a_400(
    server: Server, http: httpx.AsyncClient
) -> None:
    head = b"GET /info/q?c=%ff HTTP/1.1\r\nHost: test\r\n\r\n"
    status, body = await raw_request(server, head)
    assert (status, body) == (400, b"invalid UTF-8 in query string")
    await assert_still_serving(server, http)


async def test_a_bad_query_is_served_when_params_are_not_read(
    server: Server, http: httpx.AsyncClient
) -> None:
    head = b"GET /?a=%zz&c=%ff HTTP/1.1\r\nHost: test\r\n\r\n"
    status, body = await raw_request(server, head)
    assert (status, body) == (200, b"index")
    await assert_still_serving(server, http)


async def test_unknown_method_is_a_405(server: Server, http: httpx.AsyncClient) -> None:
    # httptools knows PURGE but spangle views do not; BREW is refused by the
    # parser itself (400) before the app sees it.
    purge = await http.request("PURGE", "/")
    brew = await http.request("BREW", "/")
    assert (purge.status_code, purge.headers["allow"]) == (405, "GET, HEAD, OPTIONS")
    assert brew.status_code == 400
    await assert_still_serving(server, http)


async def test_unknown_method_reaching_the_app_is_a_405() -> None:
    with run_server(APP, extra_args=["--http", "h11"]) as own:
        async with httpx.AsyncClient(base_url=own.http_url, timeout=TIMEOUT) as http:
            brew = await http.request("BREW", "/")
            await assert_still_serving(own, http)
    assert (brew.status_code, brew.headers["allow"]) == (405, "GET, HEAD, OPTIONS")


@pytest.mark.parametrize(
    "target",
    [
        b"/static/../http_app.py",
        b"/static/%2e%2e/http_app.py",
        b"/static/%2E%2E%2Fhttp_app.py",
        b"/static/..%5chttp_app.py",
        b"/static/..\\http_app.py",
        b"/static//etc/passwd",
        b"/static/css/%2e%2e/%2e%2e/http_app.py",
    ],
)
async def test_static_traversal_is_a_404(
    server: Server, http: httpx.AsyncClient, target: bytes
) -> None:
    status, body = await raw_request(
        server, b"GET " + target + b" HTTP/1.1\r\nHost: test\r\n\r\n"
    )
    assert (status, body) == (404, b"custom 404")
    await assert_still_serving(server, http)


async def test_hypercorn_serves_the_same_app() -> None:
    with run_server(APP, server="hypercorn") as own:
        async with httpx.AsyncClient(base_url=own.http_url, timeout=TIMEOUT) as http:
            media = await http.post("/media", files={"f": ("a", b"abc", "text/plain")})
            too_big = await http.post("/text", content=b"x" * (UPLOAD_LIMIT + 1))
            bad = await http.post(
                "/media", content=b"{", headers={"content-type": "application/json"}
            )
            css = await http.get("/static/css/site.css")
            page = await http.get("/page")
            moved = await http.get("/go")
            head = await http.head("/")
            await assert_still_serving(own, http)
    assert media.json() == {"form": {"f": ["a", "text/plain", 3]}}
    assert (too_big.status_code, bad.status_code) == (413, 400)
    assert css.text.strip() == "body{color:red}"
    assert "&lt;Hi&gt;" in page.text
    assert moved.headers["location"] == "/info/moved"
    assert (head.content, head.headers["content-length"]) == (b"", "5")


async def test_websocket_to_a_static_path_is_refused(
    server: Server, http: httpx.AsyncClient
) -> None:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(
            server.ws_url + "/static/css/site.css", open_timeout=TIMEOUT
        ):
            pass
    assert refused.value.response.status_code == 404
    await assert_still_serving(server, http)
