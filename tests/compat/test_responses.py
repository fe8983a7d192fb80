"""0.11's responses: ASGI app, mimetype, redirect, templates, OPTIONS."""

from __future__ import annotations

from pathlib import Path

import pytest

from spangle import Api, Request, Response
from spangle._internal.asgi import Receive, Scope, Send


def _serving(fill: object) -> Api:
    api = Api(static_dir=None)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            fill(resp)  # type: ignore[operator]

    return api


async def test_a_mounted_app_sends_the_response_from_the_scope() -> None:
    async def legacy(scope: Scope, receive: Receive, send: Send) -> None:
        resp: Response = scope["extensions"]["spangle"]["resp"]
        resp.set_status(418).set_text("from the mount")
        await resp(scope, receive, send)

    api = Api(static_dir=None)
    api.mount("/legacy", legacy)
    async with api.client() as client:
        resp = await client.get("/legacy/x")
    assert (resp.status_code, resp.text) == (418, "from the mount")


def test_mimetype_is_the_body_media_type() -> None:
    resp = Response()
    assert resp.mimetype == ""
    resp.text = "x"
    assert resp.mimetype == "text/plain"
    resp.json = {"a": 1}
    assert resp.mimetype == "application/json"


def test_mimetype_follows_an_explicit_content_type_header() -> None:
    resp = Response().set_text("x")
    resp.headers["Content-Type"] = "text/csv; charset=utf-8"
    assert resp.mimetype == "text/csv"


async def test_setting_mimetype_sets_the_content_type() -> None:
    def fill(resp: Response) -> None:
        resp.content = b"a,b"
        resp.mimetype = "text/csv"

    async with _serving(fill).client() as client:
        resp = await client.get("/")
    assert resp.headers["content-type"] == "text/csv"


def test_status_is_the_status_code() -> None:
    resp = Response()
    resp.status = 418
    assert (resp.status, resp.status_code) == (418, 418)


async def test_redirect_with_view_and_url_ignores_the_url() -> None:
    api = Api(static_dir=None)

    @api.route("/target")
    class Target:
        pass

    @api.route("/")
    class Index:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.redirect(view=Target, url="http://elsewhere.example/")

    async with api.client() as client:
        resp = await client.get("/", allow_redirects=False)
    assert (resp.status_code, resp.headers["location"]) == (307, "/target")


async def test_load_template_with_templates_disabled_raises_value_error() -> None:
    api = Api(static_dir=None, templates_dir=None)
    seen: list[Exception] = []

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            try:
                await resp.load_template("page.html")
            except ValueError as exc:
                seen.append(exc)

    async with api.client() as client:
        await client.get("/")
    assert len(seen) == 1


async def test_only_html_and_xml_templates_are_escaped(tmp_path: Path) -> None:
    for name in ("page.html", "mail.txt"):
        (tmp_path / name).write_text("{{ value }}")
    api = Api(static_dir=None, templates_dir=str(tmp_path))

    @api.route("/{name}")
    class View:
        async def on_get(self, req: Request, resp: Response, name: str) -> None:
            await resp.load_template(name, value="<b>")

    async with api.client() as client:
        html = await client.get("/page.html")
        text = await client.get("/mail.txt")
    assert (html.text, text.text) == ("&lt;b&gt;", "<b>")


async def test_options_without_on_options_answers_200() -> None:
    api = Api(static_dir=None)

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            pass

    async with api.client() as client:
        resp = await client.request("OPTIONS", "/")
    assert resp.status_code == 200


@pytest.mark.parametrize("method", ["add_header", "set_header"])
def test_header_setters_take_key_and_value(method: str) -> None:
    resp = getattr(Response(), method)(key="X-A", value="1")
    assert resp.headers["x-a"] == "1"


async def test_set_text_with_a_content_type_replaces_an_earlier_header() -> None:
    def fill(resp: Response) -> None:
        resp.headers["content-type"] = "application/json"
        resp.set_text("a,b", "text/csv")

    async with _serving(fill).client() as client:
        resp = await client.get("/")
    assert resp.headers.getall("content-type") == ["text/csv; charset=utf-8"]


async def test_set_content_with_a_content_type_replaces_an_earlier_header() -> None:
    def fill(resp: Response) -> None:
        resp.headers["content-type"] = "application/json"
        resp.set_content(b"PNG", "image/png")

    async with _serving(fill).client() as client:
        resp = await client.get("/")
    assert resp.headers.getall("content-type") == ["image/png"]


async def test_setting_text_replaces_an_earlier_content_type_header() -> None:
    def fill(resp: Response) -> None:
        resp.headers["content-type"] = "text/html"
        resp.text = "x"

    async with _serving(fill).client() as client:
        resp = await client.get("/")
    assert resp.headers.getall("content-type") == ["text/plain; charset=utf-8"]


def test_text_is_none_until_a_text_body_is_set() -> None:
    resp = Response()
    assert resp.text is None
    resp.set_text("x")
    assert resp.text == "x"


def test_content_is_none_until_a_binary_body_is_set() -> None:
    resp = Response()
    assert resp.content is None
    resp.set_content(b"x")
    assert resp.content == b"x"
