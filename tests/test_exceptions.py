"""The exception classes of `spangle.exceptions`."""

from __future__ import annotations

import pytest

from spangle import exceptions
from spangle.exceptions import (
    CloseCode,
    MethodNotAllowedError,
    NotFoundError,
    ParseError,
    SpangleError,
    TooLargeRequestError,
    WebSocketDisconnect,
    WebSocketError,
)


def test_every_name_of_the_spec_is_exported() -> None:
    assert set(exceptions.__all__) >= {
        "SpangleError",
        "NotFoundError",
        "MethodNotAllowedError",
        "TooLargeRequestError",
        "ParseError",
        "WebSocketDisconnect",
        "WebSocketError",
    }


@pytest.mark.parametrize(
    ("cls", "status"),
    [
        (SpangleError, 500),
        (NotFoundError, 404),
        (MethodNotAllowedError, 405),
        (TooLargeRequestError, 413),
        (ParseError, 400),
    ],
)
def test_spangle_errors_carry_their_status(
    cls: type[SpangleError], status: int
) -> None:
    error = cls()
    assert isinstance(error, SpangleError)
    assert error.status_code == status
    assert str(error) == error.message


def test_a_spangle_error_takes_its_own_message_and_status() -> None:
    error = NotFoundError("no such user", status=410)
    assert (error.message, error.status_code) == ("no such user", 410)


def test_method_not_allowed_lists_the_allowed_methods() -> None:
    assert MethodNotAllowedError(allowed_methods=("GET",)).allowed_methods == ("GET",)


def test_method_not_allowed_puts_the_allowed_methods_in_an_allow_header() -> None:
    error = MethodNotAllowedError(allowed_methods={"get"})
    assert error.headers == {"Allow": "GET"}


def test_websocket_error_carries_its_code_and_message() -> None:
    error = WebSocketError(CloseCode.POLICY_VIOLATION, "no")
    assert (error.code, error.message, str(error)) == (1008, "no", "1008: no")
    assert str(WebSocketError(1003)) == "1003"
    assert not isinstance(error, SpangleError)


def test_websocket_disconnect_carries_code_and_reason() -> None:
    error = WebSocketDisconnect(1001, "tab closed")
    assert (error.code, error.reason) == (1001, "tab closed")
    assert (WebSocketDisconnect().code, WebSocketDisconnect().reason) == (1005, "")


def test_close_codes_are_the_rfc_6455_and_iana_numbers() -> None:
    assert {code.name: code.value for code in CloseCode} == {
        "NORMAL": 1000,
        "GOING_AWAY": 1001,
        "UNSUPPORTED_DATA": 1003,
        "NO_STATUS": 1005,
        "ABNORMAL": 1006,
        "INVALID_PAYLOAD": 1007,
        "POLICY_VIOLATION": 1008,
        "MESSAGE_TOO_BIG": 1009,
        "INTERNAL_ERROR": 1011,
        "SERVICE_RESTART": 1012,
        "TRY_AGAIN_LATER": 1013,
    }
