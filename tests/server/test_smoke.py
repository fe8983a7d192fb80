import httpx
import websockets

from tests.support.server import run_server


async def test_uvicorn_serves_a_page_and_an_echo_socket() -> None:
    with run_server("tests.apps.echo:api") as server:
        async with httpx.AsyncClient(base_url=server.http_url) as http:
            page = await http.get("/")
        async with websockets.connect(server.ws_url + "/echo") as ws:
            await ws.send("ping")
            echoed = await ws.recv()
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert echoed == "ping"
