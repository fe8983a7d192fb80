"""0.11's dispatcher: a Response returned by a view, hook or handler is used."""

from __future__ import annotations

from spangle import Api, Request, Response


def _made(text: str, status: int = 200) -> Response:
    return Response().set_status(status).set_text(text)


async def test_a_response_returned_by_on_get_is_the_one_sent() -> None:
    api = Api(static_dir=None)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> Response:
            resp.text = "given"
            return _made("returned", 201)

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (201, "returned")


async def test_a_response_returned_by_on_request_reaches_on_get() -> None:
    api = Api(static_dir=None)
    seen: list[str] = []

    @api.route("/")
    class View:
        async def on_request(self, req: Request, resp: Response) -> Response:
            return _made("from on_request")

        async def on_get(self, req: Request, resp: Response) -> None:
            seen.append(resp.text)

    async with api.client() as client:
        resp = await client.get("/")
    assert seen == ["from on_request"]
    assert resp.text == "from on_request"


async def test_a_response_returned_by_a_before_hook_reaches_the_view() -> None:
    api = Api(static_dir=None)

    @api.before_request
    class Hook:
        async def on_request(self, req: Request, resp: Response) -> Response:
            return _made("from the hook", 202)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.headers["x-view"] = "ran"

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (202, "from the hook")
    assert resp.headers["x-view"] == "ran"


async def test_a_response_returned_by_an_after_hook_is_the_one_sent() -> None:
    api = Api(static_dir=None)

    @api.after_request
    class Hook:
        async def on_request(self, req: Request, resp: Response) -> Response:
            return _made(f"after {resp.text}")

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "view"

    async with api.client() as client:
        assert (await client.get("/")).text == "after view"


async def test_a_response_returned_by_an_error_handler_is_the_one_sent() -> None:
    api = Api(static_dir=None)

    @api.handle(LookupError)
    class Missing:
        async def on_error(
            self, req: Request, resp: Response, e: Exception
        ) -> Response:
            return _made("handled", 410)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            raise LookupError

    async with api.client() as client:
        resp = await client.get("/")
    assert (resp.status_code, resp.text) == (410, "handled")


async def test_returning_the_given_response_sends_it() -> None:
    api = Api(static_dir=None)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> Response:
            return resp.set_text("same")

    async with api.client() as client:
        assert (await client.get("/")).text == "same"


async def test_a_returned_value_that_is_not_a_response_is_ignored() -> None:
    api = Api(static_dir=None)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> object:
            resp.text = "kept"
            return {"not": "a response"}

    async with api.client() as client:
        assert (await client.get("/")).text == "kept"
