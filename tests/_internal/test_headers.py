from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from spangle._internal.headers import parse_cookies
from spangle.exceptions import ParseError


def test_cookies_tolerate_empty_chunks_and_keep_the_first_repeat() -> None:
    assert parse_cookies(";a=1;; b=; a=2;") == {"a": "1", "b": ""}


@pytest.mark.parametrize("value", ["two words", 'a,b;c"d\\e', "é", '""'])
def test_cookie_values_written_by_simple_cookie_round_trip(value: str) -> None:
    jar: SimpleCookie = SimpleCookie()
    jar["k"] = value
    header = jar["k"].OutputString()
    assert parse_cookies(header) == {"k": value}


def test_cookie_values_may_hold_bytes_from_0x80() -> None:
    header = "é".encode().decode("latin-1")
    assert parse_cookies(f"k={header}") == {"k": header}


@pytest.mark.parametrize(
    "header",
    [
        "noequals",
        "=nameless",
        "é=1",
        "a b=1",
        "a=b c",
        'a=x"',
        'a="unterminated',
        "a=\x01",
        "a=x,y",
        "a=x\\y",
        'a="x\ty"',
        "ok=1; bad",
    ],
)
def test_malformed_cookie_headers_are_refused(header: str) -> None:
    with pytest.raises(ParseError, match="malformed Cookie header"):
        parse_cookies(header)
