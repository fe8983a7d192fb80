"""The interface between a `Broadcast` and the transport carrying its messages."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol, TypeAlias

__all__ = [
    "BroadcastBackend",
    "Deliver",
    "Entry",
    "History",
    "MemberRecord",
    "Message",
    "Presence",
    "id_key",
]

Message: TypeAlias = str | bytes
"""A broadcast message: text or binary, kept as such end to end."""


class Deliver(Protocol):
    """Called by a backend for every message arriving on a subscribed channel.

    `id` is the message's history id when the Broadcast keeps a history;
    `event` marks a presence event (a JSON text) instead of a message.
    """

    def __call__(
        self, channel: str, message: Message, id: str | None = None, event: bool = False
    ) -> None:
        """Take one message."""


class Entry(NamedTuple):
    """A message kept in a channel's history, with its id.

    Attributes:
        id (`str`): Increases with every message of the channel:
            `"<milliseconds>-<sequence>"`, as Redis Streams ids.
        message (`str | bytes`): The message.
    """

    id: str
    message: Message


@dataclass(frozen=True)
class History:
    """What a channel's history holds from a point on.

    Attributes:
        entries (`list[Entry]`): The messages, oldest first.
        missed (`bool`): Whether messages after the point asked for are no
            longer kept (the history window moved past it).
    """

    entries: list[Entry]
    missed: bool


@dataclass(frozen=True)
class Presence:
    """A member of a channel, in any process.

    Attributes:
        id (`str`): Unique to this join of this connection.
        meta (`dict[str, Any]`): What the join said about the member.
    """

    id: str
    meta: dict[str, Any]


class MemberRecord(NamedTuple):
    """A present member as a backend stores it.

    Attributes:
        id (`str`): The member id.
        meta (`str`): Its meta, as JSON text.
    """

    id: str
    meta: str


def id_key(id: str) -> tuple[int, int] | None:
    """Make a history id comparable.

    Args:
        id: `"<milliseconds>-<sequence>"`.

    Returns:
        `(milliseconds, sequence)`, or `None` when `id` is not such an id.
    """
    ms, dash, seq = id.partition("-")
    if not (dash and ms.isdigit() and seq.isdigit()):
        return None
    return int(ms), int(seq)


class _Unsupported(NotImplementedError):
    def __init__(self, backend: object, feature: str) -> None:
        super().__init__(f"{type(backend).__name__} does not support {feature}")


class BroadcastBackend(ABC):
    """Carries messages between the `Broadcast`s sharing one URL.

    A backend delivers each message published on a channel, by any process,
    to the `deliver` callback of every process subscribed to that channel,
    in publication order. `subscribe` and `unsubscribe` are called with the
    local bookkeeping already done, so they do their own synchronous work
    before their first `await`: calls for one channel may interleave.
    """

    __slots__ = ()

    @abstractmethod
    async def connect(self, deliver: Deliver) -> None:
        """Start carrying messages.

        Args:
            deliver: Receives `(channel, message)` for every message arriving
                on a subscribed channel; it must not block.
        """

    @abstractmethod
    async def disconnect(self) -> None:
        """Stop carrying messages and release every resource."""

    @abstractmethod
    async def publish(self, channel: str, message: Message) -> None:
        """Send a message to every subscriber of a channel, in any process.

        Args:
            channel: The channel name.
            message: The message; its type is kept.

        Raises:
            BroadcastUnavailable: The transport cannot take it now.
        """

    async def subscribe(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Start receiving a channel's messages; return once they flow.

        Called for every local subscriber of the channel, so it must be cheap
        when the channel is already subscribed. The default does nothing.

        Args:
            channel: The channel name.
        """

    async def unsubscribe(self, channel: str) -> None:  # noqa: B027 - optional hook
        """Stop receiving a channel's messages (its last local subscriber left).

        Args:
            channel: The channel name.
        """

    # -- history (optional) ------------------------------------------------

    def keep_history(self, size: int) -> None:
        """Keep the last `size` messages of every channel, with ids.

        From then on the Broadcast publishes with `append`, and messages
        arrive at `deliver` with their id.

        Args:
            size: Messages kept per channel.

        Raises:
            NotImplementedError: The backend keeps no history.
        """
        raise _Unsupported(self, "history")

    async def append(self, channel: str, message: Message) -> str:
        """Keep a message in the channel's history and publish it with its id.

        Args:
            channel: The channel name.
            message: The message.

        Returns:
            Its id, greater than every earlier id of the channel.

        Raises:
            BroadcastUnavailable: The transport cannot take it now.
        """
        raise _Unsupported(self, "history")

    async def read(self, channel: str, since: str | None, count: int) -> History:
        """Read a channel's history.

        Args:
            channel: The channel name.
            since: Return the messages after this id (all those kept);
                an id the backend never made counts as older than all.
            count: Without `since`, return the last `count` messages.

        Returns:
            The messages, oldest first.

        Raises:
            BroadcastUnavailable: The transport cannot answer now.
        """
        raise _Unsupported(self, "history")

    # -- presence (optional) -----------------------------------------------

    async def announce(self, channel: str, event: str) -> None:
        """Deliver a presence event to the channel in every process.

        It reaches `deliver` with `event=True`, and is not kept.

        Args:
            channel: The channel name.
            event: The event as JSON text.

        Raises:
            BroadcastUnavailable: The transport cannot take it now.
        """
        raise _Unsupported(self, "presence")

    async def enter(self, channel: str, meta: str, ttl: float) -> str:
        """Record a member of a channel, owned by this process.

        Args:
            channel: The channel name.
            meta: The member's meta as JSON text.
            ttl: Seconds this process's members outlive its last `refresh`.

        Returns:
            The new member's id.

        Raises:
            BroadcastUnavailable: The transport cannot take it now (the
                member is kept here and recorded by the next `refresh`).
        """
        raise _Unsupported(self, "presence")

    async def exit(self, channel: str, member: str) -> bool:
        """Forget a member of this process.

        Args:
            channel: The channel name.
            member: The member id.

        Returns:
            Whether it was recorded.
        """
        raise _Unsupported(self, "presence")

    async def members(self, channel: str) -> list[MemberRecord]:
        """List the live members of a channel, in every process.

        Args:
            channel: The channel name.

        Returns:
            The members, in the order they joined.

        Raises:
            BroadcastUnavailable: The transport cannot answer now.
        """
        raise _Unsupported(self, "presence")

    async def refresh(self, ttl: float) -> list[tuple[str, MemberRecord]]:
        """Keep this process's members alive for `ttl` more seconds.

        Args:
            ttl: Seconds.

        Returns:
            `(channel, member)` for every member recorded again because
            the store had lost it (an expiry, a restart without persistence).

        Raises:
            BroadcastUnavailable: The transport cannot take it now.
        """
        return []

    async def expire(self, channel: str) -> list[MemberRecord]:
        """Forget the members of processes that stopped refreshing them.

        Args:
            channel: The channel name.

        Returns:
            The members this call removed (each is removed by one caller).

        Raises:
            BroadcastUnavailable: The transport cannot answer now.
        """
        return []
