"""Typed JSON messages: decode into a type with msgspec, encode dataclasses too.

msgspec is an optional extra: it is imported on the first typed decode, so
apps that never ask for a type do not load it.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any

from spangle._internal.extras import missing_extra
from spangle.exceptions import MessageValidationError

__all__ = ["decode_as", "dumps", "loads"]

# One decoder per type: building one inspects the type, decoding is cheap.
# Bounded, since types such as `list[int]` may be made on the fly.
_MAX_DECODERS = 1024
_decoders: dict[Any, Any] = {}
_AT = " - at `"


def decode_as(data: str | bytes, model: Any) -> Any:
    """Decode a JSON message into `model`, validating it on the way.

    Args:
        data: The JSON text (or UTF-8 bytes).
        model: A msgspec `Struct`, a dataclass, a `TypedDict`, or any type
            msgspec understands (`list[int]`, `int | None`, ...).

    Returns:
        The decoded value, an instance of `model`.

    Raises:
        MessageValidationError: The data is not JSON, or does not match
            `model`; its message names the field (`$.items[0].name`).
        ImportError: msgspec is not installed.
    """
    decoder = _decoders.get(model)
    if decoder is None:
        decoder = _new_decoder(model)
    try:
        return decoder.decode(data)
    except ValueError as exc:  # msgspec's DecodeError and ValidationError
        raise _invalid(exc) from None


def loads(data: str | bytes) -> Any:
    """Decode a JSON message into plain values.

    Args:
        data: The JSON text (or bytes).

    Returns:
        The decoded value.

    Raises:
        MessageValidationError: The data is not JSON.
    """
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        raise MessageValidationError("invalid JSON", path="") from None


def _new_decoder(model: Any) -> Any:
    try:
        import msgspec
    except ImportError as error:
        raise missing_extra("receive_json(type=...)", "msgspec", error) from error
    if len(_decoders) >= _MAX_DECODERS:
        _decoders.clear()
    decoder = _decoders[model] = msgspec.json.Decoder(model)
    return decoder


def _invalid(exc: ValueError) -> MessageValidationError:
    text = str(exc)
    if text.startswith("JSON is malformed") or text.startswith("Input data was"):
        return MessageValidationError("invalid JSON", path="")
    head, at, tail = text.partition(_AT)
    return MessageValidationError(text, path=tail.rstrip("`") if at else "$")


def _jsonable(obj: Any) -> Any:
    """Turn a dataclass or a msgspec Struct into what `json` can write."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        # Shallow: json recurses into the values and calls back for nested ones.
        return {
            field.name: getattr(obj, field.name) for field in dataclasses.fields(obj)
        }
    # A Struct can only exist once msgspec is imported: never import it here.
    msgspec = sys.modules.get("msgspec")
    if msgspec is not None and isinstance(obj, msgspec.Struct):
        # to_builtins honours the Struct's renames, tags and omitted defaults.
        return msgspec.to_builtins(obj)
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def dumps(obj: Any) -> str:
    """Write a value as compact JSON, keeping non-ASCII characters.

    Args:
        obj: A JSON-serializable value; dataclasses and msgspec Structs too,
            at any depth.

    Returns:
        The JSON text.

    Raises:
        TypeError: `obj` holds something JSON cannot carry.
        ValueError: `obj` holds NaN or an infinity.
    """
    return json.dumps(
        obj,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_jsonable,
    )
