"""Language choice: the `lang` cookie set by the navbar switcher, else Accept-Language.

A language has a short code in LANGUAGES ("en", "zh": the cookie, the switcher)
and a Babel locale. Chinese is "zh_Hans_CN" because that is the name under which
Flask-Security ships its own Simplified Chinese; our catalogue lives in
site/translations/zh/ and is found for zh_Hans_CN as well (gettext falls back to
the bare language).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from flask_babel import get_translations
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Request

BABEL_LOCALES = {"zh": "zh_Hans_CN"}
COOKIE = "lang"


def chosen_language() -> str:
    """The LANGUAGES code for this request: cookie, then Accept-Language, then the default."""
    config = current_app.config
    if not has_request_context():
        return config["BABEL_DEFAULT_LOCALE"]
    return language_of(request, config)


def language_of(incoming: Request, config: Mapping[str, Any]) -> str:
    """The language code of a request (also used outside Flask by the page-cache fast path)."""
    languages = list(config["LANGUAGES"])
    default = config["BABEL_DEFAULT_LOCALE"]
    chosen = incoming.cookies.get(COOKIE)
    if chosen in languages:
        return chosen
    return incoming.accept_languages.best_match(languages) or default


def locale_of(incoming: Request, config: Mapping[str, Any]) -> str:
    """The Babel locale of a request (the page cache keys on it)."""
    code = language_of(incoming, config)
    return BABEL_LOCALES.get(code, code)


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    code = chosen_language()
    return BABEL_LOCALES.get(code, code)


def html_lang() -> str:
    """The BCP 47 tag for <html lang>: 'en', 'zh-Hans-CN'."""
    return select_locale().replace("_", "-")


def forget_previous_locale(sender: object, **_: object) -> None:
    """Choose the locale afresh for every request.

    Flask-Babel caches the locale in `g`, which outlives a request when an app
    context was already pushed (the test suite): a language switch would not show.
    """
    g.pop("_flask_babel", None)


def request_translations() -> Any:
    """The gettext catalogue of the current locale, found once per request and locale.

    Flask-Babel looks it up afresh for every string (context, locale, its identifier,
    the domain's cache); a page has a hundred strings. The catalogue is kept on
    Flask-Babel's own per-request namespace next to the locale it belongs to, so
    `force_locale` (which changes that locale) gets its own.
    """
    space = getattr(g, "_flask_babel", None) if g else None
    if space is not None:
        kept = getattr(space, "gallery_translations", None)
        if kept is not None and kept[0] is getattr(space, "babel_locale", None):
            return kept[1]
    translations = get_translations()
    space = getattr(g, "_flask_babel", None) if g else None
    if space is not None and getattr(space, "babel_locale", None) is not None:
        space.gallery_translations = (space.babel_locale, translations)
    return translations


def install_gettext(app: Flask) -> None:
    """Templates' _(), ngettext() … through request_translations (after babel.init_app)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


#: The stored values staff see in the admin (statuses, report reasons, target types,
#: origins, sources), as words of the chosen language; the filter `label` shows them.
VALUE_LABELS = {
    "visible": _l("visible"),
    "hidden": _l("hidden"),
    "pending": _l("pending"),
    "rejected": _l("rejected"),
    "open": _l("open"),
    "resolved": _l("resolved"),
    "dismissed": _l("dismissed"),
    "spam": _l("spam"),
    "nudity": _l("nudity"),
    "violence": _l("violence"),
    "harassment": _l("harassment"),
    "copyright": _l("copyright"),
    "other": _l("other"),
    "image": _l("image"),
    "comment": _l("comment"),
    "report": _l("report"),
    "user": _l("user"),
    "pick": _l("pick"),
    "site": _l("site"),
    "tag": _l("tag"),
    "admin": _l("admin panel"),
    "page": _l("page"),
    "api": _l("API"),
    "cli": _l("command line"),
    "job": _l("job"),
    "upload": _l("upload"),
    "crawl": _l("crawl"),
    "seed": _l("seed"),
    "import": _l("import"),
    "purge": _l("purge"),
    "finished": _l("finished"),
    "running": _l("running"),
    "failed": _l("failed"),
}


def value_label(value: object) -> str:
    """A stored value in the chosen language (unknown values as they are)."""
    label = VALUE_LABELS.get(str(value)) if value is not None else None
    return str(label) if label is not None else ("" if value is None else str(value))
