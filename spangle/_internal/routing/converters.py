"""Built-in path parameter converters and their patterns."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from spangle.types import Converters

REST = "rest_string"


class ConverterSpec(NamedTuple):
    """How one path parameter is matched and converted.

    Attributes:
        pattern: The regex its value matches.
        convert: The function turning the matched text into the value.
        rest: Whether the value may hold slashes: `rest_string`, and custom
            converters with a `pattern` of their own.
    """

    pattern: str
    convert: Callable[[str], Any]
    rest: bool


_SEGMENT = r"[^/]+"

BUILTIN: dict[str, ConverterSpec] = {
    "default": ConverterSpec(_SEGMENT, str, False),
    "str": ConverterSpec(_SEGMENT, str, False),
    "int": ConverterSpec(r"[+-]?[0-9]+", int, False),
    "float": ConverterSpec(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", float, False),
    REST: ConverterSpec(r".+", str, True),
}


def resolve_converter(name: str | None, custom: Converters | None) -> ConverterSpec:
    """Find the converter a parameter names.

    Args:
        name: The name after the colon in `{param:name}`, or `None`.
        custom: Converters given to `route()`; they win over built-ins.

    Returns:
        The pattern and function for the parameter.

    Raises:
        ValueError: No converter has that name.
    """
    key = name or "default"
    if custom and key in custom:
        func = custom[key]
        pattern = getattr(func, "pattern", None)
        if pattern is None:
            return ConverterSpec(_SEGMENT, func, False)
        # Its own pattern may match slashes (0.11 matched it on the whole path).
        return ConverterSpec(pattern, func, True)
    try:
        return BUILTIN[key]
    except KeyError:
        known = ", ".join(sorted(set(BUILTIN) | set(custom or {})))
        raise ValueError(f"unknown path converter {key!r}; known: {known}") from None
