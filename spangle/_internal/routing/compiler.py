"""Turn a route template such as `/users/{id:int}` into matchable segments."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spangle.types import Converters

from .converters import resolve_converter

_PARAM = re.compile(r"{([A-Za-z_][A-Za-z0-9_]*)(?::([A-Za-z_][A-Za-z0-9_]*))?}")


def normalize_template(path: str) -> str:
    """Give a template one leading slash and no repeated slashes.

    Args:
        path: A route template as the user wrote it.

    Returns:
        The normalized template.
    """
    return "/" + re.sub(r"/{2,}", "/", path).lstrip("/")


@dataclass(frozen=True)
class Segment:
    """One slash-separated piece of a template, or the spanning rest of it.

    A parameter whose converter may match slashes (`rest_string`, or a
    custom converter with its own `pattern`) makes its piece and every
    piece after it one spanning segment, matched against the rest of the
    path at once.

    Attributes:
        text: The piece as written, e.g. `"{id:int}"` or `"users"`; for a
            spanning segment, the rest of the template (`"{p:rest_string}/x"`).
        regex: `None` for static text, else the compiled matcher.
        converters: `(param name, converter)` for each parameter, in order.
        rest: Whether the segment spans slashes.
        slashed: Names of the parameters whose values may hold slashes.
    """

    text: str
    regex: re.Pattern[str] | None
    converters: tuple[tuple[str, Callable[[str], Any]], ...]
    rest: bool
    slashed: frozenset[str] = frozenset()

    @property
    def static(self) -> bool:
        """Tell whether the segment holds no parameter."""
        return self.regex is None

    def match(self, value: str) -> dict[str, Any] | None:
        """Match and convert one path piece.

        Args:
            value: The request path piece (or the rest of the path).

        Returns:
            The converted parameters, or `None` when the piece does not
            match or a converter refuses it.
        """
        assert self.regex is not None
        found = self.regex.fullmatch(value)
        if found is None:
            return None
        try:
            return {name: conv(found[name]) for name, conv in self.converters}
        except Exception:
            # A converter that raises means "not this route": the next
            # candidate is tried and, failing all, the client gets a 404.
            return None


class _Piece:
    """The regex source and parameters of one piece of a template."""

    def __init__(self, piece: str, converters: Converters | None) -> None:
        self.text = piece
        self.convs: list[tuple[str, Callable[[str], Any]]] = []
        self.slashed: set[str] = set()
        parts: list[str] = []
        position = 0
        for found in _PARAM.finditer(piece):
            spec = resolve_converter(found[2], converters)
            if spec.rest:
                self.slashed.add(found[1])
            parts.append(re.escape(piece[position : found.start()]))
            parts.append(f"(?P<{found[1]}>{spec.pattern})")
            self.convs.append((found[1], spec.convert))
            position = found.end()
        parts.append(re.escape(piece[position:]))
        self.source = "".join(parts)


def compile_template(template: str, converters: Converters | None) -> list[Segment]:
    """Split a normalized template into segments.

    Args:
        template: A template from `normalize_template`.
        converters: Custom converters for this route.

    Returns:
        The segments; the root `/` is one empty static segment. From the
        first parameter that may match slashes on, the rest of the template
        is one spanning segment.

    Raises:
        ValueError: An unknown converter, or a repeated parameter name.
    """
    pieces = [_Piece(piece, converters) for piece in template[1:].split("/")]
    seen: set[str] = set()
    for piece in pieces:
        for name, _ in piece.convs:
            if name in seen:
                raise ValueError(f"parameter {name!r} repeats in {template!r}")
            seen.add(name)
    segments: list[Segment] = []
    for index, piece in enumerate(pieces):
        if piece.slashed:
            segments.append(_spanning(pieces[index:]))
            break
        regex = re.compile(piece.source) if piece.convs else None
        segments.append(Segment(piece.text, regex, tuple(piece.convs), False))
    return segments


def _spanning(pieces: list[_Piece]) -> Segment:
    return Segment(
        "/".join(piece.text for piece in pieces),
        re.compile(re.escape("/").join(piece.source for piece in pieces)),
        tuple(conv for piece in pieces for conv in piece.convs),
        True,
        frozenset(name for piece in pieces for name in piece.slashed),
    )
