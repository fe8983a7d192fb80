"""Request body parsers and the uploaded-file type."""

from __future__ import annotations

from typing import IO, NamedTuple

__all__ = ["UploadedFile"]


class UploadedFile(NamedTuple):
    """A file sent in a multipart form.

    Attributes:
        filename: The name the client gave.
        file: The file's data, a binary file object.
        mimetype: The type the client gave.
    """

    filename: str
    file: IO[bytes]
    mimetype: str
