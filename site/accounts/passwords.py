"""Password rules: Flask-Security's length and zxcvbn checks plus a shipped list of
common passwords, with messages of our own (zxcvbn's hints cannot be translated)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_security import PasswordUtil

COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list, lower-cased (read once per process; no network look-up)."""
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().casefold() for line in lines if line and line[0] != "#")


def is_common(password: str) -> bool:
    return password.strip().casefold() in common_passwords()


class GalleryPasswordUtil(PasswordUtil):
    """Length first (Flask-Security's message), then our list, then zxcvbn's score."""

    def validate(self, password: str, is_register: bool, **kwargs: Any) -> tuple[list | None, str]:
        problems, normalized = super().validate(password, is_register, **kwargs)
        if problems and len(normalized or "") >= current_app.config["SECURITY_PASSWORD_LENGTH_MIN"]:
            # Flask-Security only complains about length or complexity here; a long
            # enough password that fails was judged too easy to guess by zxcvbn.
            problems = [_("This password is too easy to guess. Try a few unusual words together.")]
        if is_common(normalized or ""):
            problems = [_("This password is one of the most common ones; please choose another.")]
        return (problems or None), normalized
