"""Rate-limit helpers shared by the views: limits read from config, keys per member."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, g, request
from flask_security import current_user


def config_limit(name: str) -> Callable[[], str]:
    """A limit string read from the config at request time (tests can change it)."""
    return lambda: current_app.config[name]


def per_member() -> str:
    """Count per member (per API token for a token's requests); anonymous requests
    (refused anyway) count per address."""
    token = g.get("api_token")
    if token is not None:
        return f"token:{token.id}"
    if current_user.is_authenticated:
        return f"member:{current_user.id}"
    return f"addr:{request.remote_addr}"
