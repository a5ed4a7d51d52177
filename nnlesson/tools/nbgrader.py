"""The course as an nbgrader course: ``python -m nnlesson export-nbgrader --out COURSE_DIR``.

nbgrader is the grading tool many instructors already run (with JupyterHub, or on its own).
:func:`export_course` writes, for each lesson that has exercises, the nbgrader *source*
notebook ``COURSE_DIR/source/NN_slug/NN_slug.ipynb`` made from the lesson's solution notebook,
and a ``COURSE_DIR/nbgrader_config.py``. In the source notebook every cell carries nbgrader's
metadata (schema 3):

* an answer cell (a code cell with ``### BEGIN SOLUTION`` ... ``### END SOLUTION``, the markers
  both tools use) is a **solution cell**; nbgrader replaces the block by the course's stub
  (``raise NotImplementedError("replace this line with your code")``, set in the config) when it
  generates the students' version. The hints stay where the lessons put them, in the markdown
  cells above the answer;
* a check cell (``result = check_x(fn)``) is an **autograded test cell** worth ``points`` per
  check. It runs the course's check, shows its result, and asserts that it passed:

  .. code-block:: python

      result = check_adam_update(adam_update)
      display(result)
      assert result.passed, str(result)

  so a failed check fails the assert with the check's own explanation, which nbgrader's
  feedback shows. nbgrader gives a test cell its points when it raises nothing;
* every other cell is **read-only**; nbgrader restores its source from the source notebook
  when it autogrades, so a student cannot change the imports or the checks.

Cell ids are kept from the solution notebook (the ones the exercise notebooks have); outputs
are cleared; markdown solution blocks (``<!-- BEGIN SOLUTION -->``) and ``solution-only``
cells are left out, as in the exercises.

No file is replaced without ``force``: an existing source notebook or config that differs
(an instructor may have edited it) is kept, and the export stops with a message naming it;
with ``force`` a timestamped backup is written first.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat

from nnlesson.tools.files import backup_file, write_notebook, write_text

__all__ = ["CONFIG", "source_notebook", "export_course", "lessons_with_exercises"]

BEGIN = "### BEGIN SOLUTION"
_MD_BLOCK = re.compile(r"<!-- BEGIN SOLUTION -->.*?<!-- END SOLUTION -->", re.DOTALL)
_SOLUTION_ONLY = "solution-only"
_CHECK = re.compile(r"check_\w+")
_VOLATILE = ("execution", "collapsed", "scrolled", "ExecuteTime", "nbgrader")

CONFIG = '''\
"""nbgrader's settings for the nnlesson course (written by 'nnlesson export-nbgrader').

nbgrader reads this file from the folder it runs in: run its commands in this folder.
"""
import os

c = get_config()  # noqa: F821  (nbgrader provides it)

HERE = os.path.dirname(os.path.abspath(__file__))
c.CourseDirectory.root = HERE
c.CourseDirectory.course_id = "nnlesson"
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")

# Each exercise notebook runs in seconds; a cell stuck in an endless loop is stopped here.
c.Execute.timeout = 120

# The students' version gets the course's own stub, the one the checks' messages refer to.
c.ClearSolutions.code_stub = {
    "python": '# Your code here.\\nraise NotImplementedError("replace this line with your code")',
}

# nbgrader counts any output on stderr in a test cell as a failure. A numpy warning raised by
# a student's correct code (a RuntimeWarning) must not cost the points of a check it passed.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning"
'''


def _meta(grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3,
            "solution": solution, "task": False}
    if grade:
        meta["points"] = points
    return meta


def _check_calls(tree, source):
    """The top-level statements of a check cell that call a check: ``[(target, call)]``."""
    found = []
    for statement in tree.body:
        value = getattr(statement, "value", None)
        func = getattr(value, "func", None)
        name = getattr(func, "id", None) or getattr(func, "attr", "")
        if isinstance(value, ast.Call) and _CHECK.fullmatch(name or ""):
            targets = getattr(statement, "targets", [])
            target = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) \
                else None
            found.append((target, ast.get_source_segment(source, value)))
    return found


def _test_cell_source(source):
    """The autograded form of a check cell, or None when the cell holds no check call.

    Each check call keeps its variable (``result`` by default, as the exercises name it), is
    displayed, and is asserted to have passed with the check's text as the message.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None, 0
    calls = _check_calls(tree, source)
    if not calls:
        return None, 0
    lines = []
    for number, (target, call) in enumerate(calls, start=1):
        name = target or ("result" if len(calls) == 1 else f"result_{number}")
        lines += [f"{name} = {call}", f"display({name})", f"assert {name}.passed, str({name})"]
    return "\n".join(lines), len(calls)


def source_notebook(solution, *, points=1):
    """The nbgrader source notebook (a new ``NotebookNode``) for a solution notebook.

    Args:
        solution: a path or a ``NotebookNode`` of a solution notebook.
        points: points per check.

    Returns:
        ``(notebook, checks)``: the source notebook and its number of checks.
    """
    if isinstance(solution, (str, Path)):
        nb = nbformat.read(str(solution), as_version=4)
    else:
        nb = nbformat.from_dict(solution)
    used, cells, checks = set(), [], 0

    def unique(grade_id):
        grade_id = re.sub(r"[^A-Za-z0-9_-]", "_", grade_id)
        base, n = grade_id, 2
        while grade_id in used:
            grade_id, n = f"{base}_{n}", n + 1
        used.add(grade_id)
        return grade_id

    for cell in nb.cells:
        if _SOLUTION_ONLY in cell.get("metadata", {}).get("tags", []):
            continue
        cell = nbformat.from_dict(cell)
        for key in _VOLATILE:
            cell.metadata.pop(key, None)
        if cell.cell_type == "markdown":
            cell.source = _MD_BLOCK.sub("", cell.source).rstrip()
            if not cell.source.strip() and not cell.get("attachments"):
                continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        cell_id = cell.get("id") or f"{len(cells) + 1}"
        if cell.cell_type == "code" and BEGIN in cell.source:
            names = re.findall(r"^(?:def|class)\s+(\w+)", cell.source, re.M)
            cell.metadata["nbgrader"] = _meta(unique(names[0] if names else f"answer-{cell_id}"),
                                              solution=True)
        elif cell.cell_type == "code" and _test_cell_source(cell.source)[0] is not None:
            source, count = _test_cell_source(cell.source)
            name = _CHECK.search(source).group(0)
            cell.source = source
            cell.metadata["nbgrader"] = _meta(unique(name), grade=True, locked=True,
                                              points=points * count)
            checks += count
        else:
            cell.metadata["nbgrader"] = _meta(unique(f"cell-{cell_id}"), locked=True)
        cells.append(cell)
    nb.cells = cells
    nbformat.validate(nb)
    return nb, checks


def lessons_with_exercises(solutions_dir, wanted=()):
    """``[(name, solution path)]`` of the registry's lessons that have a solution notebook
    with checks, in lesson order; ``wanted`` selects by number, slug or name."""
    from nnlesson.course import LESSONS

    solutions_dir = Path(solutions_dir)
    chosen = []
    for lesson in LESSONS:
        path = solutions_dir / f"{lesson.name}.ipynb"
        if not path.is_file():
            continue
        keys = {str(lesson.number), f"{lesson.number:02d}", lesson.slug, lesson.name}
        if wanted and not keys & set(wanted):
            continue
        chosen.append((lesson.name, path))
    unknown = [w for w in wanted if not any(w in {n, n[:2], n[3:], str(int(n[:2]))}
                                            for n, _ in chosen)]
    if unknown:
        raise ValueError(f"no lesson with exercises matches {', '.join(map(repr, unknown))}")
    return chosen


def export_course(out, lessons=(), *, points=1, solutions_dir=None, force=False):
    """Write an nbgrader course into ``out``; returns the paths written (or already current).

    Args:
        out: the course folder (created if needed).
        lessons: lesson numbers, slugs or names (default: every lesson with exercises).
        points: points per check.
        solutions_dir: the solution notebooks (default: the course's ``solutions/``).
        force: replace files that differ from what the export would write (after a backup).

    Raises:
        FileExistsError: a file differs and ``force`` is not given (nothing was written).
    """
    from nnlesson.tools.workspace import course_root

    if isinstance(points, bool) or not isinstance(points, (int, float)) or not points > 0:
        raise ValueError(f"points must be a number > 0, got {points!r}")
    out = Path(out)
    solutions_dir = Path(solutions_dir) if solutions_dir else course_root() / "solutions"
    planned = []
    for name, path in lessons_with_exercises(solutions_dir, [str(x) for x in lessons]):
        nb, checks = source_notebook(path, points=points)
        if checks:
            text = nbformat.writes(nb)
            planned.append((out / "source" / name / f"{name}.ipynb",
                            text if text.endswith("\n") else text + "\n"))
    if not planned:
        raise ValueError(f"no solution notebook with checks in {str(solutions_dir)!r}")
    planned.append((out / "nbgrader_config.py", CONFIG))
    differ = [path for path, text in planned
              if path.exists() and path.read_text(encoding="utf-8") != text]
    if differ and not force:
        raise FileExistsError(
            "refused: these files exist and differ from the export (edited by hand?): "
            + ", ".join(str(p) for p in differ)
            + ". Nothing was written. Add --force to replace them (each is first copied to a "
              "timestamped backup beside it).")
    written = []
    for path, text in planned:
        if path in differ:
            backup_file(path)
        if not path.exists() or path in differ:
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.suffix == ".ipynb":
                write_notebook(path, nbformat.reads(text, as_version=4))
            else:
                write_text(path, text)
        written.append(path)
    return written
