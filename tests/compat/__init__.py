"""Behaviours of spangle 0.11 that code written for it relies on."""
