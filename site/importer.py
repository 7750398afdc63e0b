"""Bulk import of a folder tree (one sub-folder per user) through the upload pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class ImportResult:
    stored: int = 0
    duplicates: int = 0
    rejected: dict[str, str] = field(default_factory=dict)


def import_tree(
    root: Path, *, source: str = "import", publish: bool = True, echo: Callable[[str], None] = print
) -> ImportResult:
    """Placeholder until the upload pipeline lands: imports nothing."""
    echo(f"importer not built yet; skipped {root}")
    return ImportResult()
