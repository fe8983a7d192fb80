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
    """One slash-separated piece of a template.

    Attributes:
        text: The piece as written, e.g. `"{id:int}"` or `"users"`.
        regex: `None` for static text, else the compiled matcher.
        converters: `(param name, converter)` for each parameter, in order.
        rest: Whether the piece is a `rest_string` parameter (matches slashes).
    """

    text: str
    regex: re.Pattern[str] | None
    converters: tuple[tuple[str, Callable[[str], Any]], ...]
    rest: bool

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


def compile_template(template: str, converters: Converters | None) -> list[Segment]:
    """Split a normalized template into segments.

    Args:
        template: A template from `normalize_template`.
        converters: Custom converters for this route.

    Returns:
        The segments; the root `/` is one empty static segment.

    Raises:
        ValueError: An unknown converter, a repeated parameter name, or a
            `rest_string` parameter that is not a whole last segment.
    """
    pieces = template[1:].split("/")
    segments: list[Segment] = []
    seen: set[str] = set()
    for index, piece in enumerate(pieces):
        segment = _compile_piece(piece, converters)
        for name, _ in segment.converters:
            if name in seen:
                raise ValueError(f"parameter {name!r} repeats in {template!r}")
            seen.add(name)
        if segment.rest and index != len(pieces) - 1:
            raise ValueError(f"rest_string must be the last segment of {template!r}")
        segments.append(segment)
    return segments


def _compile_piece(piece: str, converters: Converters | None) -> Segment:
    params = list(_PARAM.finditer(piece))
    if not params:
        return Segment(piece, None, (), False)
    regex_parts: list[str] = []
    convs: list[tuple[str, Callable[[str], Any]]] = []
    rest = False
    position = 0
    for found in params:
        spec = resolve_converter(found[2], converters)
        if spec.rest and (len(params) > 1 or found.span() != (0, len(piece))):
            raise ValueError(f"rest_string must fill its segment in {piece!r}")
        rest = rest or spec.rest
        regex_parts.append(re.escape(piece[position : found.start()]))
        regex_parts.append(f"(?P<{found[1]}>{spec.pattern})")
        convs.append((found[1], spec.convert))
        position = found.end()
    regex_parts.append(re.escape(piece[position:]))
    return Segment(piece, re.compile("".join(regex_parts)), tuple(convs), rest)
