"""The chat demo under `spangle run`: a client that stops reading is dropped.

The slow client keeps posting while it reads nothing, so its view is busy
with its own posts when the broadcast drops it (1013): its next
`receive_json()` must end the view quietly, not raise `RuntimeError`.
"""

from __future__ import annotations

import asyncio
import json

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from tests.support.server import Server, run_server
from tests.support.ws_client import (
    close_code_after_reading_everything,
    small_window_socket,
)

APP = "examples.chat.app:api"
WAIT = 10.0
MAX_POSTS = 20_000
DROPPED = "dropped WebSocket /ws/chat"
POST = json.dumps({"text": "x" * 500})


async def feed_until_dropped(
    server: Server, slow: ClientConnection, fast: ClientConnection
) -> None:
    """Post from the slow client, read on the fast one, until the drop."""
    dropped = asyncio.create_task(
        asyncio.to_thread(server.wait_for_line, DROPPED, WAIT * 6)
    )
    for _ in range(MAX_POSTS):
        try:
            await slow.send(POST)
        except ConnectionClosed:
            break
        echoed = asyncio.ensure_future(fast.recv())
        await asyncio.wait(
            {echoed, dropped}, timeout=WAIT, return_when="FIRST_COMPLETED"
        )
        if not echoed.done():
            # The dropped view publishes no more of the slow client's posts.
            echoed.cancel()
            break
    await dropped  # raises if the server never logged the drop


async def test_a_chat_client_that_stops_reading_is_dropped_without_a_traceback() -> (
    None
):
    with run_server(APP, server="spangle") as server:
        url = server.ws_url + "/ws/chat?nick="
        async with (
            connect(url + "fast") as fast,
            connect(
                url + "slow",
                sock=small_window_socket(server.port),
                max_queue=1,
                compression=None,
            ) as slow,
        ):
            await feed_until_dropped(server, slow, fast)
            code = await close_code_after_reading_everything(slow)
    assert code == 1013
    output = server.output
    assert output.count("dropped WebSocket /ws/chat") == 1
    for marker in ("Traceback", "Exception in ASGI application", "RuntimeError"):
        assert marker not in output, output
