"""An app that parses request bodies, for `bench.stall`."""

from spangle import Api, Request, Response

api = Api(static_dir=None, templates_dir=None)


@api.route("/ping")
class Ping:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.text = "pong"


@api.route("/parse")
class Parse:
    async def on_post(self, req: Request, resp: Response) -> None:
        media = await req.media()
        resp.text = str(len(media))
