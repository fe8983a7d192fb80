from __future__ import annotations

import asyncio
from http import HTTPStatus
from typing import Any

import pytest

from spangle import Api, Request, Response
from spangle.testing import HttpTestResponse


def _echo_api() -> Api:
    api = Api()

    @api.route("/echo")
    class Echo:
        allowed_methods = ["post", "put", "patch", "delete"]

        async def on_request(self, req: Request, resp: Response) -> None:
            body = await req.content
            resp.json = {
                "method": req.method,
                "params": {k: req.params.getall(k) for k in req.params},
                "header": req.headers.get("x-test"),
                "cookies": req.cookies,
                "type": req.mimetype,
                "body": body.decode("latin-1"),
            }

    return api


async def _echo(**kwargs: Any) -> Any:
    async with _echo_api().client() as client:
        return (
            await client.request(kwargs.pop("method", "POST"), "/echo", **kwargs)
        ).json


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
async def test_each_method_helper_sends_its_method(method: str) -> None:
    async with _echo_api().client() as client:
        resp = await getattr(client, method)("/echo")
    assert resp.json.method == method


async def test_params_are_added_to_the_query() -> None:
    echoed = await _echo(params={"a": ["1", "2"], "b": "x"})
    assert echoed.params == {"a": ["1", "2"], "b": ["x"]}


async def test_headers_are_sent() -> None:
    assert (await _echo(headers={"X-Test": "yes"})).header == "yes"


async def test_json_is_sent_as_json() -> None:
    echoed = await _echo(json={"a": 1})
    assert (echoed.type, echoed.body) == ("application/json", '{"a":1}')


async def test_form_is_sent_urlencoded() -> None:
    echoed = await _echo(form={"a": "1 2"})
    assert (echoed.type, echoed.body) == ("application/x-www-form-urlencoded", "a=1+2")


async def test_files_are_sent_as_multipart() -> None:
    echoed = await _echo(files={"f": ("a.txt", b"data", "text/plain")})
    assert echoed.type == "multipart/form-data"
    assert 'filename="a.txt"' in echoed.body


async def test_content_is_sent_raw() -> None:
    assert (await _echo(content=b"\x00raw")).body == "\x00raw"


async def test_response_exposes_status_headers_cookies_and_body() -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.set_status(201).add_header("x-a", "1").add_header("x-a", "2")
            resp.set_cookie("c", "v").json.ok = True

    async with api.client() as client:
        resp = await client.get("/")
    assert isinstance(resp, HttpTestResponse)
    assert resp.status_code == 201
    assert resp.headers.getall("x-a") == ["1", "2"]
    assert resp.cookies == {"c": "v"}
    assert resp.content == b'{"ok":true}'
    assert resp.text == '{"ok":true}'
    assert resp.json.ok is True


async def test_cookies_persist_across_requests_of_one_client() -> None:
    api = _echo_api()

    @api.route("/login")
    class Login:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.set_cookie("sid", "abc")

    @api.route("/logout")
    class Logout:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.delete_cookie("sid")

    async with api.client() as client:
        await client.get("/login")
        logged_in = (await client.post("/echo", cookies={"extra": "1"})).json.cookies
        await client.get("/logout")
        logged_out = (await client.post("/echo")).json.cookies
    async with api.client() as other:
        fresh = (await other.post("/echo")).json.cookies
    assert logged_in == {"sid": "abc", "extra": "1"}
    assert logged_out == {}
    assert fresh == {}


async def test_redirects_are_followed_unless_disabled() -> None:
    api = _echo_api()

    @api.route("/old")
    class Old:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.redirect(url="/echo", status=307)

    async with api.client() as client:
        followed = await client.get("/old", allow_redirects=True)
        kept = await client.get("/old", allow_redirects=False)
    assert followed.json.method == "get"
    assert kept.status_code == 307


async def test_a_slow_app_raises_timeout_error() -> None:
    api = Api()
    never = asyncio.Event()

    @api.route("/")
    class Slow:
        async def on_get(self, req: Request, resp: Response) -> None:
            await never.wait()

    async with api.client() as client:
        with pytest.raises(asyncio.TimeoutError):
            await client.get("/", timeout=0.05)


async def test_client_timeout_is_the_default_for_requests() -> None:
    api = Api()
    never = asyncio.Event()

    @api.route("/")
    class Slow:
        async def on_get(self, req: Request, resp: Response) -> None:
            await never.wait()

    async with api.client(timeout=0.05) as client:
        with pytest.raises(asyncio.TimeoutError):
            await client.get("/")


async def test_a_status_with_a_name_is_an_http_status() -> None:
    api = Api(static_dir=None)

    @api.route("/")
    class Teapot:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.status_code = 418

    async with api.client() as client:
        assert repr((await client.get("/")).status_code) == repr(HTTPStatus(418))


async def test_a_status_without_a_name_is_kept_as_a_number() -> None:
    api = Api(static_dir=None)

    @api.route("/")
    class Odd:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.status_code = 299

    async with api.client() as client:
        status = (await client.get("/")).status_code
    assert (type(status), status) == (int, 299)
