"""Private implementation of spangle; nothing here is public API."""
