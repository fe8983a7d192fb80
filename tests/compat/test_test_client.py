"""0.11's test client: host, raised exceptions, multipart files, headers."""

from __future__ import annotations

import asyncio
import io
from http import HTTPStatus

import pytest

from spangle import Api, Connection, Request, Response
from spangle.parser import UploadedFile


def _failing_api() -> Api:
    api = Api(static_dir=None)

    @api.route("/")
    class Fail:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise KeyError("not handled")

    return api


async def test_the_default_host_is_www_example_com() -> None:
    api = Api(static_dir=None)
    seen: list[str] = []

    @api.route("/p")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            seen.append(req.full_url)

    async with api.client() as client:
        await client.get("/p", params={"q": "1"})
    assert seen == ["http://www.example.com/p?q=1"]


async def test_the_host_option_changes_the_requested_host() -> None:
    api = Api(static_dir=None)
    seen: list[str] = []

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            seen.append(req.headers["host"])

    async with api.client(host="api.test") as client:
        await client.get("/")
    assert seen == ["api.test"]


async def test_an_exception_no_handler_answers_is_raised_out_of_the_request() -> None:
    async with _failing_api().client() as client:
        with pytest.raises(KeyError, match="not handled"):
            await client.get("/")


async def test_raise_server_exceptions_false_returns_the_500() -> None:
    async with _failing_api().client(raise_server_exceptions=False) as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (500, "Internal Server Error")


async def test_a_handled_spangle_error_is_not_raised_out_of_the_request() -> None:
    async with Api(static_dir=None).client() as client:
        resp = await client.get("/nowhere")
    assert resp.status_code == HTTPStatus.NOT_FOUND


async def test_files_reads_plain_values_as_fields_beside_file_tuples() -> None:
    api = Api(static_dir=None)
    seen: dict[str, object] = {}

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            media = await req.media()
            upload = media["file"]
            assert isinstance(upload, UploadedFile)
            seen.update(
                foo=media["foo"],
                num=media["num"],
                name=upload.filename,
                type=upload.mimetype,
                data=upload.file.read(),
            )

    files = {
        "foo": "bar",
        "num": "42",
        "file": ("file.bin", b"abcde", "application/octet-stream"),
    }
    async with api.client() as client:
        resp = await client.post("/", files=files)
    assert resp.status_code == 200
    assert seen == {
        "foo": "bar",
        "num": "42",
        "name": "file.bin",
        "type": "application/octet-stream",
        "data": b"abcde",
    }


async def test_files_takes_a_file_object_as_a_file() -> None:
    api = Api(static_dir=None)
    seen: list[bytes] = []

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            seen.append((await req.media())["doc"].file.read())

    async with api.client() as client:
        await client.post("/", files={"doc": io.BytesIO(b"contents")})
    assert seen == [b"contents"]


async def test_request_arguments_are_positional_in_0_11_order() -> None:
    api = Api(static_dir=None)
    seen: list[tuple[str, str]] = []

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            seen.append((req.params["a"], req.headers["x-h"]))

    async with api.client() as client:
        await client.get("/", {"a": "1"}, {"x-h": "2"})
    assert seen == [("1", "2")]


async def test_status_code_is_an_http_status() -> None:
    async with Api(static_dir=None).client() as client:
        resp = await client.get("/nowhere")
    assert resp.status_code is HTTPStatus.NOT_FOUND


async def test_json_of_a_body_that_is_not_json_is_none() -> None:
    async with Api(static_dir=None).client() as client:
        resp = await client.get("/nowhere")
    assert resp.json is None


async def test_ws_connect_takes_header_pairs_and_keeps_repeats() -> None:
    api = Api(static_dir=None)
    seen: list[list[str]] = []

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            seen.append(conn.headers.getall("x-tag"))
            await conn.accept()

    headers = [("X-Tag", "a"), ("X-Tag", "b")]
    async with api.client() as client, client.ws_connect("/ws", headers=headers):
        pass
    assert seen == [["a", "b"]]


async def test_a_websocket_client_connects_and_closes_without_async_with() -> None:
    api = Api(static_dir=None)

    @api.route("/ws")
    class Socket:
        async def on_ws(self, conn: Connection) -> None:
            await conn.accept()
            await conn.send("hi")
            await conn.receive(str)

    async with api.client() as client:
        ws = client.ws_connect("/elsewhere")
        await ws.connect("/ws")
        assert (ws.path, ws.host) == ("/ws", "www.example.com")
        assert await ws.receive(str) == "hi"
        await ws.close()


async def test_json_gives_dot_access_to_objects_inside_a_list() -> None:
    api = Api(static_dir=None)

    @api.route("/")
    class Items:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.json = [{"a": {"b": 2}}]

    async with api.client() as client:
        resp = await client.get("/")
    assert resp.json[0].a.b == 2


async def test_response_headers_can_be_changed_by_the_test() -> None:
    api = Api(static_dir=None)
    async with api.client() as client:
        resp = await client.get("/nowhere")
    resp.headers["x-note"] = "checked"
    assert resp.headers["x-note"] == "checked"


def _echo_socket_api() -> Api:
    api = Api(static_dir=None)

    @api.route("/{name}")
    class Echo:
        async def on_ws(self, conn: Connection, name: str) -> None:
            await conn.accept()
            late = conn.headers.get("x-late", "-")
            host = conn.headers["host"]
            await conn.send(f"{host} {name} {conn.params.get('q')} {late}")

    return api


async def test_websocket_headers_added_before_connecting_reach_the_app() -> None:
    async with _echo_socket_api().client() as client:
        ws = client.ws_connect("/a")
        ws.headers.add("X-Late", "yes")
        async with ws:
            assert (await ws.receive(str)).endswith(" yes")


async def test_websocket_host_path_and_params_set_before_connecting_apply() -> None:
    async with _echo_socket_api().client() as client:
        ws = client.ws_connect("/a")
        ws.host, ws.path, ws.params = "other.test", "/b", [("q", "1")]
        async with ws:
            assert await ws.receive(str) == "other.test b 1 -"


async def test_a_websocket_timeout_set_before_connecting_bounds_the_handshake() -> None:
    api = Api(static_dir=None)
    release = asyncio.Event()

    @api.route("/slow")
    class Slow:
        async def on_ws(self, conn: Connection) -> None:
            await release.wait()

    async with api.client(timeout=5) as client:
        ws = client.ws_connect("/slow")
        ws.timeout = 0.05
        with pytest.raises(asyncio.TimeoutError):
            await ws.connect()
        release.set()


def test_test_client_constructors_take_0_11_parameter_names() -> None:
    import inspect

    from spangle.testing import AsyncWebsocketClient, HttpTestResponse

    ws_params = inspect.signature(AsyncWebsocketClient).parameters
    assert list(ws_params)[:6] == [
        "http",
        "path",
        "headers",
        "params",
        "cookies",
        "timeout",
    ]
    assert list(inspect.signature(HttpTestResponse).parameters) == ["resp"]
