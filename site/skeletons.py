"""Username skeletons: look-alike names ("alice", Cyrillic "аlice", "a1ice") share one.

In the spirit of Unicode TR39's skeleton: normalise (NFKC), fold case, then map
every character to one representative of its group of confusable characters
(the data of confusable-homoglyphs, taken from Unicode's confusables.txt).
"""

from __future__ import annotations

import unicodedata
from functools import cache

from confusable_homoglyphs import confusables


@cache
def _prototype(char: str) -> str:
    """The representative of `char`'s confusable group: its lowest code point."""
    group = {char}
    for homoglyph in confusables.confusables_data.get(char, ()):
        candidate = homoglyph["c"].strip("\u200e\u200f")
        if len(candidate) == 1:
            group.add(candidate.casefold() if len(candidate.casefold()) == 1 else candidate)
    return min(group)


def skeleton(name: str) -> str:
    """The string two names share when they look alike."""
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(_prototype(char) for char in folded)


def is_mixed_script(name: str) -> bool:
    """True when letters of several scripts are mixed ("аlice": Cyrillic and Latin)."""
    # composed first: a decomposed "й" would count its combining breve as a script
    return bool(confusables.is_mixed_script(unicodedata.normalize("NFC", name)))
