"""`make bench`: run every benchmark module side by side in one process run."""

from __future__ import annotations

import importlib
import pkgutil

import tests.bench as package


def main() -> None:
    names = sorted(
        m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")
    )
    for name in names:
        module = importlib.import_module(f"tests.bench.{name}")
        print(f"\n=== bench: {name} ===", flush=True)
        module.run(print)


if __name__ == "__main__":
    main()
