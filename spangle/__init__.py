"""spangle: a small, fast ASGI framework with class-based views and WebSockets."""

from spangle.api import Api
from spangle.blueprint import Blueprint
from spangle.broadcast import Broadcast
from spangle.component import api_ctx, component_ctx, use_api, use_component
from spangle.error_handler import ErrorHandler
from spangle.models.http import Request, Response
from spangle.models.websocket import Connection
from spangle.parser import UploadedFile

__all__ = [
    "Api",
    "Blueprint",
    "ErrorHandler",
    "Request",
    "Response",
    "Connection",
    "UploadedFile",
    "use_api",
    "use_component",
    "api_ctx",
    "component_ctx",
    "Broadcast",
]
