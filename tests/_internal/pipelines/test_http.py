from __future__ import annotations

import logging

import pytest

from spangle import Api, ErrorHandler, Request, Response
from spangle._internal.asgi import Message
from spangle.exceptions import (
    MethodNotAllowedError,
    NotFoundError,
    ParseError,
    SpangleError,
    TooLargeRequestError,
)
from tests.support.asgi_http import call_http


async def test_on_request_runs_before_on_method_with_path_params() -> None:
    api = Api()
    calls: list[str] = []

    @api.route("/{name}")
    class View:
        async def on_request(self, req: Request, resp: Response, name: str) -> None:
            calls.append(f"request {name}")

        async def on_get(self, req: Request, resp: Response, name: str) -> None:
            calls.append(f"get {name}")

    async with api.client() as client:
        await client.get("/x")
    assert calls == ["request x", "get x"]


async def test_views_are_instantiated_once() -> None:
    api = Api()
    made: list[object] = []

    @api.route("/")
    class View:
        def __init__(self) -> None:
            made.append(self)

        async def on_get(self, req: Request, resp: Response) -> None:
            pass

    async with api.client() as client:
        await client.get("/")
        await client.get("/")
    assert len(made) == 1


async def test_undefined_unsafe_method_is_a_405_with_allow() -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            pass

        async def on_put(self, req: Request, resp: Response) -> None:
            pass

    async with api.client() as client:
        resp = await client.post("/")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, HEAD, OPTIONS, PUT"


async def test_unknown_method_is_a_405_not_a_500() -> None:
    api = Api()

    @api.route("/")
    class View:
        pass

    async with api.client() as client:
        resp = await client.request("BREW", "/")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, HEAD, OPTIONS"


async def test_methods_are_case_sensitive() -> None:
    # RFC 9110, 9.1: "get" is not GET; Starlette and Falcon agree.
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "got"

    assert (await call_http(api, "GET")).status == 200
    raw = await call_http(api, "get")
    assert raw.status == 405
    assert raw.header("allow") == "GET, HEAD, OPTIONS"


async def test_allowed_methods_lets_on_request_answer() -> None:
    api = Api()

    @api.route("/")
    class View:
        allowed_methods = ["post", "BREW"]

        async def on_request(self, req: Request, resp: Response) -> None:
            resp.text = req.method

    async with api.client() as client:
        assert (await client.post("/")).text == "post"
        assert (await client.request("BREW", "/")).text == "brew"
        assert (await client.delete("/")).status_code == 405


async def test_head_runs_on_get_and_sends_no_body() -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "hello"

    raw = await call_http(api, "HEAD")
    assert raw.status == 200
    assert raw.body == b""
    assert raw.header("content-length") == "5"


async def test_options_without_a_handler_answers_200_with_allow() -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            pass

    async with api.client() as client:
        resp = await client.request("OPTIONS", "/")
    assert resp.status_code == 200
    assert resp.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_on_options_answers_options_itself() -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_options(self, req: Request, resp: Response) -> None:
            resp.set_header("x-custom", "1")

    async with api.client() as client:
        resp = await client.request("OPTIONS", "/")
    assert resp.status_code == 200
    assert resp.headers["x-custom"] == "1"


async def test_unmatched_path_is_a_404() -> None:
    api = Api()
    async with api.client() as client:
        resp = await client.get("/nothing")
    assert (resp.status_code, resp.text) == (404, "Content not found.")


async def test_slash_redirect_is_a_308_keeping_the_query_string() -> None:
    api = Api(routing="no_slash")

    @api.route("/a")
    class View:
        async def on_post(self, req: Request, resp: Response) -> None:
            resp.text = req.params["q"] + (await req.text)

    async with api.client() as client:
        moved = await client.post("/a/?q=1&r=%20", allow_redirects=False)
        followed = await client.post("/a/?q=1", content=b"body")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/a?q=1&r=%20"
    assert followed.text == "1body"


async def test_slash_strategy_adds_the_slash() -> None:
    api = Api(routing="slash")

    @api.route("/a")
    class View:
        pass

    async with api.client() as client:
        resp = await client.get("/a", allow_redirects=False)
    assert resp.headers["location"] == "/a/"


async def test_slash_redirect_quotes_the_path_and_keeps_root_path() -> None:
    api = Api(routing="no_slash")

    @api.route("/{name}")
    class View:
        pass

    raw = await call_http(api, path="/a b/", root_path="/app")
    assert raw.status == 308
    assert raw.header("location") == "/app/a%20b"


async def test_default_route_serves_unmatched_paths() -> None:
    api = Api(default_route="/app/")

    @api.route("/app/")
    class Spa:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "spa " + req.url.path

    async with api.client() as client:
        deep = await client.get("/some/deep/link")
    raw = await call_http(api, path="//evil.example/")
    assert deep.text == "spa /some/deep/link"
    assert (raw.status, raw.body) == (200, b"spa //evil.example/")


async def test_hooks_run_around_the_view() -> None:
    api = Api()
    calls: list[str] = []

    @api.before_request
    class Before:
        async def on_request(self, req: Request, resp: Response) -> None:
            calls.append("before")

    @api.after_request
    class After:
        async def on_request(self, req: Request, resp: Response) -> None:
            calls.append("after")
            resp.set_header("x-after", "1")

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            calls.append("view")

    async with api.client() as client:
        resp = await client.get("/")
    assert calls == ["before", "view", "after"]
    assert resp.headers["x-after"] == "1"


async def test_after_hooks_run_for_error_responses_too() -> None:
    api = Api()

    @api.after_request
    class After:
        async def on_request(self, req: Request, resp: Response) -> None:
            resp.set_header("x-after", str(resp.status_code))

    async with api.client() as client:
        resp = await client.get("/missing")
    assert resp.headers["x-after"] == "404"


async def test_failing_after_hook_goes_to_error_handling() -> None:
    api = Api()

    @api.after_request
    class After:
        async def on_request(self, req: Request, resp: Response) -> None:
            raise ParseError("from hook")

    @api.route("/")
    class View:
        pass

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (400, "from hook")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (NotFoundError(), 404),
        (MethodNotAllowedError(), 405),
        (TooLargeRequestError(), 413),
        (ParseError("bad thing"), 400),
        (SpangleError("teapot", status=418), 418),
    ],
)
async def test_spangle_errors_answer_with_their_status_and_message(
    error: SpangleError, status: int
) -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise error

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (status, error.message)


async def test_a_content_length_the_view_set_is_dropped_with_the_body_on_error() -> (
    None
):
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.set_header("content-length", "99").text = "partial"
            raise NotFoundError()

    async with api.client() as client:
        resp = await client.get("/")
    assert resp.status_code == 404
    assert resp.headers.getall("content-length") == [str(len(resp.content))]


async def test_unhandled_error_is_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Api()

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.set_header("x-secret", "1").text = "partial"
            raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="spangle"):
        async with api.client(raise_server_exceptions=False) as client:
            resp = await client.get("/")
    assert (resp.status_code, resp.text) == (500, "Internal Server Error")
    assert "x-secret" not in resp.headers
    record = caplog.records[-1]
    assert record.name == "spangle"
    assert record.exc_info is not None and "boom" in str(record.exc_info[1])


async def test_handler_found_by_mro_gets_the_response_with_its_body_reset() -> None:
    api = Api()

    class AppError(Exception):
        pass

    class Specific(AppError):
        pass

    @api.handle(AppError)
    class Handler:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.set_status(409).json = {"error": type(e).__name__, "body": resp.text}

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.set_cookie("a", "1").text = "half done"
            raise Specific()

    async with api.client() as client:
        resp = await client.get("/")
    assert resp.status_code == 409
    assert resp.json == {"error": "Specific", "body": None}
    assert resp.cookies == {"a": "1"}


async def test_closest_handler_in_the_mro_wins() -> None:
    api = Api()
    handlers = ErrorHandler()

    @handlers.handle(LookupError)
    class Broad:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.text = "broad"

    @handlers.handle(KeyError)
    class Narrow:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.text = "narrow"

    api.add_error_handler(handlers)

    @api.route("/{kind}")
    class View:
        async def on_get(self, req: Request, resp: Response, kind: str) -> None:
            raise KeyError() if kind == "key" else IndexError()

    async with api.client() as client:
        assert (await client.get("/key")).text == "narrow"
        assert (await client.get("/index")).text == "broad"


async def test_handler_can_replace_a_builtin_404() -> None:
    api = Api()

    @api.handle(NotFoundError)
    class NotFound:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.set_status(404).set_text("<h1>nope</h1>", "text/html")

    async with api.client() as client:
        resp = await client.get("/nowhere")
    assert resp.text == "<h1>nope</h1>"


async def test_handler_with_only_on_ws_error_does_not_hide_an_http_one() -> None:
    api = Api()

    @api.handle(Exception)
    class Http:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.set_status(503).text = "http"

    @api.handle(ValueError)
    class WsOnly:
        async def on_ws_error(self, conn: object, e: Exception) -> None:
            pass

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise ValueError()

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (503, "http")


async def test_reraise_sends_the_response_then_raises() -> None:
    api = Api()

    @api.handle(ZeroDivisionError)
    class Handler:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.set_status(500).text = "handled"
            resp.reraise = True

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            1 / 0  # noqa: B018

    sent: list[bytes] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            sent.append(message["body"])

    scope = {"type": "http", "method": "GET", "path": "/", "headers": []}
    with pytest.raises(ZeroDivisionError):
        await api(scope, receive, send)
    assert sent == [b"handled"]


async def test_failing_error_handler_is_a_logged_500(
    caplog: pytest.LogCaptureFixture,
) -> None:
    api = Api()

    @api.handle(ValueError)
    class Handler:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.text = "half"
            raise RuntimeError("handler broke")

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise ValueError()

    with caplog.at_level(logging.ERROR, logger="spangle"):
        async with api.client(raise_server_exceptions=False) as client:
            resp = await client.get("/")
    assert (resp.status_code, resp.text) == (500, "Internal Server Error")
    assert "Handler" in caplog.text


async def test_returning_the_response_is_optional() -> None:
    api = Api()

    @api.route("/a")
    class A:
        async def on_get(self, req: Request, resp: Response) -> Response:
            return resp.set_text("a")

    @api.route("/b")
    class B:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "b"

    async with api.client() as client:
        assert (await client.get("/a")).text == "a"
        assert (await client.get("/b")).text == "b"
