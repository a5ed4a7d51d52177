"""Generate the exercise notebooks from the solution notebooks.

``solutions/NN_slug.ipynb`` is the one source; ``exercises/NN_slug.ipynb`` is generated from it:

* In a code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers
  included) become, at the indentation of the ``### BEGIN SOLUTION`` line, the hint comment(s)
  written inside the block as ``### HINT: ...`` lines and
  ``raise NotImplementedError("replace this line with your code")``::

      def sgd_update(w, g, lr):                 def sgd_update(w, g, lr):
          ### BEGIN SOLUTION                         # Hint: step against the gradient.
          ### HINT: step against the gradient.  ->    raise NotImplementedError("...")
          return w - lr * g
          ### END SOLUTION

  Put answers inside functions: a cell whose stub sits at the top level raises when it runs,
  so it gets the ``raises-exception`` tag (nbclient and nbval then accept the error).
* In a markdown cell, everything between ``<!-- BEGIN SOLUTION -->`` and
  ``<!-- END SOLUTION -->`` is removed; a cell left empty is dropped.
* Cells tagged ``solution-only`` are dropped.
* Outputs and execution counts are cleared; other metadata (slide types, tags) is kept.

With ``execute=True`` the exercise notebook is then run in a fresh kernel (cwd = repository
root), so its stored outputs show each check's "not implemented yet" result. A check cell
must therefore never raise: a check returns its result even for a stub.

:func:`is_up_to_date` compares cell *sources* (type, source, tags and slide metadata) of what
would be generated with what is on disk, so a test fails when ``exercises/`` is stale.
"""
from __future__ import annotations

import re
from pathlib import Path

import nbformat

from nnlesson.tools.notebooks import execute_notebook

__all__ = [
    "BEGIN",
    "END",
    "HINT",
    "SOLUTION_ONLY_TAG",
    "make_exercise",
    "build_exercises",
    "stale_exercises",
    "is_up_to_date",
]

BEGIN = "### BEGIN SOLUTION"
END = "### END SOLUTION"
HINT = "### HINT:"
MD_BEGIN = "<!-- BEGIN SOLUTION -->"
MD_END = "<!-- END SOLUTION -->"
SOLUTION_ONLY_TAG = "solution-only"
RAISES_TAG = "raises-exception"
STUB = 'raise NotImplementedError("replace this line with your code")'

_MD_BLOCK = re.compile(re.escape(MD_BEGIN) + r".*?" + re.escape(MD_END), re.DOTALL)
# Cell metadata that only records UI state or a run; never compared, never kept.
_VOLATILE_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def _inside_function(previous_lines, indent):
    """True if a line indented by ``indent`` after ``previous_lines`` sits in a ``def`` body."""
    level = len(indent)
    for line in reversed(previous_lines):
        if level == 0:
            return False
        code = line.lstrip()
        if not code or code.startswith("#"):
            continue
        width = len(line) - len(code)
        if width < level:
            if code.startswith(("def ", "async def ")):
                return True
            level = width
    return False


def _stub_code(source, where):
    """Replace each solution block of a code cell's source.

    Returns ``(source, runs_stub)``; ``runs_stub`` is True when a stub is not inside a
    function body, so running the cell raises ``NotImplementedError``.
    """
    if BEGIN not in source and END not in source:
        return source, False
    out, block, indent, top_level = [], None, "", False
    for number, line in enumerate(source.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith(BEGIN):
            if block is not None:
                raise ValueError(f"{where}: line {number}: {BEGIN!r} inside another solution block")
            block, indent = [], line[: len(line) - len(line.lstrip())]
            begin_line = number
        elif stripped.startswith(END):
            if block is None:
                raise ValueError(f"{where}: line {number}: {END!r} without {BEGIN!r}")
            top_level = top_level or not _inside_function(out, indent)
            hints = [b.strip()[len(HINT):].strip() for b in block if b.strip().startswith(HINT)]
            out += [f"{indent}# Hint: {h}" for h in hints if h] or [f"{indent}# Your code here."]
            out.append(f"{indent}{STUB}")
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise ValueError(f"{where}: line {begin_line}: {BEGIN!r} has no matching {END!r}")
    return "\n".join(out), top_level


def _strip_markdown(source, where):
    if MD_BEGIN not in source and MD_END not in source:
        return source
    text = _MD_BLOCK.sub("", source).rstrip()
    for marker in (MD_BEGIN, MD_END):
        if marker in text:
            raise ValueError(f"{where}: unmatched {marker!r}")
    return text


def make_exercise(solution):
    """The exercise notebook (a new ``NotebookNode``, not executed) for a solution notebook.

    ``solution`` is a path or a ``NotebookNode``. Raises ValueError, naming the notebook, the
    cell and the line, when solution markers are unbalanced.
    """
    if isinstance(solution, (str, Path)):
        name = Path(solution).name
        nb = nbformat.read(str(solution), as_version=4)
    else:
        name = "notebook"
        nb = nbformat.from_dict(solution)
    cells = []
    for index, cell in enumerate(nb.cells, start=1):
        tags = list(cell.get("metadata", {}).get("tags", []))
        if SOLUTION_ONLY_TAG in tags:
            continue
        where = f"{name}: cell {index}"
        cell = nbformat.from_dict(cell)
        for key in _VOLATILE_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            source, top_level = _stub_code(cell.source, where)
            if top_level and RAISES_TAG not in tags:
                cell.metadata["tags"] = tags + [RAISES_TAG]
            cell.source = source
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = _strip_markdown(cell.source, where)
            if not cell.source.strip() and not cell.get("attachments"):
                continue
        cells.append(cell)
    nb.cells = cells
    return nb


def _signature(nb):
    """What must agree between a generated exercise and the file on disk: no outputs."""
    sig = []
    for cell in nb.cells:
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in _VOLATILE_METADATA}
        sig.append((cell.cell_type, cell.source, meta))
    return sig


def _solution_files(solutions_dir):
    solutions_dir = Path(solutions_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"no solutions folder at {str(solutions_dir)!r}")
    return sorted(p for p in solutions_dir.glob("*.ipynb") if not p.name.startswith("."))


def build_exercises(solutions_dir, exercises_dir, execute=True, *, cwd=None, timeout=120):
    """Write ``exercises_dir/<name>.ipynb`` for every ``solutions_dir/<name>.ipynb``.

    With ``execute=True`` each exercise is run in a fresh kernel (``cwd``: default the
    repository root) so its outputs show the checks' "not implemented yet" results; ``timeout``
    is per cell, in seconds. Returns the list of written paths.
    """
    exercises_dir = Path(exercises_dir)
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for solution in _solution_files(solutions_dir):
        target = exercises_dir / solution.name
        nbformat.write(make_exercise(solution), str(target))
        if execute:
            execute_notebook(target, timeout=timeout, cwd=cwd)
        written.append(target)
    return written


def stale_exercises(solutions_dir, exercises_dir):
    """Names of exercise notebooks that are missing, out of date, or have no solution."""
    exercises_dir = Path(exercises_dir)
    stale = []
    solutions = _solution_files(solutions_dir)
    for solution in solutions:
        target = exercises_dir / solution.name
        if not target.exists():
            stale.append(f"{solution.name} (missing)")
            continue
        on_disk = nbformat.read(str(target), as_version=4)
        if _signature(on_disk) != _signature(make_exercise(solution)):
            stale.append(f"{solution.name} (out of date)")
    names = {s.name for s in solutions}
    if exercises_dir.is_dir():
        stale += [f"{p.name} (no solution)" for p in sorted(exercises_dir.glob("*.ipynb"))
                  if p.name not in names]
    return stale


def is_up_to_date(solutions_dir, exercises_dir):
    """True when every exercise's sources match what its solution would generate."""
    return not stale_exercises(solutions_dir, exercises_dir)
