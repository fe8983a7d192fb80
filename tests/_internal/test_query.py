from __future__ import annotations

import pytest

from spangle._internal.query import parse_query
from spangle.exceptions import ParseError


def test_strict_mode_decodes_a_clean_query_string() -> None:
    pairs = parse_query(b"a=1&a=2&b=&c=%C3%A9+x", strict=True)
    assert pairs == [("a", "1"), ("a", "2"), ("b", ""), ("c", "é x")]


@pytest.mark.parametrize("raw", [b"a=%zz", b"b=100%", b"c=%e", b"%g1=1"])
def test_strict_mode_refuses_an_invalid_percent_escape(raw: bytes) -> None:
    with pytest.raises(ParseError, match="invalid percent-escape in query string"):
        parse_query(raw, strict=True)


@pytest.mark.parametrize("raw", [b"c=%ff", b"%e9=1", b"c=%C3"])
def test_strict_mode_refuses_escapes_that_are_not_utf8(raw: bytes) -> None:
    with pytest.raises(ParseError, match="invalid UTF-8 in query string"):
        parse_query(raw, strict=True)


def test_lenient_mode_keeps_bad_escapes_as_written() -> None:
    pairs = parse_query(b"a=%zz&b=%&c=%e9")
    assert pairs == [("a", "%zz"), ("b", "%"), ("c", "\ufffd")]
