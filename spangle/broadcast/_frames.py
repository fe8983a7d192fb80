"""The JSON frames a connection joined with history, presence or events gets.

A plain `join()` sends messages as they are. A join that asks for more
(`history=`, `since=`, `events=`) gets every frame as a JSON object with a
`type`, so ids, gaps and presence can travel beside the messages:

- `{"type": "message", "channel": c, "id": "1700000000000-0", "data": "..."}`;
  binary messages carry base64 in `data` and `"binary": true`; `id` is left
  out when the Broadcast keeps no history.
- `{"type": "missed", "channel": c, "since": "..."}`: messages after that id
  are no longer kept; the ones that follow start at the oldest kept.
- `{"type": "presence", "channel": c, "me": id or null, "members": [...]}`,
  each member `{"id": ..., "meta": {...}}`: everyone present, once, on join.
- `{"type": "join" | "leave", "channel": c, "member": {...}}`: a change.
"""

from __future__ import annotations

import base64
import json

from spangle.broadcast.backends.base import MemberRecord, Message

__all__ = ["member_event", "message_frame", "missed_frame", "presence_frame"]


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def message_frame(channel: str, message: Message, id: str | None) -> str:
    """Frame a channel message.

    Args:
        channel: The channel.
        message: The message.
        id: Its history id, if any.

    Returns:
        The JSON text.
    """
    head = '{"type":"message","channel":' + _quote(channel)
    if id is not None:
        head += ',"id":"' + id + '"'  # ids are digits and a dash
    if isinstance(message, str):
        return head + ',"data":' + _quote(message) + "}"
    data = base64.b64encode(message).decode("ascii")
    return head + ',"data":"' + data + '","binary":true}'


def missed_frame(channel: str, since: str) -> str:
    """Say that messages after `since` are lost.

    Args:
        channel: The channel.
        since: The id asked for.

    Returns:
        The JSON text.
    """
    return (
        '{"type":"missed","channel":'
        + _quote(channel)
        + ',"since":'
        + _quote(since)
        + "}"
    )


def _member(record: MemberRecord) -> str:
    return '{"id":' + _quote(record.id) + ',"meta":' + record.meta + "}"


def presence_frame(channel: str, me: str | None, members: list[MemberRecord]) -> str:
    """List everyone present.

    Args:
        channel: The channel.
        me: The receiving connection's own member id, if it has one.
        members: The members.

    Returns:
        The JSON text.
    """
    listed = ",".join(_member(record) for record in members)
    mine = "null" if me is None else _quote(me)
    return (
        '{"type":"presence","channel":'
        + _quote(channel)
        + ',"me":'
        + mine
        + ',"members":['
        + listed
        + "]}"
    )


def member_event(kind: str, channel: str, record: MemberRecord) -> str:
    """Announce a member's join or leave.

    Args:
        kind: `"join"` or `"leave"`.
        channel: The channel.
        record: The member.

    Returns:
        The JSON text.
    """
    return (
        '{"type":"'
        + kind
        + '","channel":'
        + _quote(channel)
        + ',"member":'
        + _member(record)
        + "}"
    )
