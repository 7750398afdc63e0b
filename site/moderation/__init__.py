"""Moderation: hide / restore / purge of images and comments, the audit log,
the report inbox and retention. CLI: flask purge.
"""
