"""An app reporting its process's garbage-collector settings, for `spangle run`."""

import gc

from spangle import Api, Request, Response

api = Api(static_dir=None)


@api.route("/gc")
class Collector:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.json.threshold = gc.get_threshold()
        resp.json.frozen = gc.get_freeze_count()
