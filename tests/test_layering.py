"""The apps are layered: reports -> interventions -> children -> convergence. An app imports only the apps
to its right; `config/` may import every app.

Every application module is parsed (tests and migrations excluded; migrations name other apps' models by
string and run in their own app registry). Every import counts: at the top, inside a function (a late
import breaks the layering just as much) and under `if TYPE_CHECKING:` (an annotation that names an upper
app's class means the code is in the wrong app), and so do `importlib.import_module`,
`django.utils.module_loading.import_string` and `__import__` called with a literal name. Reversing a URL
by its name ("reports:dashboard") is not an import. A lower app that must tell an upper one of a change
announces it and the upper one listens (`children/changes.py` and `reports/apps.py`).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Right to left: each app may import itself and the apps before it in this list.
LAYERS = ("convergence", "children", "interventions", "reports")
SKIPPED_DIRS = {"tests", "migrations", "__pycache__"}
DYNAMIC_IMPORTERS = {"import_module", "import_string", "__import__"}


@dataclass(frozen=True)
class Violation:
    path: str  # relative to the project root
    line: int
    imported: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} imports {self.imported}"


def app_modules(root: Path, app: str) -> list[Path]:
    return sorted(
        path
        for path in (root / app).rglob("*.py")
        if not SKIPPED_DIRS.intersection(path.relative_to(root).parts[:-1])
    )


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _absolute(root: Path, path: Path, node: ast.ImportFrom) -> str:
    """The module a `from ... import` names, relative ones resolved against the file's package."""
    if node.level == 0:
        return node.module or ""
    package = _module_name(root, path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _imported(root: Path, path: Path, node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        module = _absolute(root, path, node)
        # `from reports import province` (or `from .. import province`): name the module, reports.province.
        if "." in module:
            return [module]
        return [f"{module}.{alias.name}" for alias in node.names]
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        first = node.args[0]
        if name in DYNAMIC_IMPORTERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
            return [first.value]
    return []


def layering_violations(root: Path) -> list[Violation]:
    """Every import in an app's modules of an app to its left in LAYERS, by file and line."""
    found = []
    for position, app in enumerate(LAYERS):
        above = set(LAYERS[position + 1 :])
        for path in app_modules(root, app):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                for module in _imported(root, path, node):
                    if module.split(".")[0] in above:
                        line = getattr(node, "lineno", 0)
                        found.append(Violation(str(path.relative_to(root)), line, module))
    return sorted(found, key=lambda v: (v.path, v.line, v.imported))


def test_no_app_imports_an_app_to_its_left() -> None:
    violations = layering_violations(ROOT)
    assert violations == [], (
        "Imports against reports -> interventions -> children -> convergence:\n"
        + "\n".join(str(v) for v in violations)
    )


@pytest.mark.parametrize("app", LAYERS)
def test_it_reads_every_app_s_modules(app: str) -> None:
    # A wrong root would pass the test above with nothing read.
    paths = app_modules(ROOT, app)
    assert len(paths) >= 10
    assert ROOT / app / "models" / "__init__.py" in paths or ROOT / app / "models.py" in paths
    assert not [p for p in paths if {"tests", "migrations"} & set(p.relative_to(ROOT).parts)]


def _write(root: Path, name: str, text: str) -> None:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_it_names_file_line_and_import_of_every_kind(tmp_path: Path) -> None:
    for app in LAYERS:
        _write(tmp_path, f"{app}/__init__.py", "")
    _write(
        tmp_path,
        "convergence/province.py",
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "from convergence.models import Region\n"
        "from reports.models import ProvincialTarget\n"
        "if TYPE_CHECKING:\n"
        "    from children.models import Child\n"
        "def later() -> None:\n"
        "    import interventions.selectors\n"
        "    from django.utils.module_loading import import_string\n"
        "    import_string('reports.compute.path_value')\n",
    )
    _write(tmp_path, "convergence/api/views.py", "from ...reports import models\nfrom .. import province\n")
    _write(
        tmp_path, "children/models.py", "from convergence.models import Region\nfrom reports import locks\n"
    )
    # Downward imports, and what tests and migrations import, are allowed.
    _write(
        tmp_path, "reports/views.py", "from children.models import Child\nfrom interventions import access\n"
    )
    _write(
        tmp_path, "convergence/migrations/0001_initial.py", "from reports.models import ProvincialTarget\n"
    )
    _write(tmp_path, "children/tests/test_x.py", "import reports.province\n")
    assert [str(v) for v in layering_violations(tmp_path)] == [
        "children/models.py:2 imports reports.locks",
        "convergence/api/views.py:1 imports reports.models",
        "convergence/province.py:4 imports reports.models",
        "convergence/province.py:6 imports children.models",
        "convergence/province.py:8 imports interventions.selectors",
        "convergence/province.py:10 imports reports.compute.path_value",
    ]
