from __future__ import annotations

from pathlib import Path

import pytest

from spangle import Api, Request, Response
from spangle._internal.static import safe_relative_path
from spangle.exceptions import NotFoundError
from spangle.testing import WebSocketRejected
from tests.support.asgi_http import call_http


@pytest.fixture
def site(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body{}")
    (static / "icon.ico").write_bytes(b"ICO")
    (tmp_path / "secret.txt").write_text("secret")
    return static


async def test_files_are_served_under_static_root(site: Path) -> None:
    api = Api(static_dir=str(site))
    async with api.client() as client:
        resp = await client.get("/static/css/site.css")
    assert resp.status_code == 200
    assert resp.text == "body{}"
    assert resp.headers["content-type"].startswith("text/css")


async def test_static_root_is_configurable(site: Path) -> None:
    api = Api(static_root="/assets", static_dir=str(site))
    async with api.client() as client:
        assert (await client.get("/assets/css/site.css")).status_code == 200
        assert (await client.get("/static/css/site.css")).status_code == 404


async def test_head_of_a_static_file_has_no_body(site: Path) -> None:
    api = Api(static_dir=str(site))
    raw = await call_http(api, "HEAD", "/static/css/site.css")
    assert raw.status == 200
    assert raw.body == b""


async def test_conditional_request_is_a_304(site: Path) -> None:
    api = Api(static_dir=str(site))
    async with api.client() as client:
        first = await client.get("/static/css/site.css")
        again = await client.get(
            "/static/css/site.css", headers={"if-none-match": first.headers["etag"]}
        )
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/static/../secret.txt",
        "/static/css/../../secret.txt",
        "/static/..\\secret.txt",
        "/static/css\\..\\..\\secret.txt",
        "/static//etc/passwd",
        "/static/" + str(Path("/etc/passwd")),
        "/static/./css/site.css",
        "/static/C:/secret.txt",
        "/static/css/site.css\x00",
        "/static/",
        "/static",
    ],
)
async def test_traversal_and_odd_paths_are_404(site: Path, path: str) -> None:
    api = Api(static_dir=str(site))
    raw = await call_http(api, path=path)
    assert raw.status == 404
    assert b"secret" not in raw.body


async def test_encoded_dot_segments_are_404_through_the_client(site: Path) -> None:
    api = Api(static_dir=str(site))
    async with api.client() as client:
        resp = await client.get("/static/%2e%2e/secret.txt")
    assert resp.status_code == 404


def test_safe_relative_path_keeps_plain_paths() -> None:
    assert safe_relative_path("/css/site.css") == "css/site.css"
    assert safe_relative_path("/a/../b") is None


async def test_missing_static_dir_is_a_404_not_a_500(tmp_path: Path) -> None:
    api = Api(static_dir=str(tmp_path / "nope"))
    async with api.client() as client:
        resp = await client.get("/static/a.css")
    assert resp.status_code == 404


async def test_static_404_goes_through_the_apps_error_handler(site: Path) -> None:
    api = Api(static_dir=str(site))

    @api.handle(NotFoundError)
    class NotFound:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.set_status(404).text = "custom " + req.url.path

    async with api.client() as client:
        resp = await client.get("/static/missing.css")
    assert resp.text == "custom /static/missing.css"


async def test_post_to_a_static_file_is_a_405(site: Path) -> None:
    api = Api(static_dir=str(site))
    async with api.client() as client:
        resp = await client.post("/static/css/site.css")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, HEAD"


async def test_websocket_to_a_static_path_is_refused(site: Path) -> None:
    api = Api(static_dir=str(site))
    async with api.client() as client:
        with pytest.raises(WebSocketRejected):
            async with client.ws_connect("/static/css/site.css"):
                pass
        assert (await client.get("/static/css/site.css")).status_code == 200


async def test_favicon_is_served_from_static_dir(site: Path) -> None:
    api = Api(static_dir=str(site), favicon="icon.ico")
    async with api.client() as client:
        resp = await client.get("/favicon.ico")
    assert resp.content == b"ICO"


async def test_no_favicon_is_a_404(site: Path) -> None:
    api = Api(static_dir=str(site))
    async with api.client() as client:
        assert (await client.get("/favicon.ico")).status_code == 404


async def test_static_disabled_leaves_the_path_to_routes(site: Path) -> None:
    api = Api(static_root=None)

    @api.route("/static/x")
    class View:
        async def on_get(self, req: Request, resp: Response) -> None:
            resp.text = "route"

    async with api.client() as client:
        assert (await client.get("/static/x")).text == "route"


async def test_symlink_out_of_static_dir_is_a_404(site: Path) -> None:
    (site / "leak.txt").symlink_to(site.parent / "secret.txt")
    api = Api(static_dir=str(site))
    async with api.client() as client:
        resp = await client.get("/static/leak.txt")
    assert resp.status_code == 404


async def test_unreadable_file_answers_with_starlettes_status(site: Path) -> None:
    from spangle._internal.static import StaticApp

    api = Api(static_dir=str(site))
    app = api.mounted_app["/static"]
    assert isinstance(app, StaticApp)

    def refuse(path: str) -> tuple[str, None]:
        raise PermissionError(path)

    app._files.lookup_path = refuse  # type: ignore[method-assign]
    async with api.client() as client:
        resp = await client.get("/static/css/site.css")
    assert resp.status_code == 401


async def test_after_hooks_see_the_answer_to_a_missing_file(site: Path) -> None:
    api = Api(static_dir=str(site))
    seen: list[int] = []

    @api.after_request
    class Seen:
        async def on_request(self, req: Request, resp: Response) -> None:
            seen.append(resp.status_code)

    async with api.client() as client:
        assert (await client.get("/static/missing.css")).status_code == 404
    assert seen == [404]


async def test_a_handler_that_sets_reraise_on_a_missing_file_re_raises(
    site: Path,
) -> None:
    api = Api(static_dir=str(site))

    @api.handle(NotFoundError)
    class Loud:
        async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
            resp.set_status(404).text = "gone"
            resp.reraise = True

    async with api.client() as client:
        with pytest.raises(NotFoundError):
            await client.get("/static/missing.css")
