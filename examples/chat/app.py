"""The demo app: an echo socket and a chat room, each with its page.

Serve it with `make run` (or `spangle run examples.chat.app:api`) and open
http://127.0.0.1:8000/ (echo) or http://127.0.0.1:8000/chat (chat room).

The chat room fans messages out with `spangle.broadcast.Broadcast`: in one
process by default; set `SPANGLE_BROADCAST_URL=redis://127.0.0.1:6379/0` to
share the room between several workers or hosts.
"""

import json
import os
from pathlib import Path
from typing import Any

from spangle import Api, Connection, Request, Response, use_component
from spangle.broadcast import Broadcast, BroadcastUnavailable
from spangle.exceptions import WebSocketError

HERE = Path(__file__).parent
ROOM = "chat"
MAX_NICK = 32
MAX_TEXT = 500


class ChatHub(Broadcast):
    """The chat room's broadcast; its URL comes from the environment."""

    def __init__(self) -> None:
        super().__init__(os.environ.get("SPANGLE_BROADCAST_URL", "memory://"))


api = Api(static_dir=str(HERE / "static"), templates_dir=None, components=[ChatHub])


@api.route("/")
class EchoPage:
    """The page: type a message, see it come back."""

    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_text((HERE / "echo.html").read_text(), "text/html; charset=utf-8")


@api.route("/ws/echo")
class Echo:
    """Send every message back as it came: text as text, binary as binary."""

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        async for message in conn:
            await conn.send(message)


@api.route("/chat")
class ChatPage:
    """The chat room page."""

    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_text((HERE / "chat.html").read_text(), "text/html; charset=utf-8")


@api.route("/ws/chat")
class Chat:
    """Receive `{"nick", "text"}` posts; everyone in the room gets them.

    Invalid JSON closes the connection with 1007; a post with a bad nick or
    text, or one that cannot be published (Redis down), is answered with
    `{"error": ...}` to its sender only.
    """

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        hub = use_component(ChatHub)
        async with hub.joined(ROOM, conn):
            while True:
                post = await conn.receive_json()  # ends on disconnect
                error = check_post(post)
                if error:
                    await conn.send_json({"error": error})
                    continue
                post = {"nick": post["nick"].strip(), "text": post["text"]}
                try:
                    # Serialized once, whatever the number of readers.
                    await hub.publish(ROOM, json.dumps(post, ensure_ascii=False))
                except BroadcastUnavailable:
                    await conn.send_json({"error": "the room is unavailable, retry"})


def check_post(post: Any) -> str:
    """Tell what is wrong with a post, or return "" when it is fine."""
    if not isinstance(post, dict) or set(post) != {"nick", "text"}:
        raise WebSocketError(1007, 'a post is {"nick": ..., "text": ...}')
    nick, text = post["nick"], post["text"]
    if not isinstance(nick, str) or not 0 < len(nick.strip()) <= MAX_NICK:
        return f"a nickname has 1 to {MAX_NICK} characters"
    if not isinstance(text, str) or not 0 < len(text.strip()) <= MAX_TEXT:
        return f"a message has 1 to {MAX_TEXT} characters"
    return ""
