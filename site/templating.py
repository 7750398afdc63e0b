"""Jinja helpers: permission checks, language list, time formatting."""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import format_date, format_datetime, get_locale
from markupsafe import Markup

from gallery.formats import iso_utc
from gallery.i18n import chosen_language, html_lang, value_label
from gallery.roles import can


def icon(name: str) -> Markup:
    """The inline SVG `name` of public/_icons.html, rendered once per app and name
    (cards call it several times each; importing the macro per card was costly)."""
    rendered: dict[str, Markup] = current_app.extensions.setdefault("gallery_icons", {})
    if name not in rendered:
        macro = current_app.jinja_env.get_template("public/_icons.html").module.icon
        rendered[name] = Markup(macro(name))
    return rendered[name]


def init_app(app: Flask) -> None:
    """Register globals and filters."""
    app.jinja_env.globals.update(
        can=can,
        get_locale=get_locale,
        html_lang=html_lang,
        chosen_language=chosen_language,
        icon=icon,
    )
    app.jinja_env.filters["iso_utc"] = iso_utc
    app.jinja_env.filters["label"] = value_label
    app.jinja_env.filters["datetime"] = lambda v, fmt="medium": format_datetime(v, fmt) if v else ""
    app.jinja_env.filters["date"] = lambda v, fmt="medium": format_date(v, fmt) if v else ""

    @app.context_processor
    def site_globals() -> dict[str, object]:
        return {
            "site_name": current_app.config["SITE_NAME"],
            "languages": current_app.config["LANGUAGES"],
        }
