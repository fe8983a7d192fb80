"""Route templates, converters and the lookup table."""
