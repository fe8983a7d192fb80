"""Protocol pipelines: one module function per ASGI scope type."""
