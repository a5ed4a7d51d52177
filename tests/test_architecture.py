"""The package's layers, read from the code: imports point one way only.

::

    nnlesson/tools/     command line, grader, slides, notebook runner    may import everything
    nnlesson/course/    registry, surfaces, runner, lessons, checks      -> viz, library
    nnlesson/viz/       plotting, widgets, explorer                      -> library
    nnlesson/           the library (numpy only)                         -> library
    (``nnlesson/__main__.py``, ``python -m nnlesson``, belongs to the tools.)

Within the course, the exercise checks (``course/checks``) import no lesson module
(``course/lessons``) and no drawing code: what a check needs lives in the library. Every
import statement of every module is read with :mod:`ast`, including imports inside functions
and ``importlib.import_module("nnlesson....")`` calls with a literal name.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nnlesson"
LAYERS = ("library", "viz", "course", "tools")  # each may import only layers to its left


def layer_of(module):
    """``nnlesson.viz.widgets`` -> ``"viz"``; ``nnlesson.optim`` -> ``"library"``."""
    parts = module.split(".")
    assert parts[0] == "nnlesson", module
    if len(parts) > 1 and parts[1] in ("viz", "course", "tools"):
        return parts[1]
    if parts[1:] == ["__main__"]:  # ``python -m nnlesson``: the command line
        return "tools"
    return "library"


def module_name(path):
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def nnlesson_imports(path):
    """Every ``nnlesson...`` module a file imports, with the line: absolute, relative, lazy."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.append((target, node.lineno))
            # "from nnlesson import viz" imports the sub-package viz
            found += [(f"{target}.{alias.name}", node.lineno) for alias in node.names
                      if target == "nnlesson"]
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", ""))
              == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, node.lineno))
    return [(name, line) for name, line in found
            if name == "nnlesson" or name.startswith("nnlesson.")]


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_the_package_has_the_four_layers():
    names = {module_name(p) for p in MODULES}
    assert {"nnlesson.viz", "nnlesson.course", "nnlesson.tools", "nnlesson.optim",
            "nnlesson.course.checks", "nnlesson.course.lessons"} <= names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_point_down_the_layers(path):
    here = module_name(path)
    mine = LAYERS.index(layer_of(here))
    wrong = []
    for target, line in nnlesson_imports(path):
        if target == "nnlesson":
            continue  # the library's root package
        theirs = LAYERS.index(layer_of(target))
        if theirs > mine:
            wrong.append(f"line {line}: {here} ({LAYERS[mine]}) imports {target} "
                         f"({LAYERS[theirs]})")
    assert not wrong, "imports that point up the layers:\n" + "\n".join(wrong)


CHECKS = [p for p in MODULES if "checks" in p.relative_to(PACKAGE).parts]


@pytest.mark.parametrize("path", CHECKS, ids=lambda p: p.name)
def test_checks_import_no_lesson_and_no_drawing(path):
    bad = [f"line {line}: {target}" for target, line in nnlesson_imports(path)
           if target.startswith(("nnlesson.course.lessons", "nnlesson.viz"))]
    assert not bad, f"{path.name} imports lesson or drawing code:\n" + "\n".join(bad)


def test_the_grader_imports_no_lesson():
    grading = [p for p in MODULES if p.stem.startswith("grading") or "grading" in p.parts]
    assert grading
    for path in grading:
        bad = [t for t, _ in nnlesson_imports(path) if t.startswith("nnlesson.course.lessons")]
        assert not bad, f"{path.name} imports {bad}"


def test_the_import_reader_sees_every_form_of_import(tmp_path):
    """The test above is only as good as this reader: feed it each form once."""
    pkg = tmp_path / "nnlesson" / "course" / "checks"
    pkg.mkdir(parents=True)
    probe = pkg / "probe.py"
    probe.write_text(
        "import nnlesson.viz.plotting\n"
        "from nnlesson.course.lessons import momentum\n"
        "from ..lessons import adam_and_adamw\n"
        "from ... import tools\n"
        "def f():\n"
        "    import importlib\n"
        "    return importlib.import_module('nnlesson.tools.cli')\n",
        encoding="utf-8")
    global PACKAGE
    saved, PACKAGE = PACKAGE, tmp_path / "nnlesson"
    try:
        found = {name for name, _ in nnlesson_imports(probe)}
    finally:
        PACKAGE = saved
    assert found >= {"nnlesson.viz.plotting", "nnlesson.course.lessons",
                     "nnlesson.tools",
                     "nnlesson.tools.cli"}
