"""The packages of zendesk_crawler stand on each other in one order: no module imports one above it.

The order is docs/architecture.md's ("The packages, from the ground up"). A new package must be placed here;
an import that runs back up fails this test with the module and the name it imports.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "zendesk_crawler"

#: From the ground up; units on one floor may not import each other.
FLOORS: list[set[str]] = [
    {"errors", "items", "compat", "logformatter", "settings"},
    {"location"},
    {"api"},
    {"config"},
    {"run"},
    {"streams", "middlewares"},
    {"feeds", "state"},
    {"selection", "pipelines", "extensions", "restore"},
    {"demo_sandbox"},
    {"spiders", "commands", "addon", "demo", "compare"},
    {"web"},
]
FLOOR = {unit: number for number, units in enumerate(FLOORS) for unit in units}


def unit_of(path: Path) -> str:
    """The package (or top-level module) of ``zendesk_crawler`` a file belongs to."""
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imported_units(path: Path) -> list[tuple[int, str]]:
    """(line, unit) of each ``zendesk_crawler`` unit a file imports, its own excepted."""
    found = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] if node.module != "zendesk_crawler" else \
                [f"zendesk_crawler.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "zendesk_crawler" and len(parts) > 1 and parts[1] != unit_of(path):
                found.append((node.lineno, parts[1]))
    return found


def test_every_unit_has_a_floor():
    units = {unit_of(path) for path in PACKAGE.rglob("*.py") if unit_of(path) != "__init__"}
    assert units <= set(FLOOR), f"place these in FLOORS: {sorted(units - set(FLOOR))}"


def test_no_module_imports_one_above_it_or_beside_it():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = unit_of(path)
        if unit == "__init__":
            continue
        for line, imported in imported_units(path):
            if FLOOR[imported] >= FLOOR[unit]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported} "
                             f"(floor {FLOOR[imported]}, its own is {FLOOR[unit]})")
    assert not wrong, "\n".join(wrong)
