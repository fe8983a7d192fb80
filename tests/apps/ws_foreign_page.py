"""A page from another origin whose script opens a WebSocket to a target URL.

Served on its own port, it plays the attacker's site in cross-site WebSocket
hijacking tests: `/?target=ws://...` tries the socket and shows the outcome in
`#result` (`opened` or `refused`) and every event in `#events`.
"""

from __future__ import annotations

from spangle import Api, Request, Response

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>another origin</title></head>
<body>
  <p id="result">pending</p>
  <ul id="events"></ul>
  <script>
    const target = new URLSearchParams(location.search).get("target");
    const events = document.getElementById("events");
    const result = document.getElementById("result");
    let opened = false;
    const record = (text) => {
      const item = document.createElement("li");
      item.textContent = text;
      events.appendChild(item);
    };
    const socket = new WebSocket(target);
    socket.onopen = () => {
      opened = true;
      record("open");
      result.textContent = "opened";
    };
    socket.onerror = () => record("error");
    socket.onclose = (event) => {
      record(`close ${event.code}`);
      if (!opened) result.textContent = "refused";
    };
  </script>
</body>
</html>
"""

api = Api(static_dir=None, templates_dir=None)


@api.route("/")
class ForeignPage:
    async def on_get(self, req: Request, resp: Response) -> None:
        resp.set_text(PAGE, "text/html; charset=utf-8")
