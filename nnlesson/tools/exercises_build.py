"""Generate the exercise notebooks from the solution notebooks.

``solutions/NN_slug.ipynb`` is the one source; ``exercises/NN_slug.ipynb`` is generated from it:

* In a code cell, the lines from ``### BEGIN SOLUTION`` to ``### END SOLUTION`` (markers
  included) become, at the indentation of the ``### BEGIN SOLUTION`` line, one comment and
  ``raise NotImplementedError("replace this line with your code")``; what is outside the block
  (the signature, the docstring) stays::

      def sgd_update(w, g, lr):                 def sgd_update(w, g, lr):
          '''Return w - lr g.'''                    '''Return w - lr g.'''
          ### BEGIN SOLUTION                ->       # Your code here (hints above).
          return w - lr * g                         raise NotImplementedError("...")
          ### END SOLUTION

  The stub gives no hint in code. Hints are levels the student opens, in a markdown cell
  right before the stub cell (``<details><summary>Hint 1 · the idea</summary> ...
  </details>``, then ``Hint 2 · the formula``, ``Hint 3 · a partial line``); the comment says
  "(hints above)" when that cell is there. A ``### HINT:`` line is an error.
  Put answers inside functions: a cell whose stub sits at the top level raises when it runs,
  so it gets the ``raises-exception`` tag (nbclient and nbval then accept the error).
* Cells are marked in ``metadata.nnlesson`` (other keys there are kept): an answer cell (one
  with a solution block) gets ``{"role": "answer", "defines": [names of the functions and
  classes it defines], "stub_sha256": <hash of the stub's source>}``; a check cell (one that
  calls ``check_<name>(answer)``) gets ``{"role": "check", "check": "check_<name>",
  "answer": "<answer>"}``. The hash tells a stub from someone's answer later
  (:func:`nnlesson.tools.notebooks.answers_written`).
* Cell ids (nbformat 4.5) are the solution's, so they are stable between generations.
* The notebook records what the generator wrote: ``metadata.nnlesson.generated`` maps each
  cell's id to a hash of its source, so a later run can tell every cell someone changed or
  added (an answer, a written decision in a markdown cell, notes of one's own) from the
  generator's own.
* In a markdown cell, everything between ``<!-- BEGIN SOLUTION -->`` and
  ``<!-- END SOLUTION -->`` is removed; a cell left empty is dropped.
* Cells tagged ``solution-only`` are dropped.
* Outputs and execution counts are cleared; other metadata (slide types, tags) is kept.

With ``execute=True`` the exercise notebook is then run in a fresh kernel (cwd = repository
root), so its stored outputs show each check's "not implemented yet" result. A check cell
must therefore never raise: a check returns its result even for a stub.

:func:`build_exercises` never replaces work someone wrote: if an exercise on disk has a cell
that is neither what the generator wrote there (its recorded hash) nor what it would write now
(a changed answer, a written decision, a cell someone added), it refuses, unless ``force``,
which first writes a timestamped backup beside the file. (A file written before the hashes
were recorded is checked by its answer cells: each must be the new stub, or the stub the
generator wrote before.)

:func:`is_up_to_date` compares cell *sources* (type, source and metadata) of what would be
generated with what is on disk, so a test fails when ``exercises/`` is stale.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import NamedTuple

import nbformat

from nnlesson.tools.files import write_notebook
from nnlesson.tools.notebooks import execute_notebook, keep_answers, stub_sha256

__all__ = [
    "BEGIN",
    "END",
    "HINT",
    "SOLUTION_ONLY_TAG",
    "STUB",
    "Written",
    "make_exercise",
    "answers_at_risk",
    "build_exercises",
    "select_lessons",
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
YOUR_CODE = "# Your code here."
YOUR_CODE_HINTS = "# Your code here (hints above)."

_MD_BLOCK = re.compile(re.escape(MD_BEGIN) + r".*?" + re.escape(MD_END), re.DOTALL)
# Cell metadata that only records UI state or a run; never compared, never kept.
_VOLATILE_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")
# Comment lines the generator itself wrote into stubs (today's and earlier versions').
_GENERATED_COMMENT = re.compile(r"^\s*# (Hint: .*|Your code here.*)$")
_DEFINITION = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.MULTILINE)


class Written(NamedTuple):
    """An exercise notebook written by :func:`build_exercises`, and the backup made first."""

    path: Path
    backup: Path | None = None


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


def _hint_error(where, number):
    return ValueError(
        f"{where}: line {number}: {HINT!r} lines are not used any more: the stub gets no "
        "hint in code. Move the hint into a markdown cell right before this one, as "
        "<details><summary>Hint 1 · the idea</summary> ... </details> (then Hint 2 · the "
        "formula, Hint 3 · a partial line)")


def _stub_code(source, where, comment=YOUR_CODE):
    """Replace each solution block of a code cell's source.

    Returns ``(source, has_block, runs_stub)``; ``runs_stub`` is True when a stub is not
    inside a function body, so running the cell raises ``NotImplementedError``.
    """
    lines = source.splitlines()
    for number, line in enumerate(lines, start=1):
        if line.strip().startswith(HINT):
            raise _hint_error(where, number)
    if BEGIN not in source and END not in source:
        return source, False, False
    out, block, indent, top_level = [], None, "", False
    for number, line in enumerate(lines, start=1):
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
            out += [f"{indent}{comment}", f"{indent}{STUB}"]
            block = None
        elif block is not None:
            block.append(line)
        else:
            out.append(line)
    if block is not None:
        raise ValueError(f"{where}: line {begin_line}: {BEGIN!r} has no matching {END!r}")
    return "\n".join(out), True, top_level


def _defined_names(source):
    """Names of the functions and classes a cell defines at its top level, in order."""
    try:
        tree = ast.parse(source)
    except SyntaxError:  # someone's half-written answer: read the definitions off the text
        return [m.group(1) for m in _DEFINITION.finditer(source)]
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _check_call(source):
    """``(check name, answer name)`` of the first ``check_<name>(answer)`` call, else None."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
             and node.func.id.startswith("check_") and node.args
             and isinstance(node.args[0], ast.Name)]
    if not calls:
        return None
    first = min(calls, key=lambda node: (node.lineno, node.col_offset))
    return first.func.id, first.args[0].id


def _has_hints(cell):
    return cell is not None and cell.cell_type == "markdown" and "<details" in cell.source


def make_exercise(solution):
    """The exercise notebook (a new ``NotebookNode``, not executed) for a solution notebook.

    ``solution`` is a path or a ``NotebookNode``. Raises ValueError, naming the notebook, the
    cell and the line, when solution markers are unbalanced or a ``### HINT:`` line is left.
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
            comment = YOUR_CODE_HINTS if _has_hints(cells[-1] if cells else None) else YOUR_CODE
            source, has_block, top_level = _stub_code(cell.source, where, comment)
            if top_level and RAISES_TAG not in tags:
                cell.metadata["tags"] = tags + [RAISES_TAG]
            marks = dict(cell.metadata.get("nnlesson", {}))
            check = None if has_block else _check_call(source)
            if has_block:
                marks.update(role="answer", defines=_defined_names(cell.source),
                             stub_sha256=stub_sha256(source))
            elif check:
                marks.update(role="check", check=check[0], answer=check[1])
            if marks:
                cell.metadata["nnlesson"] = marks
            cell.source = source
            cell.outputs = []
            cell.execution_count = None
        elif cell.cell_type == "markdown":
            cell.source = _strip_markdown(cell.source, where)
            if not cell.source.strip() and not cell.get("attachments"):
                continue
        cells.append(cell)
    nb.cells = cells
    marks = dict(nb.metadata.get("nnlesson", {}))
    marks["generated"] = {c.id: source_hash(c.source) for c in cells if c.get("id")}
    nb.metadata["nnlesson"] = marks
    return nb


def source_hash(source):
    """A cell source's fingerprint in ``metadata.nnlesson.generated`` (16 hex digits)."""
    return stub_sha256(source)[:16]


def _strip_markdown(source, where):
    if MD_BEGIN not in source and MD_END not in source:
        return source
    text = _MD_BLOCK.sub("", source).rstrip()
    for marker in (MD_BEGIN, MD_END):
        if marker in text:
            raise ValueError(f"{where}: unmatched {marker!r}")
    return text


def _without_generated_comments(source):
    return [line for line in source.splitlines() if not _GENERATED_COMMENT.match(line)]


def _work_written_over(on_disk, exercise):
    """Names of the cells of ``on_disk`` that writing ``exercise`` over it would lose.

    With the generator's record (``metadata.nnlesson.generated``), a cell is someone's work
    unless it is empty, or its source is what the generator wrote there (the recorded hash),
    or what it would write there now. Without it, see :func:`_answers_written_over`.
    """
    generated = on_disk.get("metadata", {}).get("nnlesson", {}).get("generated")
    if not isinstance(generated, dict):
        return _answers_written_over(on_disk, exercise)
    new = {c.get("id"): c.source for c in exercise.cells if c.get("id")}
    written = []
    for index, cell in enumerate(on_disk.cells, start=1):
        source, cell_id = cell.get("source", ""), cell.get("id")
        if not source.strip() or generated.get(cell_id) == source_hash(source) \
                or new.get(cell_id) == source:
            continue
        meta = cell.get("metadata", {}).get("nnlesson", {})
        names = (meta.get("defines") or _defined_names(source)) if cell.cell_type == "code" \
            else []
        notes = ([] if cell.cell_type == "code" else [cell.cell_type]) + (
            [] if cell_id in generated else ["added"])
        written.append(", ".join(names) if names and cell_id in generated
                       else f"cell {index}" + (f" ({', '.join(notes)})" if notes else ""))
    return written


def _answers_written_over(on_disk, exercise):
    """Names of answer cells in ``on_disk`` that writing ``exercise`` over it would lose.

    An answer cell on disk (marked ``role: answer``, or with the id of one of the new
    exercise's answer cells, or defining one of their functions) is untouched when its source
    is the new stub, or the stub recorded when it was generated (``stub_sha256``), or, for a
    file written before stubs were recorded, the new stub up to the generator's own comments.
    """
    new_answers = [c for c in exercise.cells
                   if c.get("metadata", {}).get("nnlesson", {}).get("role") == "answer"]
    by_id = {c.get("id"): c for c in new_answers if c.get("id")}
    by_name = {n: c for c in new_answers for n in c.metadata["nnlesson"].get("defines", [])}
    written = []
    for index, cell in enumerate(on_disk.cells, start=1):
        if cell.cell_type != "code":
            continue
        meta = cell.get("metadata", {}).get("nnlesson", {})
        names = _defined_names(cell.source)
        match = by_id.get(cell.get("id")) or next(
            (by_name[n] for n in names if n in by_name), None)
        if match is None and meta.get("role") != "answer":
            continue
        if match is not None and cell.source == match.source:
            continue
        if "stub_sha256" in meta:
            if stub_sha256(cell.source) == meta["stub_sha256"]:
                continue
        elif match is not None and (_without_generated_comments(cell.source)
                                    == _without_generated_comments(match.source)):
            continue
        written.append(", ".join(names or meta.get("defines", [])) or f"cell {index}")
    return written


def answers_at_risk(path, exercise):
    """Names of the answers (and other cells someone wrote: see :func:`_work_written_over`) in
    the notebook at ``path`` that writing ``exercise`` would replace.

    A file that cannot be read as a notebook counts as someone's work (``["the whole file
    (not a readable notebook)"]``): nothing tells what it holds.
    """
    path = Path(path)
    if not path.exists():
        return []
    try:
        on_disk = nbformat.read(str(path), as_version=4)
    except Exception:  # noqa: BLE001 - any unreadable file is kept
        return ["the whole file (not a readable notebook)"]
    return _work_written_over(on_disk, exercise)


def _solution_files(solutions_dir):
    solutions_dir = Path(solutions_dir)
    if not solutions_dir.is_dir():
        raise FileNotFoundError(f"no solutions folder at {str(solutions_dir)!r}")
    return sorted(p for p in solutions_dir.glob("*.ipynb") if not p.name.startswith("."))


def select_lessons(solutions, lessons):
    """The solution files among ``solutions`` that ``lessons`` names (all when empty).

    A lesson is named by its number (``4`` or ``04``), its slug (``momentum``), its file name
    (``04_momentum`` or ``04_momentum.ipynb``) or a path to it. Raises ValueError for a name
    that matches no file.
    """
    if not lessons:
        return list(solutions)
    chosen = []
    for lesson in lessons:
        key = Path(str(lesson)).name.removesuffix(".ipynb")
        if key.isdigit():
            key = f"{int(key):02d}"
        found = [s for s in solutions if key in (s.stem, s.stem.split("_", 1)[0],
                                                 s.stem.split("_", 1)[-1])]
        if not found:
            names = ", ".join(s.stem for s in solutions) or "none"
            raise ValueError(f"lesson {str(lesson)!r} matches no solution notebook "
                             f"(there are: {names})")
        chosen += [s for s in found if s not in chosen]
    return sorted(chosen)


def build_exercises(solutions_dir, exercises_dir, execute=True, *, cwd=None, timeout=120,
                    lessons=(), force=False):
    """Write ``exercises_dir/<name>.ipynb`` for every ``solutions_dir/<name>.ipynb``.

    Args:
        solutions_dir: folder of solution notebooks.
        exercises_dir: folder of the exercise notebooks (created if missing).
        execute: run each exercise in a fresh kernel (``cwd``: default the repository root)
            so its outputs show the checks' "not implemented yet" results.
        timeout: limit per cell when executing, in seconds.
        lessons: only these lessons (see :func:`select_lessons`); default all.
        force: replace exercises whose answer cells hold someone's work, after copying each
            to a timestamped backup beside it.

    Returns:
        A list of :class:`Written` ``(path, backup)``, ``backup`` None where none was needed.

    Raises:
        AnswersWouldBeLost: without ``force``, when an exercise on disk holds answers (then
            nothing at all is written).
    """
    exercises_dir = Path(exercises_dir)
    plan = []
    for solution in select_lessons(_solution_files(solutions_dir), lessons):
        target = exercises_dir / solution.name
        exercise = make_exercise(solution)
        plan.append((target, exercise, answers_at_risk(target, exercise)))
    backups = keep_answers(
        {target: work for target, _, work in plan}, force=force,
        consequence="regenerating would replace them (answers with empty stubs, other cells "
                    "with the course's version)",
        command="regenerate them",
        advice="exercises/ is generated from solutions/; a student works in a folder of "
               "their own ('nnlesson start DIR' copies the course there).")
    exercises_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for target, exercise, _ in plan:
        write_notebook(target, exercise)
        if execute:
            execute_notebook(target, timeout=timeout, cwd=cwd)
        written.append(Written(target, backups.get(target)))
    return written


def stale_exercises(solutions_dir, exercises_dir, lessons=()):
    """Names of exercise notebooks that are missing, out of date, or have no solution."""
    exercises_dir = Path(exercises_dir)
    stale = []
    solutions = _solution_files(solutions_dir)
    for solution in select_lessons(solutions, lessons):
        target = exercises_dir / solution.name
        if not target.exists():
            stale.append(f"{solution.name} (missing)")
            continue
        on_disk = nbformat.read(str(target), as_version=4)
        if _signature(on_disk) != _signature(make_exercise(solution)):
            stale.append(f"{solution.name} (out of date)")
    names = {s.name for s in solutions}
    if exercises_dir.is_dir() and not lessons:
        stale += [f"{p.name} (no solution)" for p in sorted(exercises_dir.glob("*.ipynb"))
                  if p.name not in names]
    return stale


def _signature(nb):
    """What must agree between a generated exercise and the file on disk: no outputs."""
    sig = []
    for cell in nb.cells:
        meta = {k: v for k, v in cell.get("metadata", {}).items() if k not in _VOLATILE_METADATA}
        sig.append((cell.cell_type, cell.get("id"), cell.source, meta))
    return sig


def is_up_to_date(solutions_dir, exercises_dir):
    """True when every exercise's sources match what its solution would generate."""
    return not stale_exercises(solutions_dir, exercises_dir)
