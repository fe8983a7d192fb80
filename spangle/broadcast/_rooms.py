"""Rooms: history with resume, presence, and framed connections.

A room exists in a process while something here wants more of a channel
than its plain messages: a connection joined with `history=`, `since=`,
`events=` or `meta=`, or a subscription of a Broadcast that keeps history.

Joining with history is gapless and duplicate-free: the joiner starts
buffering live messages *before* the history is read; then it gets the
history, then the buffered messages whose id is newer than the last one
of the history, then (registered without awaiting in between) the live
ones. Framed connections are `Members` of a fan-out of their own, so they
keep one bounded queue and one sending task each, and the 1013 rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import Any

from spangle._internal.typed import dumps
from spangle.broadcast._fanout import Box, Fanout
from spangle.broadcast._frames import (
    member_event,
    message_frame,
    missed_frame,
    presence_frame,
)
from spangle.broadcast._members import Member, Members
from spangle.broadcast._upstream import SharedUpstream, Tap
from spangle.broadcast.backends.base import (
    BroadcastBackend,
    Entry,
    MemberRecord,
    Message,
    Presence,
    id_key,
)
from spangle.broadcast.errors import BroadcastUnavailable
from spangle.broadcast.subscription import Subscription
from spangle.exceptions import CloseCode, WebSocketDisconnect
from spangle.models.websocket import Connection

__all__ = ["Rooms"]

logger = logging.getLogger("spangle.broadcast")

# The framed fan-out's key for a channel's presence events.
_EVENTS = "\x00events"
_TOO_SLOW = "too slow for the broadcast"
Key = tuple[int, int]


class _Buffer:
    """What arrives for a joiner while it reads the history."""

    __slots__ = ("items", "limit", "full", "events")

    def __init__(self, limit: int, events: bool) -> None:
        self.items: deque[tuple[Key | None, Any]] = deque()
        self.limit = limit
        self.full = False
        self.events = events

    def add(self, key: Key | None, item: Any) -> None:
        if len(self.items) >= self.limit:
            self.full = True
        else:
            self.items.append((key, item))


class _Resumable(Subscription):
    """A subscription whose messages carry ids."""

    __slots__ = ("ids",)

    def __init__(self, channel: str, limit: int) -> None:
        super().__init__(channel, limit)
        self.ids: deque[str | None] = deque()  # beside the queued messages

    async def __anext__(self) -> Message:
        message = await super().__anext__()
        self.last_id = self.ids.popleft()
        return message


class _Room:
    __slots__ = ("joining", "subscribing", "subs", "present")

    def __init__(self) -> None:
        self.joining: list[_Buffer] = []  # connections catching up (frames)
        self.subscribing: list[_Buffer] = []  # subscriptions catching up (entries)
        self.subs: dict[_Resumable, None] = {}
        self.present: dict[Connection, MemberRecord] = {}

    def idle(self) -> bool:
        return not (self.joining or self.subscribing or self.subs or self.present)


class Rooms:
    """The rooms of one Broadcast."""

    __slots__ = (
        "_backend",
        "_upstream",
        "_limit",
        "_ttl",
        "_on_drop",
        "_framed",
        "_members",
        "_rooms",
        "_heartbeat",
    )

    def __init__(
        self,
        backend: BroadcastBackend,
        upstream: SharedUpstream,
        limit: int,
        close_timeout: float,
        presence_ttl: float,
        on_drop: Callable[[], None],
    ) -> None:
        """Start with no room.

        Args:
            backend: The transport.
            upstream: The backend as the rooms share it with plain subscribers.
            limit: The queue bound of each subscriber.
            close_timeout: Seconds a 1013 close may wait for the client.
            presence_ttl: Seconds a dead process's members stay listed.
            on_drop: Called for each subscriber dropped for falling behind.
        """
        self._backend = backend
        self._upstream = upstream
        self._limit = limit
        self._ttl = presence_ttl
        self._on_drop = on_drop
        self._framed = Fanout(Tap(), self._overflow)
        self._members = Members(self._framed, limit, close_timeout)
        self._rooms: dict[str, _Room] = {}
        self._heartbeat: asyncio.Task[None] | None = None

    # -- arrivals ----------------------------------------------------------

    def deliver(self, channel: str, message: Message, id: str | None) -> None:
        """Hand a channel message to the room's framed members and subscriptions.

        Args:
            channel: The channel.
            message: The message.
            id: Its history id, if any.
        """
        room = self._rooms.get(channel)
        if room is None:
            return
        key = None if id is None else id_key(id)
        if room.joining or self._framed.subscriber_count(channel):
            frame = message_frame(channel, message, id)
            self._framed.dispatch(channel, frame)
            for buffer in room.joining:
                buffer.add(key, frame)
        for pending in room.subscribing:
            pending.add(key, Entry(id or "", message))
        late = [sub for sub in room.subs if not _push(sub, id, message)]
        for sub in late:
            del room.subs[sub]
            sub.drop()
            self._on_drop()
            logger.warning(
                "dropped a subscription to broadcast channel %r: its consumer fell "
                "more than %d messages behind",
                channel,
                self._limit,
            )

    def event(self, channel: str, event: str) -> None:
        """Hand a presence event to the members that asked for events.

        Args:
            channel: The channel.
            event: The event as JSON text.
        """
        room = self._rooms.get(channel)
        if room is None:
            return
        self._framed.dispatch(channel + _EVENTS, event)
        for buffer in room.joining:
            if buffer.events:
                buffer.add(None, event)

    # -- connections -------------------------------------------------------

    async def join(
        self,
        channel: str,
        conn: Connection,
        *,
        meta: Any,
        history: int,
        since: str | None,
        events: bool,
    ) -> None:
        """Join a connection with history, presence or events; see `Broadcast.join`."""
        room = self._room(channel)
        buffer = _Buffer(self._limit, events)
        room.joining.append(buffer)
        try:
            await self._upstream.subscribe(channel)
            me = None if meta is None else await self._enter(room, channel, conn, meta)
            first, last = await self._first_frames(channel, me, history, since, events)
            for frame in first:
                await conn.send(frame)
            while buffer.items and not buffer.full:
                key, frame = buffer.items.popleft()
                if key is None or last is None or key > last:
                    await conn.send(frame)
        finally:
            room.joining.remove(buffer)
        if buffer.full:
            await conn.close(CloseCode.TRY_AGAIN_LATER, _TOO_SLOW)
            raise WebSocketDisconnect(CloseCode.TRY_AGAIN_LATER, _TOO_SLOW)
        # No await may suspend from the last buffered frame to here: the
        # fan-out registers a member before awaiting (its backend is a Tap).
        await self._members.join(channel, conn)
        if events:
            await self._members.join(channel + _EVENTS, conn)

    async def _first_frames(
        self,
        channel: str,
        me: str | None,
        history: int,
        since: str | None,
        events: bool,
    ) -> tuple[list[str], Key | None]:
        frames = []
        if events:
            records = await self._backend.members(channel)
            frames.append(presence_frame(channel, me, records))
        last = None
        if history or since is not None:
            page = await self._backend.read(channel, since, history)
            if page.missed and since is not None:
                frames.append(missed_frame(channel, since))
            frames += [message_frame(channel, e.message, e.id) for e in page.entries]
            if page.entries:
                last = id_key(page.entries[-1].id)
        return frames, last

    async def _enter(
        self, room: _Room, channel: str, conn: Connection, meta: Any
    ) -> str:
        text = dumps(meta)
        if not text.startswith("{"):
            raise TypeError(f"meta must be a JSON object, not {type(meta).__name__}")
        old = room.present.pop(conn, None)
        if old is not None:
            await self._exit(channel, old)
        self._start_heartbeat()
        member = await self._backend.enter(channel, text, self._ttl)
        record = room.present[conn] = MemberRecord(member, text)
        await self._backend.announce(channel, member_event("join", channel, record))
        return member

    async def _exit(self, channel: str, record: MemberRecord) -> None:
        if await self._backend.exit(channel, record.id):
            with contextlib.suppress(BroadcastUnavailable):
                event = member_event("leave", channel, record)
                await self._backend.announce(channel, event)

    async def leave(self, channel: str, conn: Connection) -> None:
        """Take a connection out of a room; announce its leave if it was present.

        Args:
            channel: The channel.
            conn: The connection.
        """
        await self._members.leave(channel, conn)
        await self._members.leave(channel + _EVENTS, conn)
        room = self._rooms.get(channel)
        if room is None:
            return
        record = room.present.pop(conn, None)
        if record is not None:
            await self._exit(channel, record)
        await self._prune(channel)

    # -- subscriptions -----------------------------------------------------

    @contextlib.asynccontextmanager
    async def subscription(
        self, channel: str, history: int, since: str | None
    ) -> AsyncIterator[Subscription]:
        """Subscribe with ids, after replaying history; see `Broadcast.subscribe`."""
        room = self._room(channel)
        sub = _Resumable(channel, self._limit)
        pending = _Buffer(self._limit, events=False)
        room.subscribing.append(pending)
        try:
            try:
                await self._upstream.subscribe(channel)
                last = None
                if history or since is not None:
                    page = await self._backend.read(channel, since, history)
                    sub.missed = page.missed and since is not None
                    for entry in page.entries:
                        _push(sub, entry.id, entry.message)
                    last = id_key(page.entries[-1].id) if page.entries else None
                for key, entry in pending.items:
                    if key is None or last is None or key > last:
                        _push(sub, entry.id, entry.message)
            finally:
                room.subscribing.remove(pending)
            room.subs[sub] = None
            yield sub
        finally:
            room.subs.pop(sub, None)
            sub.close(discard=True)
            await self._prune(channel)

    def end_subscriptions(self) -> None:
        """End every subscription after its queued messages (shutdown)."""
        for room in self._rooms.values():
            for sub in room.subs:
                sub.close(discard=False)

    # -- presence ------------------------------------------------------------

    async def presence(self, channel: str) -> list[Presence]:
        """List a channel's members in every process; see `Broadcast.presence`."""
        records = await self._backend.members(channel)
        return [Presence(r.id, json.loads(r.meta)) for r in records]

    def _start_heartbeat(self) -> None:
        if self._heartbeat is None:
            self._heartbeat = asyncio.create_task(
                self._beat(), name="spangle-broadcast-presence"
            )

    async def _beat(self) -> None:
        while True:
            # A periodic timer: a process's liveness key lives `ttl` seconds.
            await asyncio.sleep(self._ttl / 3)
            try:
                await self._refresh()
            except BroadcastUnavailable:
                pass  # the backend logs the outage; the next beat retries
            except Exception:
                logger.exception("broadcast presence heartbeat failed; retrying")

    async def _refresh(self) -> None:
        for channel, record in await self._backend.refresh(self._ttl):
            await self._backend.announce(channel, member_event("join", channel, record))
        for channel in list(self._rooms):
            for record in await self._backend.expire(channel):
                event = member_event("leave", channel, record)
                await self._backend.announce(channel, event)

    # -- housekeeping --------------------------------------------------------

    def subscriber_count(self, channel: str) -> int:
        """Count the framed connections and subscriptions of a channel here."""
        room = self._rooms.get(channel)
        subs = 0 if room is None else len(room.subs)
        return self._framed.subscriber_count(channel) + subs

    async def sweep(self) -> None:
        """Let go of closed connections: their presence ends, rooms empty."""
        self._members.sweep()
        for channel, room in list(self._rooms.items()):
            for conn in [c for c in room.present if c.closed]:
                await self._exit(channel, room.present.pop(conn))
            await self._prune(channel)

    async def close(self) -> set[asyncio.Task[None]]:
        """Stop the heartbeat, end presence; return the senders to wait for."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            await asyncio.wait([self._heartbeat])
            self._heartbeat = None
        for channel, room in self._rooms.items():
            for record in room.present.values():
                with contextlib.suppress(BroadcastUnavailable):
                    await self._exit(channel, record)
            room.present.clear()
        return self._members.drain()

    def _room(self, channel: str) -> _Room:
        room = self._rooms.get(channel)
        if room is None:
            room = self._rooms[channel] = _Room()
        return room

    async def _prune(self, channel: str) -> None:
        room = self._rooms.get(channel)
        if room is None or not room.idle():
            return
        if self._framed.subscriber_count(channel) or self._framed.subscriber_count(
            channel + _EVENTS
        ):
            return
        del self._rooms[channel]
        await self._upstream.unsubscribe(channel)

    def _overflow(self, box: Box, channel: str, empty: list[str]) -> None:
        self._on_drop()
        if isinstance(box, Member):
            self._members.evict(box, channel.removesuffix(_EVENTS), empty)


def _push(sub: _Resumable, id: str | None, message: Message) -> bool:
    if not sub.push(message):
        return False
    sub.ids.append(id)
    return True
