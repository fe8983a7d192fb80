"""Errors raised by `spangle.broadcast`."""

from __future__ import annotations

__all__ = ["BroadcastError", "BroadcastUnavailable", "SubscriberDropped"]


class BroadcastError(Exception):
    """Base of the errors raised by a `Broadcast`."""


class BroadcastUnavailable(BroadcastError):
    """The backend cannot take the message now (Redis is unreachable).

    Raised by `Broadcast.publish` within the backend's timeout instead of
    waiting for the backend to come back; the message was not published.
    """


class SubscriberDropped(BroadcastError):
    """A subscription fell behind its bounded queue and was dropped.

    Attributes:
        channel (`str`): The channel of the subscription.
        queue_size (`int`): The queue bound that was exceeded.
    """

    def __init__(self, channel: str, queue_size: int) -> None:
        """Make the error.

        Args:
            channel: The channel of the subscription.
            queue_size: The queue bound that was exceeded.
        """
        self.channel = channel
        self.queue_size = queue_size
        super().__init__(
            f"subscription to channel {channel!r} was dropped: its consumer fell "
            f"more than {queue_size} messages behind"
        )
