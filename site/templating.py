"""Jinja helpers: permission checks, language list, time formatting."""

from __future__ import annotations

import datetime as dt

from flask import Flask, current_app
from flask_babel import format_datetime, get_locale

from gallery.i18n import chosen_language, html_lang
from gallery.roles import can


def iso_utc(value: dt.datetime | None) -> str:
    """A naive UTC timestamp as ISO 8601 with a Z."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def init_app(app: Flask) -> None:
    """Register globals and filters."""
    app.jinja_env.globals.update(
        can=can, get_locale=get_locale, html_lang=html_lang, chosen_language=chosen_language
    )
    app.jinja_env.filters["iso_utc"] = iso_utc
    app.jinja_env.filters["datetime"] = lambda v, fmt="medium": format_datetime(v, fmt) if v else ""

    @app.context_processor
    def site_globals() -> dict[str, object]:
        return {
            "site_name": current_app.config["SITE_NAME"],
            "languages": current_app.config["LANGUAGES"],
        }
