"""Grade a class's exercise notebooks: run each one, read every check's result.

Each notebook is executed in a fresh kernel (in its own folder, outputs cleared first) with a
time limit for the whole notebook. A check cell displays a :class:`~nnlesson.course.checks.CheckResult`,
which stores a JSON summary under the mimetype ``application/vnd.nnlesson.check+json``; the
grader reads those outputs. It also finds the check calls in the source (``check_<name>(``),
so checks that never ran (a broken cell, a time-out) still count in the total, as failed.

A notebook never crashes the grader. Each gets one :class:`GradeRow` whose ``status`` is

* ``"passed"``  it ran to the end and every check passed;
* ``"failed"``  it ran to the end, every exercise was attempted, and some checks failed
  (``failed`` lists them);
* ``"todo"``    half done: some checks report "not implemented yet" (others may have failed);
* ``"error"``   a cell raised, the kernel died, or the file could not be read;
* ``"timeout"`` the notebook ran out of time (an endless loop, usually);

and ``reason`` says why in one line. Command line::

    python -m nnlesson grade submissions/ --timeout 60 --csv grades.csv --json grades.json
"""
from __future__ import annotations

import csv
import json
import math
import re
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat

from nnlesson._validate import check_int, check_number
from nnlesson.course.checks._core import MIME_TYPE
from nnlesson.tools.notebooks import run_in_kernel

__all__ = [
    "GradeRow",
    "find_notebooks",
    "student_name",
    "grade_notebook",
    "grade",
    "format_table",
    "write_csv",
    "write_json",
]

_CHECK_CALL = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*\.)*(check_\w+)\s*\(")
_CHECK_DEF = re.compile(r"\bdef\s+check_\w+\s*\(")
_LESSON_FILE = re.compile(r"^\d{2}_")
_TIME_LIMIT = "NnlessonTimeLimit"  # ename of the reply nbclient makes up for a timed-out cell


class _OutOfTime(Exception):
    """Raised from a hook to stop the run once a cell hit the time limit."""


@dataclass
class GradeRow:
    """One notebook's grade.

    ``passed`` of ``total`` checks passed; ``failed`` names every check that did not pass
    (including those not implemented, in ``todo``, and those that never ran).
    """

    student: str
    path: str
    passed: int
    total: int
    status: str
    reason: str = ""
    failed: list = field(default_factory=list)
    todo: list = field(default_factory=list)

    @property
    def score(self):
        return f"{self.passed}/{self.total}"

    def to_dict(self):
        return asdict(self)


def find_notebooks(paths):
    """The ``.ipynb`` files named by ``paths`` (files, or folders searched recursively)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted(p for p in path.rglob("*.ipynb")
                            if not any(part.startswith(".") for part in p.relative_to(path).parts))
        elif path.is_file() and path.suffix == ".ipynb":
            found.append(path)
        elif path.exists():
            raise ValueError(f"not a notebook (.ipynb) file: {str(path)!r}")
        else:
            raise FileNotFoundError(f"no such file or folder: {str(path)!r}")
    unique = list(dict.fromkeys(found))
    if not unique:
        raise FileNotFoundError("no notebooks (.ipynb) found in " + ", ".join(map(str, paths)))
    return unique


def student_name(path):
    """The file stem (``alice.ipynb``), or the parent folder for a lesson-named file
    (``alice/06_adam_and_adamw.ipynb``)."""
    path = Path(path)
    if _LESSON_FILE.match(path.stem) and path.resolve().parent.name:
        return path.resolve().parent.name
    return path.stem


def _check_calls(source):
    """Names of the checks a code cell calls, in order."""
    lines = [line.split("#", 1)[0] for line in source.splitlines()]
    return _CHECK_CALL.findall(_CHECK_DEF.sub("", "\n".join(lines)))


def _results(cell):
    """The JSON summaries the cell's outputs hold."""
    found = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if output.get("output_type") in ("display_data", "execute_result") and MIME_TYPE in data:
            summary = data[MIME_TYPE]
            found.append(json.loads(summary) if isinstance(summary, str) else dict(summary))
    return found


def _one_line(text, limit=150):
    text = re.sub(r"\(\S+\.py, (line \d+)\)", r"(\1)", " ".join(str(text).split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _score(nb):
    """Count checks and collect problems in an executed notebook."""
    passed, total, failed, todo, not_run = 0, 0, [], [], []
    first_error, stub_cells = None, []
    for index, cell in enumerate(nb.cells, start=1):
        if cell.cell_type != "code":
            continue
        names = _check_calls(cell.source)
        results = _results(cell)
        total += max(len(names), len(results))
        for r in results:
            if r.get("status") == "pass":
                passed += 1
            else:
                failed.append(r.get("name", "?"))
                if r.get("status") == "todo":
                    todo.append(r.get("name", "?"))
        missing = len(names) - len(results)
        if missing > 0:
            unseen = list((Counter(names) - Counter(r.get("name") for r in results)).elements())
            unseen = (unseen + [f"a check in cell {index}"] * missing)[:missing]
            failed += unseen
            not_run += unseen
        for output in cell.get("outputs", []):
            if output.get("output_type") != "error":
                continue
            if output.get("ename") == "NotImplementedError":
                stub_cells.append(index)
            elif output.get("ename") == "KeyboardInterrupt":
                continue  # the grader interrupted a cell that ran out of time
            elif first_error is None:
                first_error = f"cell {index} raised {output.get('ename')}: {output.get('evalue')}"
    return passed, total, failed, todo, not_run, first_error, stub_cells


def grade_notebook(path, timeout=60):
    """Run one notebook (a copy: the file is not changed) and grade it; never raises.

    ``timeout`` is the time limit for the whole notebook in seconds (kernel start excluded).
    """
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    path = Path(path)
    student = student_name(path)
    try:
        nb = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # not JSON, not a notebook, unreadable
        return GradeRow(student, str(path), 0, 0, "error",
                        _one_line(f"cannot read the notebook: {type(exc).__name__}: {exc}"))
    for cell in nb.cells:  # never trust stored outputs
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None

    deadline = {}
    current = {"cell": 0}

    def remaining(cell):
        start = deadline.setdefault("start", time.monotonic())
        return max(1, math.ceil(timeout - (time.monotonic() - start)))

    def on_cell_execute(cell, cell_index):
        current["cell"] = cell_index + 1

    def on_cell_executed(cell, cell_index, execute_reply):
        if (execute_reply or {}).get("content", {}).get("ename") == _TIME_LIMIT:
            raise _OutOfTime()

    stopped = None
    status = None
    try:
        # A cell that runs out of time is interrupted (so no task is left hanging), then the
        # hook stops the run.
        run_in_kernel(nb, cwd=path.resolve().parent, timeout_func=remaining, allow_errors=True,
                      on_cell_execute=on_cell_execute, on_cell_executed=on_cell_executed,
                      error_on_timeout={"ename": _TIME_LIMIT, "evalue": "time limit reached",
                                        "traceback": []})
    except (_OutOfTime, CellTimeoutError):
        status = "timeout"
        stopped = (f"time limit of {timeout:g} s reached in cell {current['cell']} "
                   "(an endless loop?)")
    except DeadKernelError:
        status = "error"
        stopped = f"the kernel died in cell {current['cell']}"
    except Exception as exc:  # kernel failed to start, and the like
        status = "error"
        stopped = f"could not run: {type(exc).__name__}: {exc}"

    passed, total, failed, todo, not_run, first_error, stub_cells = _score(nb)
    reasons = [stopped, first_error]
    if todo or stub_cells:
        reasons.append(f"{len(todo)} of {total} checks not implemented yet" if todo
                       else f"cell {stub_cells[0]} is not implemented yet")
    if not_run:
        reasons.append(f"{len(not_run)} check{'s' if len(not_run) != 1 else ''} gave no result")
    if total == 0:
        reasons.append("no checks found (a check cell ends with a call such as check_name(fn))")
    if status is None:
        if first_error or total == 0:
            status = "error"
        elif todo or stub_cells:
            status = "todo"
        else:
            status = "failed" if failed else "passed"
    reason = _one_line("; ".join(r for r in reasons if r))
    return GradeRow(student, str(path), passed, total, status, reason, failed, todo)


class _Progress:
    """A plain-text progress bar on a stream (a line per notebook when not a terminal)."""

    def __init__(self, total, stream=None, width=24):
        self.total, self.width = total, width
        self.stream = stream if stream is not None else sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def update(self, done, label):
        filled = round(self.width * done / self.total) if self.total else self.width
        bar = f"grading [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {label}"
        if self.tty:
            self.stream.write("\r" + bar[:100].ljust(100) + ("\n" if done == self.total else ""))
        else:
            self.stream.write(bar + "\n")
        self.stream.flush()


def grade(paths, timeout=60, jobs=1, *, progress=True):
    """Grade every notebook in ``paths`` (files or folders); one :class:`GradeRow` each.

    Args:
        paths: notebook files or folders (searched recursively for ``*.ipynb``).
        timeout: time limit per notebook, in seconds.
        jobs: how many notebooks run at the same time (each in its own kernel).
        progress: show a progress bar on stderr.
    """
    timeout = check_number("timeout", timeout, low=0, low_open=True)
    jobs = check_int("jobs", jobs, low=1)
    notebooks = find_notebooks(paths)
    bar = _Progress(len(notebooks)) if progress else None
    rows = [None] * len(notebooks)
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(grade_notebook, nb, timeout): i for i, nb in enumerate(notebooks)}
        for done, future in enumerate(as_completed(futures), start=1):
            row = future.result()
            rows[futures[future]] = row
            if bar:
                bar.update(done, row.student)
    return rows


def format_table(rows):
    """A plain-text table: student, score, status, notes (the reason, then the checks that
    failed other than those not implemented yet)."""
    lines = [("student", "score", "status", "notes")]
    for r in rows:
        wrong = [name for name in r.failed if name not in r.todo]
        notes = [r.reason, ("failed: " + ", ".join(wrong)) if wrong else ""]
        lines.append((r.student, r.score, r.status, "; ".join(n for n in notes if n)))
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    return "".join(
        ("  ".join(cell.ljust(w) for cell, w in zip(line[:3], widths)) + "  " + line[3]).rstrip()
        + "\n"
        for line in lines
    )


_CSV_FIELDS = ("student", "path", "passed", "total", "status", "reason", "failed", "todo")


def write_csv(rows, path):
    """One line per notebook; ``failed`` and ``todo`` are ``;``-separated check names."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(_CSV_FIELDS)
        for r in rows:
            d = r.to_dict()
            d["failed"], d["todo"] = ";".join(r.failed), ";".join(r.todo)
            writer.writerow([d[k] for k in _CSV_FIELDS])


def write_json(rows, path):
    """A JSON list of rows (the fields of :class:`GradeRow`)."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump([r.to_dict() for r in rows], f, indent=2, ensure_ascii=False)
        f.write("\n")
