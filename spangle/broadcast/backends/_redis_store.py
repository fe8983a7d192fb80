"""What the Redis backend keeps in Redis: history streams and presence hashes.

- History: one stream per channel, `prefix + "history:" + channel`, trimmed
  to the last N entries (`MAXLEN`), the tagged payload in field `m`. One Lua
  script adds the entry and publishes it with its id, so the order of ids
  is the order of delivery; it also writes the newest trimmed id to
  `prefix + "trimmed:" + channel`, so a reader knows where the window starts.
- Presence: one hash per channel, `prefix + "presence:" + channel`, member
  id → `"<joined ms> <meta JSON>"`. A member id is `<node>.<n>`, the node
  being the process; the node is alive while its key `prefix + "node:" +
  node` exists, a key with a TTL its heartbeat (`refresh`) renews. Members
  of a node whose key expired are skipped by readers and removed by `expire`.
"""

from __future__ import annotations

import itertools
import secrets
import time
from typing import Any

from redis.asyncio import Redis

from spangle.broadcast.backends.base import MemberRecord, id_key

__all__ = ["Presence", "Streams"]

# PUBLISH carries the id in front of the tagged payload: b"i" id b" " payload.
APPEND = """
local size = tonumber(ARGV[1])
local over = redis.call('XLEN', KEYS[1]) - size + 1
if over > 0 then
  local gone = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', over)
  redis.call('SET', KEYS[2], gone[#gone][1])
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', size, '*', 'm', ARGV[2])
redis.call('PUBLISH', ARGV[3], 'i' .. id .. ' ' .. ARGV[2])
return id
"""
WITH_ID = b"i"
EVENT = b"p"


class Streams:
    """History streams: append, read back, and catch up after an outage."""

    __slots__ = ("_prefix", "size", "_append")

    def __init__(self, prefix: bytes) -> None:
        self._prefix = prefix
        self.size = 0
        self._append: Any = None

    def key(self, channel: str) -> bytes:
        """Name the stream of a channel."""
        return self._prefix + b"history:" + channel.encode("utf-8")

    def _trimmed(self, channel: str) -> bytes:
        return self._prefix + b"trimmed:" + channel.encode("utf-8")

    async def append(
        self, client: Redis, channel: str, topic: bytes, payload: bytes
    ) -> str:
        """Add an entry and publish it on `topic` with its id; return the id."""
        if self._append is None:
            # redis-py's Script falls back to EVAL after a restart (NOSCRIPT).
            self._append = client.register_script(APPEND)
        added = await self._append(
            keys=[self.key(channel), self._trimmed(channel)],
            args=[self.size, payload, topic],
        )
        return str(added.decode("ascii"))

    async def last(self, client: Redis, channel: str, count: int) -> list[Any]:
        """Read the last `count` entries, oldest first."""
        if count <= 0:
            return []
        newest: Any = await client.xrevrange(self.key(channel), count=count)
        return list(reversed(newest or []))

    async def after(self, client: Redis, channel: str, since: bytes) -> list[Any]:
        """Read every entry after an id, oldest first."""
        entries: Any = await client.xrange(self.key(channel), b"(" + since)
        return list(entries or [])

    async def missed(self, client: Redis, channel: str, since: str) -> bool:
        """Tell whether entries after `since` were trimmed away (or lost)."""
        start = id_key(since)
        async with client.pipeline(transaction=False) as pipe:
            pipe.exists(self.key(channel))
            pipe.get(self._trimmed(channel))
            exists, trimmed = await pipe.execute()
        if start is None or not exists:  # a history Redis does not have
            return True
        return trimmed is not None and start < (id_key(_text(trimmed)) or (0, 0))


class Presence:
    """This process's members, recorded in Redis, and everyone's liveness."""

    __slots__ = ("_prefix", "node", "_ids", "_local", "_stale", "_ttl")

    def __init__(self, prefix: bytes) -> None:
        self._prefix = prefix
        self.node = secrets.token_hex(6)
        self._ids = itertools.count(1)
        # channel → member → stored value: what Redis should hold for us.
        self._local: dict[str, dict[str, str]] = {}
        # Channels whose record may differ from _local (a write failed).
        self._stale: set[str] = set()
        self._ttl = 10.0

    def _hash(self, channel: str) -> bytes:
        return self._prefix + b"presence:" + channel.encode("utf-8")

    def _node_key(self, node: str) -> bytes:
        return self._prefix + b"node:" + node.encode("ascii")

    def add(self, channel: str, meta: str, ttl: float) -> tuple[str, str]:
        """Record a member here; return its id and its stored value."""
        self._ttl = ttl
        member = f"{self.node}.{next(self._ids)}"
        value = f"{time.time_ns() // 1_000_000} {meta}"
        self._local.setdefault(channel, {})[member] = value
        self._stale.add(channel)
        return member, value

    async def store(self, client: Redis, channel: str, member: str, value: str) -> None:
        """Write one member to Redis, with its node alive."""
        ttl_ms = int(self._ttl * 1000)
        async with client.pipeline(transaction=False) as pipe:
            pipe.set(self._node_key(self.node), b"1", px=ttl_ms)
            pipe.hset(self._hash(channel), member, value)
            pipe.pexpire(self._hash(channel), 2 * ttl_ms)
            await pipe.execute()
        self._stale.discard(channel)

    def remove(self, channel: str, member: str) -> bool:
        """Forget a member here; tell whether it was recorded."""
        local = self._local.get(channel)
        if local is None or local.pop(member, None) is None:
            return False
        if not local:
            del self._local[channel]
        self._stale.add(channel)
        return True

    async def delete(self, client: Redis, channel: str, member: str) -> None:
        """Remove one member from Redis."""
        await client.hdel(self._hash(channel), member)
        if channel not in self._local or member not in self._local[channel]:
            self._stale.discard(channel)

    async def members(self, client: Redis, channel: str) -> list[MemberRecord]:
        """The live members of a channel, oldest join first."""
        live, _ = await self._split(client, channel)
        return [MemberRecord(member, value) for _, member, value in sorted(live)]

    async def expire(self, client: Redis, channel: str) -> list[MemberRecord]:
        """Remove the members of dead nodes; return those this call removed."""
        _, dead = await self._split(client, channel)
        if not dead:
            return []
        async with client.pipeline(transaction=False) as pipe:
            for member, _ in dead:
                pipe.hdel(self._hash(channel), member)
            removed = await pipe.execute()
        return [
            MemberRecord(m, meta_of(v))
            for (m, v), gone in zip(dead, removed, strict=True)
            if gone
        ]

    async def refresh(
        self, client: Redis, ttl: float
    ) -> list[tuple[str, MemberRecord]]:
        """Renew this node's key; record again whatever Redis lost."""
        self._ttl = ttl
        ttl_ms = int(ttl * 1000)
        alive = await client.set(self._node_key(self.node), b"1", px=ttl_ms, xx=True)
        lost = not alive
        channels = set(self._local) if lost else set(self._stale)
        again: list[tuple[str, MemberRecord]] = []
        for channel in channels:
            again += await self._resync(client, channel, report=lost)
        async with client.pipeline(transaction=False) as pipe:
            pipe.set(self._node_key(self.node), b"1", px=ttl_ms)
            for channel in self._local:
                pipe.pexpire(self._hash(channel), 2 * ttl_ms)
            await pipe.execute()
        return again

    async def _resync(
        self, client: Redis, channel: str, *, report: bool
    ) -> list[tuple[str, MemberRecord]]:
        mine = self.node + "."
        stored = {
            _text(k): _text(v)
            for k, v in (await client.hgetall(self._hash(channel))).items()
        }
        local = self._local.get(channel, {})
        extra = [m for m in stored if m.startswith(mine) and m not in local]
        missing = {m: v for m, v in local.items() if stored.get(m) != v}
        async with client.pipeline(transaction=False) as pipe:
            if extra:
                pipe.hdel(self._hash(channel), *extra)
            if missing:
                pipe.hset(self._hash(channel), mapping=missing)  # type: ignore[arg-type]
            await pipe.execute()
        self._stale.discard(channel)
        if not report:
            return []
        return [(channel, MemberRecord(m, meta_of(v))) for m, v in missing.items()]

    async def _split(
        self, client: Redis, channel: str
    ) -> tuple[list[tuple[int, str, str]], list[tuple[str, str]]]:
        stored = await client.hgetall(self._hash(channel))
        if not stored:
            return [], []
        entries = [(_text(k), _text(v)) for k, v in stored.items()]
        nodes = sorted({member.rpartition(".")[0] for member, _ in entries})
        flags = await client.mget([self._node_key(node) for node in nodes])
        alive = {
            node for node, flag in zip(nodes, flags, strict=True) if flag is not None
        }
        live: list[tuple[int, str, str]] = []
        dead: list[tuple[str, str]] = []
        for member, value in entries:
            if member.rpartition(".")[0] in alive:
                joined, _, meta = value.partition(" ")
                live.append((int(joined) if joined.isdigit() else 0, member, meta))
            else:
                dead.append((member, value))
        return live, dead


def meta_of(value: str) -> str:
    """Take the meta JSON out of a stored member value."""
    return value.partition(" ")[2]


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
