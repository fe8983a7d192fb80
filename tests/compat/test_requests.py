"""0.11's request bodies, error handler checks and handler protocols."""

from __future__ import annotations

from typing import Any

import pytest
from multidict import MultiDictProxy

from spangle import Api, Connection, ErrorHandler, Request, Response
from spangle.handler_protocols import BaseHandlerProtocol, GetHandlerProtocol


def _reading(read: Any) -> tuple[Api, list[Any]]:
    api = Api(static_dir=None)
    seen: list[Any] = []

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            seen.append(await read(req))

    return api, seen


async def test_media_of_a_json_object_is_a_multidict_proxy() -> None:
    api, seen = _reading(lambda req: req.media())
    async with api.client() as client:
        await client.post("/", json={"foo": "bar", "array": [1, 2]})
    assert isinstance(seen[0], MultiDictProxy)
    assert dict(seen[0]) == {"foo": "bar", "array": [1, 2]}


async def test_an_undecodable_body_raises_unicode_decode_error_from_text() -> None:
    api = Api(static_dir=None)
    seen: list[int] = []

    @api.handle(UnicodeDecodeError)
    class Undecodable:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.status_code = 415

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            await req.text

    async with api.client() as client:
        resp = await client.post(
            "/", content=b"\xff", headers={"content-type": "text/plain"}
        )
        seen.append(resp.status_code)
    assert seen == [415]


async def test_an_undecodable_body_is_a_400_by_default() -> None:
    api, _ = _reading(lambda req: req.text)
    async with api.client() as client:
        resp = await client.post(
            "/", content=b"\xff", headers={"content-type": "text/plain"}
        )
    assert resp.status_code == 400


async def test_apparent_encoding_guesses_the_body_encoding() -> None:
    async def read(req: Request) -> Any:
        return await req.apparent_encoding

    api, seen = _reading(read)
    async with api.client() as client:
        await client.post("/", content="héllo".encode())
    assert seen[0]["encoding"].lower() == "utf-8"


def test_an_error_handler_without_on_error_or_on_ws_error_is_refused() -> None:
    with pytest.raises(ValueError, match="on_error"):

        @ErrorHandler().handle(KeyError)
        class Empty:
            pass


def test_handler_protocols_derive_from_base_handler_protocol() -> None:
    assert issubclass(GetHandlerProtocol, BaseHandlerProtocol)


def test_the_models_package_exports_request_response_and_connection() -> None:
    from spangle import models

    assert (models.Request, models.Response, models.Connection) == (
        Request,
        Response,
        Connection,
    )


async def test_max_upload_bytes_set_after_serving_applies_to_the_next_request() -> None:
    api, _ = _reading(lambda req: req.content)
    async with api.client() as client:
        assert (await client.post("/", content=b"x" * 2000)).status_code == 200
        api.max_upload_bytes = 1000
        assert (await client.post("/", content=b"x" * 2000)).status_code == 413


async def test_default_route_set_after_serving_applies_to_unknown_paths() -> None:
    api = Api(static_dir=None)

    @api.route("/home")
    class Home:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.set_text("home")

    async with api.client() as client:
        assert (await client.get("/nowhere")).status_code == 404
        api.default_route = "/home"
        assert (await client.get("/nowhere")).text == "home"
