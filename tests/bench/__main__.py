"""`make bench`: run every benchmark module side by side in one process run.

`python -m tests.bench feeds` runs only the named modules. A module is any
tests/bench/*.py not starting with "_" that has `run(echo)`; shared pieces
(gunicorn, nginx, Redis, wrk) are in tests/bench/_harness.py.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import tests.bench as package


def main() -> None:
    names = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")
    )
    chosen = sys.argv[1:]
    for name in [name for name in names if not chosen or name in chosen]:
        module = importlib.import_module(f"tests.bench.{name}")
        print(f"\n=== bench: {name} ===", flush=True)
        module.run(print)


if __name__ == "__main__":
    main()
