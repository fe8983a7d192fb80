"""One backend subscription per channel, shared by the plain and the framed fan-out.

Each fan-out subscribes when its first local subscriber of a channel comes
and unsubscribes when its last one goes; the backend hears of a channel's
end only once neither wants it.
"""

from __future__ import annotations

from spangle.broadcast.backends.base import BroadcastBackend, Deliver, Message

__all__ = ["SharedUpstream", "Tap"]


class Tap(BroadcastBackend):
    """No transport: for a fan-out fed by hand.

    The Broadcast connects and disconnects the real backend itself.
    """

    __slots__ = ()

    async def connect(self, deliver: Deliver) -> None:
        """Do nothing."""

    async def disconnect(self) -> None:
        """Do nothing."""

    async def publish(self, channel: str, message: Message) -> None:
        """Refuse: nothing is published through a tap.

        Args:
            channel: The channel.
            message: The message.
        """
        raise RuntimeError("a tap publishes nothing")


class SharedUpstream(Tap):
    """The backend as one of its local users sees it."""

    __slots__ = ("_backend", "_users", "_me")

    def __init__(
        self, backend: BroadcastBackend, users: dict[str, set[object]], me: object
    ) -> None:
        """Share `backend` through a table of channel → users.

        Args:
            backend: The real backend.
            users: The table, shared by every `SharedUpstream` of the backend.
            me: This user.
        """
        self._backend = backend
        self._users = users
        self._me = me

    async def publish(self, channel: str, message: Message) -> None:
        """Publish through the real backend.

        Args:
            channel: The channel.
            message: The message.
        """
        await self._backend.publish(channel, message)

    async def subscribe(self, channel: str) -> None:
        """Want the channel; return once its messages flow.

        Args:
            channel: The channel.
        """
        self._users.setdefault(channel, set()).add(self._me)
        await self._backend.subscribe(channel)

    async def unsubscribe(self, channel: str) -> None:
        """No longer want the channel; the last user unsubscribes upstream.

        Args:
            channel: The channel.
        """
        users = self._users.get(channel)
        if users is None or self._me not in users:
            return
        users.discard(self._me)
        if not users:
            del self._users[channel]
            await self._backend.unsubscribe(channel)
