"""The demo app: an echo socket and a chat room, each with its page.

Serve it with `make run` (or `spangle run examples.chat.app:api`) and open
http://127.0.0.1:8000/ (echo) or http://127.0.0.1:8000/chat (chat room).

The chat room is a `spangle.broadcast.Broadcast` room with history and
presence: the page (with `spangle client-js`'s client, static/spangle.js)
shows who is online and the last 50 messages, and after a disconnection
resumes from the last message it saw. In one process by default; set
`SPANGLE_BROADCAST_URL=redis://127.0.0.1:6379/0` to share the room between
several workers or hosts (`SPANGLE_PRESENCE_TTL` bounds, in seconds, how
long the members of a worker that died stay listed; 10 by default).
"""

import json
import os
from pathlib import Path

import msgspec

from spangle import Api, Connection, Request, Response, use_component
from spangle.broadcast import Broadcast, BroadcastUnavailable

HERE = Path(__file__).parent
ROOM = "chat"
MAX_NICK = 32
MAX_TEXT = 500
SHOWN_ON_JOIN = 50


class ChatHub(Broadcast):
    """The chat room's broadcast; its URL comes from the environment."""

    def __init__(self) -> None:
        super().__init__(
            os.environ.get("SPANGLE_BROADCAST_URL", "memory://"),
            history=200,
            presence_ttl=float(os.environ.get("SPANGLE_PRESENCE_TTL", "10")),
        )


class Post(msgspec.Struct):
    """What a client sends: `{"text": "..."}`."""

    text: str


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
    """The room: `/ws/chat?nick=ann`, then `{"text": ...}` posts.

    Everyone in the room gets each post as `{"nick", "text"}`, in a framed
    message with its id. A connection starts with the presence list and
    the last 50 posts, or, with `since=<id>`, with every post after that
    one. A nickname of the wrong length closes the connection with 1008;
    invalid JSON, or a post that is not `{"text": str}`, with 1007. A text
    of the wrong length, or a post that cannot be published (Redis down),
    is answered with `{"error": ...}` to its sender only.
    """

    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        nick = conn.params.get("nick", "").strip()
        if not 0 < len(nick) <= MAX_NICK:
            await conn.close(1008, f"a nickname has 1 to {MAX_NICK} characters")
            return
        hub = use_component(ChatHub)
        try:
            async with hub.joined(
                ROOM,
                conn,
                meta={"nick": nick},
                history=SHOWN_ON_JOIN,
                since=conn.params.get("since"),
                events=True,
            ):
                await self.relay(conn, hub, nick)
        except BroadcastUnavailable:
            await conn.close(1013, "the room is unavailable, retry")

    async def relay(self, conn: Connection, hub: ChatHub, nick: str) -> None:
        """Publish the client's posts until it leaves."""
        while True:
            post = await conn.receive_json(type=Post)  # ends on disconnect
            if not 0 < len(post.text.strip()) <= MAX_TEXT:
                await conn.send_json(
                    {"error": f"a message has 1 to {MAX_TEXT} characters"}
                )
                continue
            try:
                # Serialized once, whatever the number of readers.
                await hub.publish(
                    ROOM,
                    json.dumps({"nick": nick, "text": post.text}, ensure_ascii=False),
                )
            except BroadcastUnavailable:
                await conn.send_json({"error": "the room is unavailable, retry"})
