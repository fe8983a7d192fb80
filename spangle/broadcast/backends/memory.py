"""The in-process backend: messages reach the subscribers of this process only."""

from __future__ import annotations

import itertools
import secrets
import time
from collections import deque

from spangle.broadcast.backends.base import (
    BroadcastBackend,
    Deliver,
    Entry,
    History,
    MemberRecord,
    Message,
    id_key,
)

__all__ = ["MemoryBackend"]


def _nowhere(
    channel: str, message: Message, id: str | None = None, event: bool = False
) -> None:
    raise RuntimeError("the memory backend is not connected")


class _Log:
    """The kept messages of one channel and where its ids are."""

    __slots__ = ("entries", "last", "max_deleted")

    def __init__(self, size: int) -> None:
        self.entries: deque[Entry] = deque(maxlen=size)
        self.last = (0, 0)
        self.max_deleted = (0, 0)

    def add(self, message: Message) -> Entry:
        ms, seq = self.last
        now = time.time_ns() // 1_000_000
        # Ids only grow, even if the clock steps back.
        self.last = (now, 0) if now > ms else (ms, seq + 1)
        entry = Entry(f"{self.last[0]}-{self.last[1]}", message)
        entries = self.entries
        if len(entries) == entries.maxlen:
            self.max_deleted = id_key(entries[0].id) or self.max_deleted
        entries.append(entry)
        return entry


class MemoryBackend(BroadcastBackend):
    """Deliver every message to the local subscribers, synchronously.

    The URL is `memory://`. It needs no server and cannot be unavailable, but
    it does not cross process boundaries: with `--workers N`, use Redis.
    History is a bounded deque per channel; presence is this process's joins.
    """

    __slots__ = ("_deliver", "_history", "_logs", "_present", "_node", "_ids")

    def __init__(self) -> None:
        self._deliver: Deliver = _nowhere
        self._history = 0
        self._logs: dict[str, _Log] = {}
        self._present: dict[str, dict[str, str]] = {}
        self._node = secrets.token_hex(6)
        self._ids = itertools.count(1)

    async def connect(self, deliver: Deliver) -> None:
        """Start delivering to `deliver`.

        Args:
            deliver: The local fan-out.
        """
        self._deliver = deliver

    async def disconnect(self) -> None:
        """Stop delivering."""
        self._deliver = _nowhere

    async def publish(self, channel: str, message: Message) -> None:
        """Hand the message to the local subscribers before returning.

        Args:
            channel: The channel name.
            message: The message.
        """
        self._deliver(channel, message)

    def keep_history(self, size: int) -> None:
        """Keep the last `size` messages of every channel.

        Args:
            size: Messages kept per channel.
        """
        self._history = size

    async def append(self, channel: str, message: Message) -> str:
        """Keep the message and hand it to the local subscribers with its id.

        Args:
            channel: The channel name.
            message: The message.

        Returns:
            Its id.
        """
        log = self._logs.get(channel)
        if log is None:
            log = self._logs[channel] = _Log(self._history)
        entry = log.add(message)
        self._deliver(channel, message, entry.id)
        return entry.id

    # duplicates: each backend documents its own take on the `BroadcastBackend`
    # methods (base.py, memory.py, redis.py); the code differs.
    async def read(self, channel: str, since: str | None, count: int) -> History:
        """Read the kept messages of a channel.

        Args:
            channel: The channel name.
            since: Return the messages after this id.
            count: Without `since`, return the last `count` messages.

        Returns:
            The messages, oldest first.
        """
        log = self._logs.get(channel)
        if since is None:
            kept = list(log.entries) if log is not None else []
            return History(kept[max(len(kept) - count, 0) :], missed=False)
        start = id_key(since)
        if log is None or start is None:
            # A position in a history this process does not have: all is new.
            return History(list(log.entries) if log else [], missed=True)
        after = [e for e in log.entries if (id_key(e.id) or start) > start]
        return History(after, missed=start < log.max_deleted)

    async def announce(self, channel: str, event: str) -> None:
        """Hand a presence event to the local subscribers.

        Args:
            channel: The channel name.
            event: The event as JSON text.
        """
        self._deliver(channel, event, None, True)

    async def enter(self, channel: str, meta: str, ttl: float) -> str:
        """Record a member.

        Args:
            channel: The channel name.
            meta: The member's meta as JSON text.
            ttl: Unused: a process cannot outlive its own members.

        Returns:
            The member id.
        """
        member = f"{self._node}.{next(self._ids)}"
        self._present.setdefault(channel, {})[member] = meta
        return member

    # duplicates: documented as in `BroadcastBackend`, whose code only refuses.
    async def exit(self, channel: str, member: str) -> bool:
        """Forget a member.

        Args:
            channel: The channel name.
            member: The member id.

        Returns:
            Whether it was recorded.
        """
        present = self._present.get(channel)
        if present is None or present.pop(member, None) is None:
            return False
        if not present:
            del self._present[channel]
        return True

    async def members(self, channel: str) -> list[MemberRecord]:
        """List the members of a channel in this process.

        Args:
            channel: The channel name.

        Returns:
            The members, in the order they joined.
        """
        present = self._present.get(channel, {})
        return [MemberRecord(member, meta) for member, meta in present.items()]
