"""Request, response and connection models."""
