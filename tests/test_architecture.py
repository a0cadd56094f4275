"""The shape of the code: every import of every module (those inside functions too) goes
down the floors the README's Architecture section describes, never round in a cycle, and
never from `scrapers` up into `brief`; the README names every part and module there is."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

# The floors, lowest first: a module may import from its own floor or any floor below.
FLOORS = {
    "scrapers": 0,
    "brief.ground": 1,
    "brief.content": 2,
    "brief.mail": 3,
    "brief.audience": 4,
    "brief.desk": 5,
    "brief.site": 5,
    "brief.web": 6,
    "brief.commands": 6,
    "brief.cli": 7,
    "brief.__main__": 8,
    "brief": 8,  # brief/__init__.py
}


def modules() -> dict[str, Path]:
    found = {}
    for package in ("brief", "scrapers"):
        for path in sorted((REPO / package).rglob("*.py")):
            parts = path.relative_to(REPO).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imports(path: Path, name: str, known: dict[str, Path]) -> set[str]:
    """Every project module `path` imports, wherever the import statement is."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from brief.content import files` imports the module brief.content.files.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(path, name, known) for name, path in known.items()}


def floor(module: str) -> int:
    while module not in FLOORS:
        module = module.rpartition(".")[0]
    return FLOORS[module]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle_between_project_modules() -> None:
    assert cycles(graph()) == []


def test_imports_only_go_down_the_floors() -> None:
    upward = [
        f"{module} (floor {floor(module)}) imports {target} (floor {floor(target)})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if floor(target) > floor(module)
    ]
    assert upward == []


def part(module: str) -> str:
    """`desk` for brief.desk.check: the part of brief a module belongs to."""
    parts = module.split(".")
    return parts[1] if parts[0] == "brief" and len(parts) > 2 else ""


def test_the_desk_and_the_site_do_not_lean_on_each_other() -> None:
    crossing = [
        f"{module} imports {target}"
        for module, targets in graph().items()
        for target in targets
        if {part(module), part(target)} == {"desk", "site"}
    ]
    assert crossing == []


def test_scrapers_never_import_brief() -> None:
    assert [
        (module, sorted(t for t in targets if t.startswith("brief")))
        for module, targets in graph().items()
        if module.startswith("scrapers") and any(t.startswith("brief") for t in targets)
    ] == []


def test_the_walk_sees_imports_inside_functions(tmp_path: Path) -> None:
    """The walk itself: an import inside a function counts as much as one at the top."""
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from brief.mail.digest import wrap\n    return wrap\n")
    known = {"brief.mail.digest": path, "brief.ground.markup": path}
    assert imports(path, "brief.ground.markup", known) == {"brief.mail.digest"}
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]


def test_the_readme_names_every_part_and_module() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    missing = []
    for name, path in modules().items():
        if path.name == "__init__.py":
            if name.count(".") == 1 and f"{name.split('.')[1]}/`" not in section:
                missing.append(f"{name.split('.')[1]}/")
        elif f"`{path.name}`" not in section and path.name != "__main__.py":
            missing.append(str(path.relative_to(REPO)))
    assert missing == []
