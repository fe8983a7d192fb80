"""The typed codecs: msgspec, imported with the first typed decode."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from spangle._internal import typed


@dataclasses.dataclass
class Point:
    x: int
    y: int


def test_a_typed_decode_without_msgspec_names_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(typed, "_decoders", {})
    monkeypatch.setitem(sys.modules, "msgspec", None)
    with pytest.raises(ImportError, match=r"msgspec.*pip install 'spangle\[msgspec\]'"):
        typed.decode_as("{}", Point)


def test_the_decoder_cache_is_emptied_when_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(typed, "_MAX_DECODERS", 2)
    monkeypatch.setattr(typed, "_decoders", {})
    for model, text in ((int, "1"), (str, '"a"'), (Point, '{"x": 1, "y": 2}')):
        typed.decode_as(text, model)
    assert list(typed._decoders) == [Point]
