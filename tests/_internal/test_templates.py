from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest

from spangle import Api, Request, Response


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    (tmp_path / "hello.html").write_text("<p>{{ name }}</p>")
    (tmp_path / "link.html").write_text("{{ api.url_for(view) }}")
    (tmp_path / "feed.xml").write_text("<t>{{ name }}</t>")
    return tmp_path


def _app(api: Api, template: str, **params: Any) -> None:
    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            await resp.load_template(template, **params)


async def test_template_is_rendered_as_html(templates: Path) -> None:
    api = Api(templates_dir=str(templates))
    _app(api, "hello.html", name="ann")
    async with api.client() as client:
        resp = await client.get("/")
    assert resp.text == "<p>ann</p>"
    assert resp.headers["content-type"] == "text/html; charset=utf-8"


async def test_variables_are_escaped_by_default(templates: Path) -> None:
    api = Api(templates_dir=str(templates))
    _app(api, "hello.html", name="<script>")
    async with api.client() as client:
        assert (await client.get("/")).text == "<p>&lt;script&gt;</p>"


async def test_auto_escape_can_be_turned_off(templates: Path) -> None:
    api = Api(templates_dir=str(templates), auto_escape=False)
    _app(api, "hello.html", name="<b>")
    async with api.client() as client:
        assert (await client.get("/")).text == "<p><b></p>"


async def test_the_api_is_a_template_global(templates: Path) -> None:
    api = Api(templates_dir=str(templates))

    @api.route("/target/page")
    class Target:
        pass

    _app(api, "link.html", view=Target)
    async with api.client() as client:
        assert (await client.get("/")).text == "/target/page"


async def test_content_type_can_be_chosen(templates: Path) -> None:
    api = Api(templates_dir=str(templates))

    @api.route("/")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            (
                await resp.load_template("feed.xml", "application/xml", name="x")
            ).status_code = 201

    async with api.client() as client:
        resp = await client.get("/")
    assert resp.status_code == 201
    assert resp.headers["content-type"] == "application/xml; charset=utf-8"


async def test_missing_template_is_a_404(templates: Path) -> None:
    api = Api(templates_dir=str(templates))
    _app(api, "nope.html")
    async with api.client() as client:
        assert (await client.get("/")).status_code == 404


async def test_missing_templates_dir_is_a_logged_404_only_when_used(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    api = Api(templates_dir=str(tmp_path / "missing"))
    _app(api, "hello.html")

    @api.route("/plain")
    class Plain:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "fine"

    with caplog.at_level(logging.WARNING, logger="spangle"):
        async with api.client() as client:
            assert (await client.get("/plain")).text == "fine"
            assert (await client.get("/")).status_code == 404
    assert "does not exist" in caplog.text


async def test_disabled_templates_are_a_500(caplog: pytest.LogCaptureFixture) -> None:
    api = Api(templates_dir=None)
    _app(api, "hello.html")
    with caplog.at_level(logging.ERROR, logger="spangle"):
        async with api.client(raise_server_exceptions=False) as client:
            assert (await client.get("/")).status_code == 500
    assert "templates_dir=None" in caplog.text


async def test_two_apis_keep_their_own_templates(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    for folder, text in ((first, "A"), (second, "B")):
        folder.mkdir()
        (folder / "t.html").write_text(text)
    texts = []
    for folder in (first, second):
        api = Api(templates_dir=str(folder))
        _app(api, "t.html")
        async with api.client() as client:
            texts.append((await client.get("/")).text)
    assert texts == ["A", "B"]
