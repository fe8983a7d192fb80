"""An app using every HTTP feature, for tests through a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from spangle import Api, Request, Response, UploadedFile
from spangle.exceptions import NotFoundError

ASSETS = Path(__file__).parent / "http_assets"
UPLOAD_LIMIT = 64 * 1024

api = Api(
    static_dir=str(ASSETS / "static"),
    templates_dir=str(ASSETS / "templates"),
    favicon="favicon.ico",
    max_upload_bytes=UPLOAD_LIMIT,
)


@api.route("/")
class Index:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.text = "index"


@api.route("/info/{name}")
class Info:
    async def on_get(self, req: Request, resp: Response, name: str) -> None:
        resp.json = {
            "name": name,
            "method": req.method,
            "params": {k: req.params.getall(k) for k in req.params},
            "cookies": req.cookies,
            "accept_json": req.accept("application/json"),
            "version": req.version,
            "client": req.client is not None,
        }


@api.route("/media")
class Media:
    async def on_post(self, req: Request, resp: Response) -> None:
        media = await req.media()
        if req.mimetype == "application/json":
            resp.json = {"json": dict(media)}
            return
        out: dict[str, Any] = {}
        for key, value in media.items():
            if isinstance(value, UploadedFile):
                out[key] = [value.filename, value.mimetype, len(value.file.read())]
            else:
                out[key] = value
        resp.json = {"form": out}


@api.route("/text")
class Text:
    async def on_post(self, req: Request, resp: Response) -> None:
        resp.text = await req.text


@api.route("/cookies")
class Cookies:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_cookie("sid", "s1", max_age=60, samesite="Strict", secure=False)

    async def on_delete(self, req: Request, resp: Response) -> None:
        resp.delete_cookie("sid")


@api.route("/go")
class Go:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.redirect(view=Info, params={"name": "moved"})


@api.route("/page")
class Page:
    async def on_get(self, req: Request, resp: Response) -> None:
        await resp.load_template("page.html", title="<Hi>", view=Index)


@api.route("/stream")
class Stream:
    async def on_get(self, req: Request, resp: Response) -> None:
        async def chunks() -> AsyncIterator[str]:
            for i in range(3):
                yield f"chunk{i};"

        resp.streaming = chunks()


@api.route("/boom")
class Boom:
    async def on_get(self, req: Request, resp: Response) -> None:
        raise RuntimeError("expected failure for the test")


@api.route("/slash", routing="slash")
class Slash:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.text = "slash"


@api.handle(NotFoundError)
class NotFound:
    async def on_error(self, req: Request, resp: Response, e: Exception) -> None:
        resp.set_status(404).set_text("custom 404")
