"""The Redis backend: pub/sub across processes and hosts.

Each process holds one subscriber connection with one plain `SUBSCRIBE` per
channel (named `prefix + channel`) and fans messages out locally. A one-byte
tag in front of every payload keeps `str` and `bytes` apart through Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

from spangle._internal.extras import missing_extra

# duplicates: the guard of every optional extra: import, else say which
# extra to install.
try:
    from redis.asyncio import Redis
    from redis.asyncio.client import PubSub
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
except ImportError as error:
    raise missing_extra("Broadcast on Redis", "redis", error) from error

from spangle.broadcast.backends._redis_store import EVENT, WITH_ID, Presence, Streams
from spangle.broadcast.backends.base import (
    BroadcastBackend,
    Deliver,
    Entry,
    History,
    MemberRecord,
    Message,
    id_key,
)
from spangle.broadcast.errors import BroadcastUnavailable

__all__ = ["RedisBackend"]

logger = logging.getLogger("spangle.broadcast")

_TEXT = b"s"
_BINARY = b"b"
_FIRST_BACKOFF = 0.1
# Errors that mean "Redis is unreachable"; anything else is a bug and propagates.
_DOWN = (RedisError, OSError, asyncio.TimeoutError)


def encode(message: Message) -> bytes:
    """Tag a message with its type.

    Args:
        message: Text or binary.

    Returns:
        The Redis payload.

    Raises:
        TypeError: The message is neither `str` nor `bytes`.
    """
    if isinstance(message, str):
        return _TEXT + message.encode("utf-8")
    if isinstance(message, bytes):
        return _BINARY + message
    raise TypeError(f"a message is str or bytes, not {type(message).__name__}")


def decode(payload: bytes) -> Message | None:
    """Read a tagged payload back.

    Args:
        payload: What came from Redis.

    Returns:
        The message, or `None` when the payload has no known tag (someone
        other than spangle published on the channel).
    """
    tag = payload[:1]
    if tag == _TEXT:
        return payload[1:].decode("utf-8", "replace")
    if tag == _BINARY:
        return payload[1:]
    return None


class _Upstream:
    """One Redis channel this process wants."""

    __slots__ = ("channel", "ready", "pending", "cursor", "seen")

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.ready = asyncio.Event()
        self.pending = 0
        # With history: where a catch-up after an outage starts (the newest
        # id known), and the newest id delivered (older ones are duplicates).
        self.cursor: tuple[int, int] | None = None
        self.seen = (0, 0)


class RedisBackend(BroadcastBackend):
    """Carry messages through Redis pub/sub (`redis://host:port/db`).

    Without history, messages published while a process is disconnected
    from Redis are lost for it: pub/sub keeps nothing. With history
    (`keep_history`), each message is also added to a Redis Stream, and a
    process that reconnects reads what it missed from there, in order.

    Attributes:
        url (`str`): The Redis URL.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "spangle:",
        timeout: float = 2.0,
        max_backoff: float = 2.0,
        health_interval: float = 5.0,
    ) -> None:
        """Configure the backend; nothing connects before `connect`.

        Args:
            url: A `redis://`, `rediss://` or `unix://` URL understood by redis-py.
            prefix: Put in front of every channel name in Redis.
            timeout: Seconds a connect, a publish or a subscription waits for
                Redis at most.
            max_backoff: Longest pause, in seconds, between reconnection attempts.
            health_interval: After this many silent seconds the subscriber
                connection sends a PING; no answer within as long again
                means Redis is gone (a network that drops packets silently).
        """
        self.url = url
        self._prefix = prefix.encode("utf-8")
        self._timeout = timeout
        self._max_backoff = max_backoff
        self._health_interval = health_interval
        self._client: Redis | None = None
        self._pubsub: PubSub | None = None  # the live subscriber connection
        self._wanted: dict[bytes, _Upstream] = {}
        self._deliver: Deliver | None = None
        self._reader: asyncio.Task[None] | None = None
        self._up = asyncio.Event()
        self._streams = Streams(self._prefix)
        self._presence = Presence(self._prefix)

    async def connect(self, deliver: Deliver) -> None:
        """Connect, waiting up to the timeout; keep trying in the background.

        An unreachable Redis does not fail the startup: it is logged at
        WARNING and retried, and `publish` raises `BroadcastUnavailable`
        until it answers.

        Args:
            deliver: The local fan-out.
        """
        self._deliver = deliver
        self._client = Redis.from_url(
            self.url,
            socket_connect_timeout=self._timeout,
            socket_timeout=self._timeout,
            socket_keepalive=True,
            retry=Retry(NoBackoff(), 0),  # we handle failures ourselves
        )
        self._up = asyncio.Event()
        self._reader = asyncio.create_task(self._run(), name="spangle-broadcast-redis")
        # On timeout _run has logged why, and it keeps trying.
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._up.wait(), self._timeout)

    async def disconnect(self) -> None:
        """Stop the subscriber connection and close the client."""
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            await asyncio.wait([reader])
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()
        self._wanted.clear()

    async def publish(self, channel: str, message: Message) -> None:
        """Publish through Redis.

        Args:
            channel: The channel name.
            message: The message.

        Raises:
            BroadcastUnavailable: Redis did not take the message in time.
            RuntimeError: The backend is not connected.
        """
        payload = encode(message)
        with self._reaching("publish to"):
            await self._connected().publish(self._key(channel), payload)

    async def subscribe(self, channel: str) -> None:
        """Subscribe once per channel; wait (bounded) until Redis confirms.

        While Redis is down this returns at once: the subscription is made
        when it comes back.

        Args:
            channel: The channel name.
        """
        key = self._key(channel)
        upstream = self._wanted.get(key)
        if upstream is None:
            upstream = self._wanted[key] = _Upstream(channel)
            await self._command(upstream, "subscribe", key)
        if not upstream.ready.is_set() and self._pubsub is not None:
            # On timeout, delivery starts whenever Redis confirms.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(upstream.ready.wait(), self._timeout)

    async def unsubscribe(self, channel: str) -> None:
        """Unsubscribe from the channel in Redis.

        Args:
            channel: The channel name.
        """
        key = self._key(channel)
        upstream = self._wanted.pop(key, None)
        if upstream is not None:
            upstream.ready.set()  # release anyone still waiting for it
            await self._command(upstream, "unsubscribe", key)

    # -- history -----------------------------------------------------------

    def keep_history(self, size: int) -> None:
        """Keep the last `size` messages of every channel in a Redis Stream.

        Args:
            size: Entries kept per channel (`XADD ... MAXLEN size`).
        """
        self._streams.size = size

    async def append(self, channel: str, message: Message) -> str:
        """Add the message to the channel's stream and publish it with its id.

        Both happen in one Lua script: ids are delivered in their order.

        Args:
            channel: The channel name.
            message: The message.

        Returns:
            The stream entry id.

        Raises:
            BroadcastUnavailable: Redis did not take the message in time.
            RuntimeError: The backend is not connected.
        """
        payload = encode(message)
        client = self._connected()
        with self._reaching("publish to"):
            return await self._streams.append(
                client, channel, self._key(channel), payload
            )

    async def read(self, channel: str, since: str | None, count: int) -> History:
        """Read a channel's stream.

        Args:
            channel: The channel name.
            since: Return the entries after this id.
            count: Without `since`, return the last `count` entries.

        Returns:
            The messages, oldest first; `missed` is exact on Redis 7 and
            later (`max-deleted-entry-id`).

        Raises:
            BroadcastUnavailable: Redis did not answer in time.
        """
        client = self._connected()
        streams = self._streams
        with self._reaching("read the history from"):
            if since is None:
                raw = await streams.last(client, channel, count)
                missed = False
            else:
                missed = await streams.missed(client, channel, since)
                start = since if id_key(since) is not None else "0-0"
                raw = await streams.after(client, channel, start.encode("ascii"))
        entries = []
        for raw_id, fields in raw:
            message = decode(fields.get(b"m", b""))
            if message is not None:
                entries.append(Entry(raw_id.decode("ascii"), message))
        return History(entries, missed)

    # -- presence ----------------------------------------------------------

    async def announce(self, channel: str, event: str) -> None:
        """Publish a presence event on the channel.

        Args:
            channel: The channel name.
            event: The event as JSON text.

        Raises:
            BroadcastUnavailable: Redis did not take it in time.
        """
        with self._reaching("publish to"):
            await self._connected().publish(
                self._key(channel), EVENT + event.encode("utf-8")
            )

    # duplicates: documented as in `BroadcastBackend`, whose code only refuses.
    async def enter(self, channel: str, meta: str, ttl: float) -> str:
        """Record a member in the channel's presence hash.

        Args:
            channel: The channel name.
            meta: The member's meta as JSON text.
            ttl: Seconds this process's members outlive its last `refresh`.

        Returns:
            The member id.

        Raises:
            BroadcastUnavailable: Redis did not take it in time (the member
                is recorded by the next successful `refresh`).
        """
        member, value = self._presence.add(channel, meta, ttl)
        with self._reaching("record presence in"):
            await self._presence.store(self._connected(), channel, member, value)
        return member

    async def exit(self, channel: str, member: str) -> bool:
        """Remove a member from the channel's presence hash.

        When Redis is unreachable, the next `refresh` removes it.

        Args:
            channel: The channel name.
            member: The member id.

        Returns:
            Whether this process had recorded it.
        """
        if not self._presence.remove(channel, member):
            return False
        with contextlib.suppress(*_DOWN):
            await self._presence.delete(self._connected(), channel, member)
        return True

    async def members(self, channel: str) -> list[MemberRecord]:
        """List the members of live processes.

        Args:
            channel: The channel name.

        Returns:
            The members, oldest join first.

        Raises:
            BroadcastUnavailable: Redis did not answer in time.
        """
        with self._reaching("read presence from"):
            return await self._presence.members(self._connected(), channel)

    async def refresh(self, ttl: float) -> list[tuple[str, MemberRecord]]:
        """Renew this process's liveness key; record again what Redis lost.

        Args:
            ttl: Seconds the key lives.

        Returns:
            The members recorded again.

        Raises:
            BroadcastUnavailable: Redis did not answer in time.
        """
        with self._reaching("refresh presence in"):
            return await self._presence.refresh(self._connected(), ttl)

    async def expire(self, channel: str) -> list[MemberRecord]:
        """Remove the members of processes whose liveness key expired.

        Args:
            channel: The channel name.

        Returns:
            The members this call removed.

        Raises:
            BroadcastUnavailable: Redis did not answer in time.
        """
        with self._reaching("expire presence in"):
            return await self._presence.expire(self._connected(), channel)

    # -- private ----------------------------------------------------------

    def _key(self, channel: str) -> bytes:
        return self._prefix + channel.encode("utf-8")

    def _connected(self) -> Redis:
        if self._client is None:
            raise RuntimeError("the Redis backend is not connected")
        return self._client

    @contextlib.contextmanager
    def _reaching(self, what: str) -> Iterator[None]:
        """Turn a lost or slow Redis inside the block into `BroadcastUnavailable`.

        Args:
            what: What the block does, for the message ("publish to").
        """
        try:
            yield
        except _DOWN as exc:
            raise BroadcastUnavailable(
                f"cannot {what} Redis at {self.url}: {exc or type(exc).__name__}"
            ) from exc

    async def _command(self, upstream: _Upstream, command: str, key: bytes) -> None:
        pubsub = self._pubsub
        if pubsub is None:
            return  # down: the reader subscribes to everything wanted on recovery
        if command == "subscribe":
            upstream.pending += 1
        # On failure the reader sees the same outage and resubscribes.
        with contextlib.suppress(*_DOWN):
            await getattr(pubsub, command)(key)

    async def _run(self) -> None:
        backoff = _FIRST_BACKOFF
        down_since: float | None = None
        ever_up = False
        while True:
            assert self._client is not None
            pubsub = self._client.pubsub()
            try:
                await self._open(pubsub)
                if down_since is not None:
                    logger.warning(
                        "Redis at %s is reachable again after %.1f s; "
                        "resubscribed to %d channel(s)",
                        self.url,
                        time.monotonic() - down_since,
                        len(self._wanted),
                    )
                down_since, backoff, ever_up = None, _FIRST_BACKOFF, True
                await self._listen(pubsub)
            except _DOWN as exc:
                if down_since is None:
                    down_since = time.monotonic()
                    self._log_outage(exc, ever_up)
            except Exception:
                # Never let a surprise end delivery for good: start over.
                logger.exception("broadcast Redis subscriber failed; reconnecting")
                down_since = down_since or time.monotonic()
            finally:
                self._pubsub = None
                self._up.clear()
                await _quietly_close(pubsub)
            # PERF: a capped exponential backoff keeps a dead Redis cheap while
            # recovery is still noticed within a couple of seconds.
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def _log_outage(self, exc: BaseException, ever_up: bool) -> None:
        what = "lost the connection to" if ever_up else "cannot connect to"
        logger.warning(
            "broadcast %s Redis at %s (%s); reconnecting with backoff, "
            "joined connections stay open, publish() raises meanwhile",
            what,
            self.url,
            exc or type(exc).__name__,
        )

    async def _open(self, pubsub: PubSub) -> None:
        await asyncio.wait_for(
            pubsub.connect(),  # type: ignore[no-untyped-call]
            self._timeout,
        )
        self._pubsub = pubsub
        keys = list(self._wanted)
        for upstream in self._wanted.values():
            upstream.ready.clear()
            upstream.pending = 1
        if keys:
            await asyncio.wait_for(pubsub.subscribe(*keys), self._timeout)
        self._up.set()

    async def _listen(self, pubsub: PubSub) -> None:
        pinged = False
        while True:
            message: dict[str, Any] | None = await pubsub.get_message(
                timeout=self._health_interval
            )
            if message is None:
                if pinged:
                    raise RedisConnectionError(
                        f"no answer to PING within {self._health_interval} s"
                    )
                await pubsub.ping()
                pinged = True
                continue
            pinged = False
            kind = message["type"]
            if kind == "message":
                self._on_message(message["channel"], message["data"])
            elif kind == "subscribe":
                await self._on_confirmed(message["channel"])

    def _on_message(self, key: bytes, payload: bytes) -> None:
        upstream = self._wanted.get(key)
        if upstream is None or self._deliver is None:
            return  # a late message of a channel we just left
        tag = payload[:1]
        if tag == WITH_ID:
            raw_id, _, payload = payload[1:].partition(b" ")
            self._on_entry(upstream, raw_id, payload)
            return
        if tag == EVENT:
            self._deliver(
                upstream.channel, payload[1:].decode("utf-8", "replace"), None, True
            )
            return
        message = decode(payload)
        if message is None:
            logger.warning(
                "ignored a message on Redis channel %r without spangle's type tag",
                key.decode("utf-8", "replace"),
            )
            return
        self._deliver(upstream.channel, message)

    def _on_entry(self, upstream: _Upstream, raw_id: bytes, payload: bytes) -> None:
        id = raw_id.decode("ascii", "replace")
        key = id_key(id)
        if key is None or key <= upstream.seen:
            return  # already delivered: caught up from the stream, then live
        upstream.seen = key
        if upstream.cursor is None or key > upstream.cursor:
            upstream.cursor = key
        message = decode(payload)
        if message is not None and self._deliver is not None:
            self._deliver(upstream.channel, message, id)

    async def _on_confirmed(self, key: bytes) -> None:
        upstream = self._wanted.get(key)
        if upstream is None:
            return
        if self._streams.size:
            await self._catch_up(upstream)
        upstream.pending -= 1
        if upstream.pending <= 0:
            upstream.ready.set()

    async def _catch_up(self, upstream: _Upstream) -> None:
        # Runs once Redis confirmed the subscription, before reading on:
        # what the stream holds past the cursor was published while this
        # process was not subscribed. Live copies of it are skipped by id.
        client = self._connected()
        if upstream.cursor is None:  # a new subscription: start from now
            newest = await self._streams.last(client, upstream.channel, 1)
            upstream.cursor = id_key(newest[0][0].decode("ascii")) if newest else (0, 0)
            return
        cursor = "{}-{}".format(*upstream.cursor).encode("ascii")
        for raw_id, fields in await self._streams.after(
            client, upstream.channel, cursor
        ):
            self._on_entry(upstream, raw_id, fields.get(b"m", b""))


async def _quietly_close(pubsub: PubSub) -> None:
    with contextlib.suppress(*_DOWN):  # the connection may be gone already
        await pubsub.aclose()  # type: ignore[no-untyped-call]
