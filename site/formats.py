"""One helper per formatting rule: byte sizes, ISO timestamps, calendar days."""

from __future__ import annotations

import datetime as dt

from gallery.numbers import DATE_MAX, DATE_MIN

UNITS = ("B", "KB", "MB", "GB", "TB")


def human_size(size: float) -> str:
    """20971520 -> '20 MB', 10240 -> '10 KB', 512 -> '512 B' (binary units, as browsers count)."""
    value = float(size)
    for unit in UNITS:
        if abs(value) < 1024 or unit == UNITS[-1]:
            return f"{round(value, 1):g} {unit}"
        value /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def iso_utc(value: dt.datetime | None) -> str:
    """A naive UTC timestamp as ISO 8601 with a Z ('' for None)."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def parse_day(value: str) -> dt.date | None:
    """A calendar day written exactly as YYYY-MM-DD between DATE_MIN and DATE_MAX
    (so that day arithmetic never overflows: /picks/0001-01-01 was a 500), else None."""
    if len(value) != 10:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return None
    return day if DATE_MIN <= day <= DATE_MAX else None


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """'1 image', '2 images' for the English-only command line (pages use ngettext)."""
    return f"{number} {singular if number == 1 else (plural or singular + 's')}"
