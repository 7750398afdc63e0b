"""What an audited action changed: the keys whose value differs between before and after."""

from __future__ import annotations

import json
from typing import Any, NamedTuple


class Change(NamedTuple):
    """One changed key of an audit entry's state (None: the key was absent)."""

    field: str
    old: Any
    new: Any


def changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[Change]:
    """The keys of before/after whose values differ, sorted by name (unchanged keys left out)."""
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    return [
        Change(key, before.get(key), after.get(key))
        for key in keys
        if before.get(key) != after.get(key)
    ]


def shown_value(value: Any) -> str:
    """A state value as text: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
