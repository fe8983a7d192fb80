"""Transports for `Broadcast`: `memory://` and `redis://`.

`spangle.broadcast.backends.redis.RedisBackend` is imported only when a Redis
URL is used, so apps on the memory backend do not load redis-py.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from spangle.broadcast.backends.base import BroadcastBackend, Deliver, Message
from spangle.broadcast.backends.memory import MemoryBackend

__all__ = ["BroadcastBackend", "Deliver", "MemoryBackend", "Message", "backend_for_url"]

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


def backend_for_url(url: str, *, prefix: str = "spangle:") -> BroadcastBackend:
    """Make the backend a URL names.

    Args:
        url: `memory://`, or a Redis URL (`redis://host:port/db`,
            `rediss://...`, `unix:///path/redis.sock`).
        prefix: Put in front of channel names in Redis.

    Returns:
        An unconnected backend.

    Raises:
        ValueError: The scheme is not supported.
    """
    scheme = urlsplit(url).scheme
    if scheme == "memory":
        return MemoryBackend()
    if scheme in _REDIS_SCHEMES:
        from spangle.broadcast.backends.redis import RedisBackend

        return RedisBackend(url, prefix=prefix)
    raise ValueError(
        f"unsupported broadcast URL {url!r}: use memory:// or redis://host:port/db"
    )
