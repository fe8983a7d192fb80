"""0.11's exception signatures, defaults and default responses."""

from __future__ import annotations

import pytest

from spangle import Api, Request, Response
from spangle.exceptions import (
    MethodNotAllowedError,
    NotFoundError,
    ParseError,
    SpangleError,
    TooLargeRequestError,
)


@pytest.mark.parametrize(
    ("cls", "message", "status"),
    [
        (SpangleError, "Something wrong.", 500),
        (NotFoundError, "Content not found.", 404),
        (MethodNotAllowedError, "Method not allowed.", 405),
        (TooLargeRequestError, "Payload too large.", 413),
        (ParseError, "Unsupported format.", 400),
    ],
)
def test_every_spangle_error_has_0_11_default_message_and_status(
    cls: type[SpangleError], message: str, status: int
) -> None:
    error = cls()
    assert (error.message, error.status_code, error.headers) == (message, status, {})


def test_spangle_error_takes_message_status_and_headers_positionally() -> None:
    error = SpangleError("tea", 418, {"X-Err": "tea"})
    assert (error.message, error.status_code, error.headers) == (
        "tea",
        418,
        {"X-Err": "tea"},
    )


def test_spangle_error_takes_status_and_headers_by_keyword() -> None:
    error = NotFoundError(message="gone", status=410)
    assert (error.message, error.status_code) == ("gone", 410)


def test_parse_error_is_a_value_error() -> None:
    assert issubclass(ParseError, ValueError)


async def test_unhandled_spangle_error_answers_its_status_message_headers() -> None:
    api = Api()

    class Teapot(SpangleError):
        pass

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise Teapot(status=418, headers={"X-Err": "tea"})

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text, resp.headers["x-err"]) == (
        418,
        "Something wrong.",
        "tea",
    )


async def test_a_subclass_keeps_the_message_its_constructor_passes() -> None:
    api = Api()

    class ChildError(SpangleError):
        def __init__(self) -> None:
            super().__init__(message="Child")

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise ChildError

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (500, "Child")


async def test_a_value_error_handler_catches_a_malformed_json_body() -> None:
    api = Api()

    @api.handle(ValueError)
    class Invalid:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.status_code = 422
            resp.text = type(e).__name__

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            await req.media()

    async with api.client() as client:
        resp = await client.post(
            "/", content=b'{"a": ', headers={"content-type": "application/json"}
        )
    assert (resp.status_code, resp.text) == (422, "ParseError")


async def test_an_unsupported_body_format_is_a_400_parse_error() -> None:
    api = Api()
    seen: list[Exception] = []

    @api.handle(ParseError)
    class Record:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            seen.append(e)
            resp.status_code = 400

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            await req.media()

    async with api.client() as client:
        await client.post("/", content=b"a,b", headers={"content-type": "text/csv"})
    assert [type(e) for e in seen] == [ParseError]
    assert isinstance(seen[0], ParseError) and seen[0].status_code == 400


async def test_a_405_lists_the_allowed_methods_in_allow() -> None:
    api = Api()

    @api.route("/")
    class View:
        allowed_methods = ["post"]

    async with api.client() as client:
        resp = await client.put("/")
    assert resp.status_code == 405
    assert {"GET", "POST"} <= set(resp.headers["allow"].split(", "))


async def test_debug_mode_shows_the_traceback_of_an_unhandled_exception() -> None:
    api = Api(static_dir=None, debug=True)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise RuntimeError("the cause")

    async with api.client(raise_server_exceptions=False) as client:
        resp = await client.get("/")
    assert resp.status_code == 500
    assert "Traceback" in resp.text and "RuntimeError: the cause" in resp.text


def _failing_after(fill: object) -> Api:
    api = Api(static_dir=None)

    class Failure(Exception):
        pass

    @api.handle(Failure)
    class Answer:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.text = "handled"

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            fill(resp)  # type: ignore[operator]
            raise Failure()

    return api


async def test_an_error_handler_that_sets_no_status_answers_500() -> None:
    def fill(resp: Response) -> None:
        resp.status_code = 201

    async with _failing_after(fill).client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (500, "handled")


async def test_an_error_handler_gets_the_headers_and_cookies_set_before_the_error() -> (
    None
):
    def fill(resp: Response) -> None:
        resp.set_header("x-set", "early").set_cookie("seen", "1").text = "lost"

    async with _failing_after(fill).client() as client:
        resp = await client.get("/")
    assert (resp.headers.get("x-set"), resp.cookies, resp.text) == (
        "early",
        {"seen": "1"},
        "handled",
    )


async def test_a_header_a_before_hook_set_is_on_a_handled_error_response() -> None:
    api = Api(static_dir=None)

    @api.handle(LookupError)
    class Answer:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.status_code = 409

    @api.before_request
    class Cors:
        async def on_request(self, req: Request, resp: Response) -> None:
            resp.headers["access-control-allow-origin"] = "*"

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise LookupError()

    async with api.client() as client:
        resp = await client.get("/")
    assert resp.status_code == 409
    assert resp.headers.get("access-control-allow-origin") == "*"
