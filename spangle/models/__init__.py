"""Request, response and connection models."""

from spangle.models.http import Request, Response
from spangle.models.websocket import Connection

__all__ = ["Request", "Response", "Connection"]
