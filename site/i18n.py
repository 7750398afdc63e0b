"""Language choice: the `lang` cookie set by the navbar switcher, else Accept-Language."""

from __future__ import annotations

from flask import current_app, request


def select_locale() -> str | None:
    """Pick the UI language for this request."""
    languages = list(current_app.config["LANGUAGES"])
    chosen = request.cookies.get("lang")
    if chosen in languages:
        return chosen
    return request.accept_languages.best_match(languages) or languages[0]
