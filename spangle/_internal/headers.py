"""Parsers for request headers: Content-Type, Accept and Cookie.

All three are read leniently, skipping what cannot be read: a request is
never refused for a header it may not even use.
"""

from __future__ import annotations

import re
from typing import NamedTuple


def parse_content_type(value: str) -> tuple[str, dict[str, str]]:
    """Split a `Content-Type` value into its media type and parameters.

    Args:
        value: The header value, e.g. `"text/plain; charset=latin-1"`.

    Returns:
        The lower-cased media type (`""` when absent) and the parameters,
        names lower-cased, values unquoted.
    """
    mimetype, _, rest = value.partition(";")
    params: dict[str, str] = {}
    while rest:
        item, _, rest = rest.partition(";")
        name, eq, raw = item.partition("=")
        if eq:
            params[name.strip().lower()] = raw.strip().strip('"')
    return mimetype.strip().lower(), params


class MediaRange(NamedTuple):
    """One entry of an `Accept` header.

    Attributes:
        text: The media range as sent, e.g. `"text/*"`.
        main: Its type, `"*"` for any.
        sub: Its subtype, `"*"` for any.
        q: Its quality, between 0 and 1.
    """

    text: str
    main: str
    sub: str
    q: float

    def specificity(self, main: str, sub: str) -> int:
        """Tell how closely this range names a media type.

        Args:
            main: The type asked about, lower-case.
            sub: Its subtype, lower-case.

        Returns:
            2 for an exact match, 1 for `type/*`, 0 for `*/*`, -1 for no match.
        """
        if self.main == "*":
            return 0
        if self.main != main:
            return -1
        if self.sub == "*":
            return 1
        return 2 if self.sub == sub else -1


ANY_RANGE = MediaRange("*/*", "*", "*", 1.0)


def parse_accept(value: str) -> list[MediaRange]:
    """Parse an `Accept` header, skipping malformed entries.

    Args:
        value: The header value (repeated headers joined with commas).

    Returns:
        The media ranges in the order sent.
    """
    ranges: list[MediaRange] = []
    for entry in value.split(","):
        media, params = parse_content_type(entry)
        main, slash, sub = media.partition("/")
        if not slash or not main or not sub:
            continue
        try:
            q = float(params.get("q", "1"))
        except ValueError:
            continue
        ranges.append(MediaRange(media, main, sub, min(max(q, 0.0), 1.0)))
    return ranges


def best_match(ranges: list[MediaRange], content_type: str) -> tuple[str, float] | None:
    """Find the most specific media range naming a type (RFC 9110 §12.5.1).

    Args:
        ranges: Parsed `Accept` entries.
        content_type: The media type asked about.

    Returns:
        The matching range's text and q, or `None` when nothing matches or
        the most specific match has `q=0`.
    """
    main, _, sub = content_type.strip().lower().partition("/")
    best: MediaRange | None = None
    rank = -1
    for media in ranges:
        score = media.specificity(main, sub)
        if score > rank:
            best, rank = media, score
    if best is None or best.q <= 0.0:
        return None
    return best.text, best.q


# A cookie's name or value never holds these: user agents refuse to store
# such a cookie (RFC 6265 §5.2 step 1 cuts at a control character).
_COOKIE_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_COOKIE_ESCAPE = re.compile(r"\\(?:([0-7]{3})|(.))")


def _unescape(match: re.Match[str]) -> str:
    r"""Turn one `SimpleCookie` escape (`\054`, `\"`) back into its character."""
    return chr(int(match[1], 8)) if match[1] else match[2]


def parse_cookies(value: str) -> dict[str, str]:
    """Parse a `Cookie` header leniently, as user agents do (RFC 6265 §5.2).

    The header is split at `;`; each pair is split at its first `=` and
    trimmed of spaces and tabs. A pair without `=` or without a name
    (`foo`, `=x`), or with a control character, is skipped: a stray cookie
    set by another script on the same site must not lock a user out. A
    value in double quotes is unquoted and `SimpleCookie`'s backslash
    escapes (as `set_cookie` writes them) are undone. When a name repeats,
    the first value wins: browsers send the cookie of the most specific
    path first.

    Args:
        value: The header value (repeated headers joined with `"; "`).

    Returns:
        Cookie values by name.
    """
    cookies: dict[str, str] = {}
    for chunk in value.split(";"):
        name, eq, raw = chunk.partition("=")
        name = name.strip(" \t")
        if not eq or not name or name in cookies:
            continue
        raw = raw.strip(" \t")
        if _COOKIE_CONTROL.search(name) or _COOKIE_CONTROL.search(raw):
            continue
        if len(raw) > 1 and raw[0] == raw[-1] == '"':
            raw = _COOKIE_ESCAPE.sub(_unescape, raw[1:-1])
        cookies[name] = raw
    return cookies
