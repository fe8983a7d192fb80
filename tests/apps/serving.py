"""An app for the production-serving tests: a form parsed while pings come.

`/form` reads the body first, then parses it, counting the pings answered
meanwhile; `/ws/text` wants text frames only (a binary one is a client error,
logged at INFO); `/upload` parses a multipart body.
"""

from __future__ import annotations

from spangle import Api, Connection, Request, Response

api = Api(static_dir=None, templates_dir=None)
parse = {"parsing": False, "pings": 0}


@api.route("/ping")
class Ping:
    async def on_get(self, req: Request, resp: Response) -> None:
        if parse["parsing"]:
            parse["pings"] += 1
        resp.text = "pong"


@api.route("/form")
class Form:
    async def on_post(self, req: Request, resp: Response) -> None:
        await req.content  # the body is in; only the parse is left
        parse["parsing"], parse["pings"] = True, 0
        try:
            fields = await req.media()
        finally:
            parse["parsing"] = False
        resp.json = {"fields": len(fields), "pings_during_parse": parse["pings"]}


@api.route("/upload")
class Upload:
    async def on_post(self, req: Request, resp: Response) -> None:
        resp.json = {"fields": len(await req.media())}


@api.route("/ws/text")
class Text:
    async def on_ws(self, conn: Connection) -> None:
        await conn.accept()
        while True:
            await conn.send(await conn.receive(str))
