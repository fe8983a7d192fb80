"""Broadcast messages to connections across processes and hosts.

```python
class Hub(Broadcast):
    def __init__(self) -> None:
        super().__init__(os.environ.get("SPANGLE_BROADCAST_URL", "memory://"))

api = Api(components=[Hub])

@api.route("/ws/{room}")
class Room:
    async def on_ws(self, conn: Connection, room: str) -> None:
        await conn.accept()
        hub = use_component(Hub)
        async with hub.joined(room, conn):
            async for message in conn:
                await hub.publish(room, message)
```
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from types import TracebackType
from typing import Any

from spangle.broadcast._fanout import Box, Fanout
from spangle.broadcast._members import Member, Members
from spangle.broadcast._rooms import Rooms
from spangle.broadcast._upstream import SharedUpstream
from spangle.broadcast.backends import BroadcastBackend, Message, backend_for_url
from spangle.broadcast.backends.base import Presence
from spangle.broadcast.errors import (
    BroadcastError,
    BroadcastUnavailable,
    SubscriberDropped,
)
from spangle.broadcast.subscription import Subscription
from spangle.models.websocket import Connection

__all__ = [
    "Broadcast",
    "BroadcastBackend",
    "BroadcastError",
    "BroadcastUnavailable",
    "Message",
    "Presence",
    "SubscriberDropped",
    "Subscription",
]

logger = logging.getLogger("spangle.broadcast")


class _Joined:
    """`Broadcast.joined`: one small object for the connection's lifetime.

    A generator-based context manager would keep a generator, its frame and
    a wrapper alive per joined connection, for the garbage collector to
    walk at every full collection.
    """

    __slots__ = ("_hub", "_channel", "_conn", "_options")

    def __init__(
        self,
        hub: Broadcast,
        channel: str,
        conn: Connection,
        options: dict[str, Any] | None,
    ) -> None:
        self._hub = hub
        self._channel = channel
        self._conn = conn
        # None for a plain join: an empty dict kept would be 64 bytes each.
        self._options = options

    async def __aenter__(self) -> None:
        options = self._options
        if options is None:
            await self._hub.join(self._channel, self._conn)
        else:
            await self._hub.join(self._channel, self._conn, **options)

    # duplicates: the signature every async context manager's exit has.
    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._hub.leave(self._channel, self._conn)


class Broadcast:
    """Publish messages to subscribers and WebSocket connections everywhere.

    A component: register a subclass whose `__init__` takes no argument,
    find it with `use_component`. `startup` connects to the backend,
    `shutdown` lets queued messages go out (bounded) and disconnects. Outside
    an Api, use it as `async with Broadcast(url) as hub:`.

    Every local subscriber (a `subscribe()` iterator or a joined connection)
    has a queue of `queue_size` messages. One that falls further behind is
    dropped without slowing the others: a joined connection is closed with
    1013 (try again later), an iterator raises `SubscriberDropped`; the drop
    is counted in `dropped` and logged at WARNING.

    Attributes:
        url (`str`): The backend URL.
        queue_size (`int`): Messages a subscriber may have waiting at most.
        dropped (`int`): Subscribers dropped for falling behind since startup.
        sweep_interval (`float`): Seconds between checks for closed joined
            connections (they also leave when a send to them fails).
        close_timeout (`float`): Seconds the 1013 close of a dropped
            connection may wait for the client to read.
        drain_timeout (`float`): Seconds `shutdown` lets queued messages go out.
        history (`int`): Messages kept per channel, with ids (0: none).
        presence_ttl (`float`): Seconds the members of a process that died
            without leaving stay listed at most.
    """

    def __init__(
        self,
        url: str = "memory://",
        *,
        queue_size: int = 1000,
        prefix: str = "spangle:",
        backend: BroadcastBackend | None = None,
        sweep_interval: float = 1.0,
        close_timeout: float = 30.0,
        drain_timeout: float = 5.0,
        history: int = 0,
        presence_ttl: float = 10.0,
    ) -> None:
        """Configure the broadcast; nothing connects before `startup`.

        Args:
            url: `memory://` (this process only) or `redis://host:port/db`.
            queue_size: Messages a subscriber may have waiting at most.
            prefix: Put in front of channel names in Redis.
            backend: A backend to use instead of the one `url` names.
            sweep_interval: Seconds between checks for closed connections.
            close_timeout: Seconds the 1013 close of a dropped connection
                may take.
            drain_timeout: Seconds `shutdown` lets queued messages go out.
            history: Keep the last `history` messages of every channel, each
                with an id, for `history=` and `since=` (0: keep none).
            presence_ttl: Seconds the members of a process that died without
                leaving stay listed at most; its heartbeat renews them every
                third of that.

        Raises:
            ValueError: The URL scheme is unsupported, `queue_size` < 1, or
                `history` is negative or above `queue_size`.
            NotImplementedError: `history` is asked of a backend without it.
        """
        if queue_size < 1:
            raise ValueError(f"queue_size must be at least 1, got {queue_size}")
        if not 0 <= history <= queue_size:
            raise ValueError(
                f"history must be from 0 to queue_size ({queue_size}), got {history}"
            )
        if not presence_ttl > 0:
            raise ValueError(f"presence_ttl must be positive, got {presence_ttl}")
        self.url = url
        self.queue_size = queue_size
        self.dropped = 0
        self.sweep_interval = sweep_interval
        self.close_timeout = close_timeout
        self.drain_timeout = drain_timeout
        self.history = history
        self.presence_ttl = presence_ttl
        self._backend = backend or backend_for_url(url, prefix=prefix)
        if history:
            self._backend.keep_history(history)
        self._make_fanouts()
        self._subscriptions: set[Subscription] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._started = False

    # -- lifecycle ---------------------------------------------------------

    async def startup(self) -> None:
        """Connect to the backend (the component startup).

        An unreachable Redis does not fail the startup: it is logged and
        retried in the background.
        """
        if self._started:
            return
        self.dropped = 0
        self._make_fanouts()
        self._subscriptions = set()
        await self._backend.connect(self._deliver)
        self._started = True
        self._sweeper = asyncio.create_task(self._sweep(), name="spangle-broadcast")

    async def shutdown(self) -> None:
        """End subscriptions, let queued messages go out, disconnect.

        `subscribe()` iterators end after their queued messages; joined
        connections get what is queued for them within `drain_timeout`,
        and stay open.
        """
        if not self._started:
            return
        self._started = False
        if self._sweeper is not None:
            self._sweeper.cancel()
            await asyncio.wait([self._sweeper])
        for subscription in self._subscriptions:
            subscription.close(discard=False)
        self._rooms.end_subscriptions()
        pending = self._members.drain() | await self._rooms.close() | self._tasks
        if pending:
            _, late = await asyncio.wait(pending, timeout=self.drain_timeout)
            for task in late:
                task.cancel()
            if late:
                await asyncio.wait(late)
        await self._backend.disconnect()

    async def __aenter__(self) -> Broadcast:
        """Start the broadcast outside of an Api."""
        await self.startup()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Shut the broadcast down."""
        await self.shutdown()

    # -- publishing and subscribing ----------------------------------------

    async def publish(self, channel: str, message: Message) -> str | None:
        """Send a message to every subscriber of a channel, in every process.

        With `history`, the message is kept (the last `history` of the
        channel are) with an id greater than every earlier one of the channel.

        Args:
            channel: The channel name.
            message: `str` (joined connections get a text frame) or `bytes`
                (a binary frame); subscribers get it with the same type.

        Returns:
            The message's id with `history`, else `None`.

        Raises:
            TypeError: The message is neither `str` nor `bytes`.
            BroadcastUnavailable: The backend (Redis) is unreachable; raised
                within its timeout, the message is not sent.
            RuntimeError: The broadcast is not started.
        """
        if not isinstance(message, (str, bytes)):
            raise TypeError(
                f"publish() takes str or bytes, not {type(message).__name__}"
            )
        self._check_started("publish()")
        if self.history:
            return await self._backend.append(channel, message)
        await self._backend.publish(channel, message)
        return None

    @asynccontextmanager
    async def subscribe(
        self, channel: str, *, history: int = 0, since: str | None = None
    ) -> AsyncIterator[Subscription]:
        """Receive the messages of a channel while the block runs.

        Once the block is entered, every message published on the channel
        afterwards is received (with Redis: once Redis confirmed, which is
        awaited for a bounded time). With `history` or `since`, kept
        messages come first, then the live ones, with no gap and no
        duplicate between them; `sub.last_id` tells where to resume.

        Args:
            channel: The channel name.
            history: Start with the last `history` kept messages.
            since: Start with the kept messages after this id (`history` is
                then ignored); `sub.missed` tells if some are lost.

        Yields:
            The subscription; iterate it with `async for`.

        Raises:
            RuntimeError: The broadcast is not started.
            ValueError: `history` or `since` without `Broadcast(history=)`.
            BroadcastUnavailable: The history cannot be read now.
        """
        self._check_started("subscribe()")
        self._check_history(history, since)
        if self.history:
            async with self._rooms.subscription(channel, history, since) as sub:
                yield sub
            return
        subscription = Subscription(channel, self.queue_size)
        self._subscriptions.add(subscription)
        try:
            await self._fanout.add(channel, subscription)
            yield subscription
        finally:
            self._subscriptions.discard(subscription)
            subscription.close(discard=True)
            await self._fanout.remove(channel, subscription)

    async def join(
        self,
        channel: str,
        conn: Connection,
        *,
        meta: Any = None,
        history: int = 0,
        since: str | None = None,
        events: bool = False,
    ) -> None:
        """Send every message of a channel to an accepted connection.

        Plain (no option), text messages become text frames, binary ones
        binary frames, and a publish sends to the connection at once; only
        while a send to it has to wait (its client reads slowly) are further
        messages queued, and a task sends them in order. With `history`,
        `since` or `events`, every frame is a JSON object instead (a
        `message` with its id, `missed`, `presence`, `join`, `leave`: see the
        rooms guide), sent history first, then live, with no gap and no
        duplicate. The connection leaves by itself when it closes: at once
        when a send to it fails, else within `sweep_interval`. Joining a
        channel twice does nothing.

        Args:
            channel: The channel name.
            conn: The connection, already accepted.
            meta: Make the connection a member of the channel's presence,
                described by this JSON object (a dict, dataclass or Struct).
            history: Send the last `history` kept messages first.
            since: Send the kept messages after this id first (`history` is
                then ignored), preceded by a `missed` frame if some are lost.
            events: Send the presence list, then every join and leave.

        Raises:
            RuntimeError: The broadcast is not started.
            ValueError: `history` or `since` without `Broadcast(history=)`.
            TypeError: `meta` is not a JSON object.
            BroadcastUnavailable: Redis cannot be reached now.
            WebSocketDisconnect: The client left during the history, or
                could not take it fast enough (closed with 1013).
        """
        self._check_started("join()")
        self._check_history(history, since)
        if meta is None and not (history or since is not None or events):
            await self._members.join(channel, conn)
            return
        await self._rooms.join(
            channel, conn, meta=meta, history=history, since=since, events=events
        )

    async def leave(self, channel: str, conn: Connection) -> None:
        """Stop sending a channel's messages to a connection.

        Messages of that channel already queued for it may still be sent,
        unless it was its last channel. Leaving a channel it has not joined
        does nothing.

        Args:
            channel: The channel name.
            conn: The connection.
        """
        await self._members.leave(channel, conn)
        await self._rooms.leave(channel, conn)

    def joined(
        self, channel: str, conn: Connection, **options: Any
    ) -> AbstractAsyncContextManager[None]:
        """Join a channel for the duration of a block, then leave it.

        Leaving does not wait for a send failure or a sweep: use it around
        the view's receive loop, which ends when the client goes away.

        Args:
            channel: The channel name.
            conn: The connection, already accepted.
            **options: `meta`, `history`, `since`, `events`, as for `join`.

        Returns:
            An async context manager; `async with hub.joined(channel, conn):`.
        """
        return _Joined(self, channel, conn, options or None)

    def subscriber_count(self, channel: str) -> int:
        """Count this process's subscribers of a channel.

        Args:
            channel: The channel name.

        Returns:
            Its `subscribe()` iterators and joined connections here.
        """
        return self._fanout.subscriber_count(channel) + self._rooms.subscriber_count(
            channel
        )

    async def presence(self, channel: str) -> list[Presence]:
        """List the members of a channel, in every process.

        A member is a connection joined with `meta=`; it stops being one
        when it leaves (or closes, within `sweep_interval`), or, when its
        process died, within `presence_ttl` seconds.

        Args:
            channel: The channel name.

        Returns:
            The members, oldest join first, each with its id and meta.

        Raises:
            RuntimeError: The broadcast is not started.
            BroadcastUnavailable: Redis cannot be reached now.
        """
        self._check_started("presence()")
        return await self._rooms.presence(channel)

    # -- private -------------------------------------------------------------

    def _make_fanouts(self) -> None:
        users: dict[str, set[object]] = {}
        plain = SharedUpstream(self._backend, users, "plain")
        self._fanout = Fanout(plain, self._on_overflow)
        self._members = Members(self._fanout, self.queue_size, self.close_timeout)
        self._rooms = Rooms(
            self._backend,
            SharedUpstream(self._backend, users, "rooms"),
            self.queue_size,
            self.close_timeout,
            self.presence_ttl,
            self._count_drop,
        )

    def _deliver(
        self, channel: str, message: Message, id: str | None = None, event: bool = False
    ) -> None:
        if event:
            self._rooms.event(channel, str(message))
            return
        self._fanout.dispatch(channel, message)
        self._rooms.deliver(channel, message, id)

    def _count_drop(self) -> None:
        self.dropped += 1

    def _check_history(self, history: int, since: str | None) -> None:
        if (history or since is not None) and not self.history:
            raise ValueError(
                "history= and since= need a Broadcast that keeps history: "
                "Broadcast(url, history=N)"
            )
        if history < 0:
            raise ValueError(f"history must be 0 or more, got {history}")

    def _check_started(self, call: str) -> None:
        if not self._started:
            raise RuntimeError(
                f"{call} on a Broadcast that is not started: register it as a "
                "component of the Api or use `async with Broadcast(url) as hub:`"
            )

    def _on_overflow(self, box: Box, channel: str, empty: list[str]) -> None:
        self.dropped += 1
        if isinstance(box, Member):
            self._members.evict(box, channel, empty)
            return
        logger.warning(
            "dropped a subscription to broadcast channel %r: its consumer fell "
            "more than %d messages behind",
            channel,
            self.queue_size,
        )
        task = asyncio.create_task(self._fanout.prune(empty))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _sweep(self) -> None:
        while True:
            # A periodic timer: Connection offers no close notification.
            await asyncio.sleep(self.sweep_interval)
            self._members.sweep()
            try:
                await self._rooms.sweep()
            except Exception:  # never stop sweeping for one bad round
                logger.exception("broadcast sweep failed; retrying")
