"""HTTP request and response models."""

from spangle.models.http.request import Request
from spangle.models.http.response import Response

__all__ = ["Request", "Response"]
