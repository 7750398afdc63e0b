"""The structure of DESIGN.md §2: no import cycle between modules, and an import inside a
function only with its reason beside it. (`make lint` checks the layers with import-linter.)"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import grimp
import pytest

SITE = Path(__file__).resolve().parents[1] / "site"
# the reason after the noqa code: `# noqa: PLC0415 - Scrapy is optional`
REASONED_NOQA = re.compile(r"#\s*noqa:\s*PLC0415\s*[-–—:]\s*\S")


def import_cycles(graph: grimp.ImportGraph) -> list[tuple[str, str]]:
    """Every direct import A -> B where B also reaches A (each cycle shows at least once)."""
    cycles = []
    for importer in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            if graph.chain_exists(importer=imported, imported=importer):
                cycles.append((importer, imported))
    return cycles


def unexplained_function_imports(source: str) -> list[int]:
    """Line numbers of in-function imports without a reason (a comment beside or just above)."""
    lines = source.splitlines()
    found = []
    for function in ast.walk(ast.parse(source)):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for node in ast.walk(function):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            here = lines[node.lineno - 1]
            above = lines[node.lineno - 2].strip() if node.lineno > 1 else ""
            if not REASONED_NOQA.search(here) and not (above.startswith("#") and "noqa" in here):
                found.append(node.lineno)
    return sorted(set(found))


def test_no_module_imports_itself_back() -> None:
    graph = grimp.build_graph("gallery", cache_dir=None)
    assert import_cycles(graph) == []


def test_a_cycle_is_found() -> None:
    graph = grimp.ImportGraph()
    for name in ("pkg", "pkg.feeds", "pkg.picks", "pkg.models"):
        graph.add_module(name)
    graph.add_import(importer="pkg.feeds", imported="pkg.picks")
    graph.add_import(importer="pkg.picks", imported="pkg.models")
    graph.add_import(importer="pkg.picks", imported="pkg.feeds")
    assert import_cycles(graph) == [("pkg.feeds", "pkg.picks"), ("pkg.picks", "pkg.feeds")]


def test_imports_inside_functions_carry_their_reason() -> None:
    unexplained = {
        str(path.relative_to(SITE)): lines
        for path in sorted(SITE.rglob("*.py"))
        if (lines := unexplained_function_imports(path.read_text()))
    }
    assert unexplained == {}


@pytest.mark.parametrize(
    ("source", "flagged"),
    [
        ("def f():\n    from gallery import models\n", [2]),
        ("def f():\n    import gallery.models  # noqa: PLC0415\n", [2]),
        ("def f():\n    import scrapy  # noqa: PLC0415 - Scrapy is optional\n", []),
        ("def f():\n    # Scrapy is optional\n    import scrapy  # noqa: PLC0415\n", []),
        ("from gallery import models\n\ndef f():\n    return models\n", []),
    ],
)
def test_the_reason_check(source: str, flagged: list[int]) -> None:
    assert unexplained_function_imports(source) == flagged
