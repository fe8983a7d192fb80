"""Broadcast messages to connections across processes and hosts (SPEC §7)."""
