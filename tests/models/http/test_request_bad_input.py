"""A malformed query string fails only the views that read it; cookies never fail."""

from __future__ import annotations

from spangle import Api, Request, Response
from tests.support.asgi_http import RawResponse, call_http

BAD_COOKIE = (b"cookie", b"ok=1; noequals")


async def _serve(query: bytes = b"", cookie: bool = False, *, read: str) -> RawResponse:
    """Call a view that reads `read` (`"params"`, `"cookies"` or `""`)."""
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.json = {"seen": dict(getattr(req, read))} if read else {}

    return await call_http(api, query=query, headers=[BAD_COOKIE] if cookie else [])


async def test_reading_params_with_an_invalid_percent_escape_is_a_400() -> None:
    raw = await _serve(b"a=1&b=100%", read="params")
    assert (raw.status, raw.body) == (400, b"invalid percent-escape in query string")


async def test_reading_params_escaping_invalid_utf8_is_a_400() -> None:
    raw = await _serve(b"a=%e9", read="params")
    assert (raw.status, raw.body) == (400, b"invalid UTF-8 in query string")


async def test_a_bad_query_string_is_served_when_params_are_not_read() -> None:
    raw = await _serve(b"a=%zz", read="")
    assert raw.status == 200


async def test_reading_cookies_from_a_malformed_header_skips_the_bad_pair() -> None:
    raw = await _serve(cookie=True, read="cookies")
    assert (raw.status, raw.body) == (200, b'{"seen":{"ok":"1"}}')
