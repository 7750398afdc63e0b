"""Where the project's files are: the repository root and what sits in it."""

from pathlib import Path

#: the repository root (config/, templates/, migrations/, seeds/ live here)
ROOT = Path(__file__).resolve().parent.parent
