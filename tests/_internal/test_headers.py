from __future__ import annotations

from http.cookies import SimpleCookie

import pytest

from spangle._internal.headers import parse_cookies


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
    ("header", "expected"),
    [
        ("foo; a=1", {"a": "1"}),
        ("=nameless; a=1", {"a": "1"}),
        ("a=b c", {"a": "b c"}),
        ("a b=1", {"a b": "1"}),
        ('a=x"; b="unterminated', {"a": 'x"', "b": '"unterminated'}),
        ("a=x,y; b=x\\y", {"a": "x,y", "b": "x\\y"}),
        ("bad=\x01; a=\x7f; ok=1", {"ok": "1"}),
        ("é=1", {"é": "1"}),
    ],
)
def test_malformed_cookie_pairs_are_skipped_or_kept_as_sent(
    header: str, expected: dict[str, str]
) -> None:
    assert parse_cookies(header) == expected


def test_a_pair_skipped_for_a_control_character_does_not_hide_a_repeat() -> None:
    assert parse_cookies("a=\x00; a=2") == {"a": "2"}
