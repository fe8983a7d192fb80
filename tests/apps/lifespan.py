"""Apps for the real-server lifespan tests.

`api` records its lifespan order and reports it at `/events`; `failing`
refuses to start.
"""

from spangle import Api, Request, Response, use_component

events: list[str] = []


class Database:
    def startup(self) -> None:
        events.append("component startup")

    async def shutdown(self) -> None:
        print("component shutdown", flush=True)


api = Api(static_dir=None, components=[Database])


@api.on_start
async def warm_up() -> None:
    use_component(Database)
    events.append("start function")


@api.on_stop
def say_goodbye() -> None:
    print("stop function", flush=True)


@api.route("/events")
class Events:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.json.events = events


failing = Api(static_dir=None)


@failing.on_start
def connect() -> None:
    raise ConnectionError("cannot reach the database at db:5432")
