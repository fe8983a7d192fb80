"""`spangle run`'s uvicorn config: how it hands the Api to the server."""

from __future__ import annotations

from spangle import Api
from spangle._internal.serving import Config


def test_the_server_calls_the_api_through_serve_current() -> None:
    api = Api()
    config = Config(api, None, proxy_headers=True)
    config.load()
    inner = config.loaded_app.app  # uvicorn's proxy-headers wrapper
    assert inner == api.serve_current
    assert config.interface == "asgi3"


def test_without_wrappers_the_loaded_app_is_serve_current() -> None:
    api = Api()
    config = Config(api, None, proxy_headers=False)
    config.load()
    assert config.loaded_app == api.serve_current
