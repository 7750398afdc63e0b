"""Serving locally stored media in development."""
