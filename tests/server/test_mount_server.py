import json

import httpx
import pytest
from websockets.asyncio.client import connect

from tests.support.server import run_server


@pytest.mark.parametrize("kind", ["uvicorn", "hypercorn"])
async def test_a_real_server_serves_a_mounted_app_with_rewritten_paths(
    kind: str,
) -> None:
    with run_server("tests.apps.mounted:api", server=kind) as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            raw = (await http.get("/raw/a/b")).json()
            inner = await http.get("/inner/echo")
        async with connect(server.ws_url + "/raw/room") as ws:
            socket = json.loads(await ws.recv())
        async with connect(server.ws_url + "/inner/echo") as ws:
            await ws.send("ping")
            echoed = await ws.recv()
    assert raw == {"root_path": "/raw", "path": "/a/b", "spangle": ["req", "resp"]}
    assert inner.text == "inner get"
    assert socket == {"root_path": "/raw", "path": "/room", "spangle": ["conn"]}
    assert echoed == "inner: ping"
