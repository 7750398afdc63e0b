"""Range checks for every integer that comes from a request (path, query, form, JSON, cursor).

Database ids are signed 64-bit integers: a larger number can never name a row, and
SQLite refuses to even bind it. Each check here happens before a value reaches a query.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from werkzeug.routing import IntegerConverter

MAX_ID = 2**63 - 1  # the largest BIGINT (and SQLite INTEGER)


def in_range(number: int, low: int = 1, high: int = MAX_ID) -> bool:
    """True when `number` is a usable id (or lies in [low, high])."""
    return low <= number <= high


def id_from_text(value: Any) -> int | None:
    """An id from a form or query string ("42"), or None for anything else."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if in_range(number) else None


def id_from_json(value: Any) -> int | None:
    """An id from a JSON body: a real integer (not true, not 1.5, not "1"), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def upto_regex(limit: int) -> str:
    """A regular expression for the decimal numbers 0..limit without leading zeros.

    A URL converter must refuse a number by its pattern: when only its to_python
    refuses, Werkzeug answers another method's rule with a 405 instead of a 404.
    """
    digits = str(limit)
    parts = ["0", "[1-9]\\d{0," + str(len(digits) - 2) + "}"] if len(digits) > 1 else []
    for i, digit in enumerate(digits):
        low = 1 if i == 0 else 0
        if int(digit) > low:
            rest = len(digits) - i - 1
            parts.append(
                f"{digits[:i]}[{low}-{int(digit) - 1}]" + ("\\d{" + str(rest) + "}" if rest else "")
            )
    parts.append(digits)
    return "(?:" + "|".join(parts) + ")"


class BoundedIntConverter(IntegerConverter):
    """`<int:…>` in every route: only 0..MAX_ID match, anything longer is a 404."""

    regex = upto_regex(MAX_ID)

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def init_app(app: Any) -> None:
    """Replace the `int` URL converter before any route is registered."""
    app.url_map.converters["int"] = BoundedIntConverter


DATE_MIN = dt.date(1970, 1, 1)  # no picks, uploads or reports before this
DATE_MAX = dt.date(9000, 12, 31)  # far from date.max, so day arithmetic never overflows
