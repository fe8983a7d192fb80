"""Routes of every kind, for `spangle urls-ts` tests."""

from spangle import Api, Blueprint, Connection, Request, Response

api = Api(static_dir=None)


@api.route("/")
class Index:
    async def on_get(self, req: Request, resp: Response) -> None:
        pass


@api.route("/users/{id:int}/posts/{slug}")
@api.route("/u/{id:int}/{slug}")
class Post:
    async def on_get(self, req: Request, resp: Response, id: int, slug: str) -> None:
        pass


@api.route("/files/{path:rest_string}")
class Files:
    async def on_get(self, req: Request, resp: Response, path: str) -> None:
        pass


@api.route("/tiles/{zoom:float}/{name}.{ext:str}", routing="slash")
class Tile:
    async def on_get(
        self, req: Request, resp: Response, zoom: float, name: str, ext: str
    ) -> None:
        pass


def upper(text: str) -> str:
    return text.upper()


bp = Blueprint()


@bp.route("/rooms/{room:shout}", converters={"shout": upper})
class Room:
    async def on_ws(self, conn: Connection, room: str) -> None:
        await conn.accept()


api.add_blueprint("/chat", bp)
