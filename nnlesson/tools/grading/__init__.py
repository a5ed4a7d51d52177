"""Grade a class's exercise notebooks against the released exercise, in limited kernels.

For each submitted notebook the grader

1. finds its *release* (:mod:`~nnlesson.tools.grading.release`): by default the course's own
   ``exercises/`` folder, or the instructor's (``--release DIR``), matched by file name;
2. builds the notebook it runs: every cell from the release except the answer cells, which
   come from the submission (matched by cell id, else by the name they define), plus the cells
   the student added next to an answer. The total is always the release's number of checks;
3. runs it in a fresh kernel with limits on time, memory, output and files, and the kernel's
   processes killed at the end (:mod:`~nnlesson.tools.grading.sandbox`);
4. before any of its cells, sets up a guard in the kernel
   (:mod:`~nnlesson.tools.grading.guard`) that runs the exercise's checks itself and reports
   any change to the check framework. Results come only from the release's check cells,
   through the guard: nothing a cell displays is ever read.

The submission is only read, never written. Each notebook gets one :class:`GradeRow` whose
``status`` is

* ``"passed"``   every check passed;
* ``"failed"``   every exercise was attempted and some checks failed (``failed`` lists them,
  ``mistakes`` names the diagnosed mistake of each);
* ``"todo"``     some checks report "not implemented yet", or an answer is missing;
* ``"error"``    a cell raised, the kernel died, a limit was reached, or the file could not be
  read or matched to an exercise;
* ``"timeout"``  the notebook ran out of time (an endless loop, usually);
* ``"tampered"`` the notebook changes the grader's checks: graded 0;

and ``reason`` says why in one line. Command line::

    python -m nnlesson grade submissions/ --csv grades.csv --json grades.json
    python -m nnlesson grade submissions/ --shard 2/8 --json part2.json
    python -m nnlesson grade --merge part*.json --csv grades.csv
"""
from __future__ import annotations

import asyncio
import atexit
import csv
import hashlib
import io
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nnlesson._validate import check_int, check_number
from nnlesson.tools.files import write_text
from nnlesson.tools.grading.release import Releases, build_run, check_calls, course_release_dir
from nnlesson.tools.grading.sandbox import Limits, LimitedKernel, isolation, kernel_env

__all__ = [
    "TAMPERED",
    "GradeRow",
    "Limits",
    "find_notebooks",
    "student_name",
    "shard_of",
    "grade_notebook",
    "grade",
    "format_table",
    "write_csv",
    "write_json",
    "read_json",
    "merge",
    "check_calls",
    "isolation",
]

#: The reason of a notebook found tampering (followed by what it changed).
TAMPERED = "the notebook changes the grader's checks"
_LESSON_FILE = re.compile(r"^\d{2}_")
_GUARD = Path(__file__).resolve().with_name("guard.py")
_FORMAT = "nnlesson-grades"
_MAX_NOTEBOOK = 100 * 2**20  # bytes of a submitted notebook file
_MAX_CELLS = 5000  # cells of a submitted notebook (a course exercise has a few dozen)
_LOCK = threading.Lock()


@dataclass
class GradeRow:
    """One notebook's grade.

    ``passed`` of ``total`` checks passed (``total``: the release's number of checks);
    ``failed`` names every check that did not pass (including those not implemented, in
    ``todo``, and those that never ran); ``mistakes`` maps a failed check to the mistake it
    diagnosed; ``exercise`` is the release the notebook was graded against.
    """

    student: str
    path: str
    passed: int
    total: int
    status: str
    reason: str = ""
    failed: list = field(default_factory=list)
    todo: list = field(default_factory=list)
    exercise: str = ""
    mistakes: dict = field(default_factory=dict)

    @property
    def score(self):
        return f"{self.passed}/{self.total}"

    def to_dict(self):
        return asdict(self)


# ----------------------------------------------------------------------------- finding notebooks


def _listing(paths):
    """``[(key, path)]`` of the notebooks named by ``paths``; ``key`` is the path relative to
    the folder it was found in (the file name for a file given by name)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    found = []
    for path in map(Path, paths):
        if path.is_dir():
            found += sorted((p.relative_to(path).as_posix(), p) for p in path.rglob("*.ipynb")
                            if not any(part.startswith(".")
                                       for part in p.relative_to(path).parts))
        elif path.is_file() and path.suffix == ".ipynb":
            found.append((path.name, path))
        elif path.exists():
            raise ValueError(f"not a notebook (.ipynb) file: {str(path)!r}")
        else:
            raise FileNotFoundError(f"no such file or folder: {str(path)!r}")
    unique = list({p: (k, p) for k, p in found}.values())
    if not unique:
        raise FileNotFoundError("no notebooks (.ipynb) found in " + ", ".join(map(str, paths)))
    return unique


def find_notebooks(paths):
    """The ``.ipynb`` files named by ``paths`` (files, or folders searched recursively)."""
    return [path for _, path in _listing(paths)]


def student_name(path):
    """The file stem (``alice.ipynb``), or the folder above a lesson-named file
    (``alice/06_adam_and_adamw.ipynb``; nbgrader's
    ``submitted/alice/06_adam_and_adamw/06_adam_and_adamw.ipynb``)."""
    path = Path(path).resolve()
    if not _LESSON_FILE.match(path.stem) or not path.parent.name:
        return path.stem
    if path.parent.name == path.stem and path.parent.parent.name:
        return path.parent.parent.name  # nbgrader: <student>/<assignment>/<notebook>
    return path.parent.name


def shard_of(keys, index, count):
    """The positions of ``keys`` that shard ``index`` of ``count`` grades (``index`` from 1).

    Deterministic: the keys are sorted, and shard K takes every Nth one from the Kth, so
    shards differ in size by at most one. Every shard must see the same submissions.
    """
    count = check_int("count", count, low=1)
    index = check_int("index", index, low=1, high=count)
    order = sorted(range(len(keys)), key=lambda i: keys[i])
    return sorted(order[index - 1::count])


def _listing_digest(keys):
    return hashlib.sha256("\n".join(sorted(keys)).encode("utf-8")).hexdigest()[:16]


# ----------------------------------------------------------------------------- one notebook


_SETUP = '''\
def __nnlesson_setup(path, config):
    import importlib.util
    spec = importlib.util.spec_from_file_location("nnlesson_grader_guard", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.install(config)
{guard} = __nnlesson_setup({path!r}, {config!r})
del __nnlesson_setup
'''


def _printable(text):
    """``text`` without control and format characters (a terminal escape sequence, a
    right-to-left override) that a student's file name or error message could carry into the
    instructor's terminal or spreadsheet."""
    return "".join(ch for ch in str(text) if unicodedata.category(ch) not in ("Cc", "Cf")
                   or ch in "\t\n")


def _one_line(text, limit=300):
    text = " ".join(_printable(text).split())
    text = re.sub(r"\(\S+\.py, (line \d+)\)", r"(\1)", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _report(value):
    """The guard's report from a ``user_expressions`` entry, or None."""
    if not isinstance(value, dict) or value.get("status") != "ok":
        return None
    data = value.get("data", {}).get("application/json")
    if not isinstance(data, dict) or not isinstance(data.get("results"), list) \
            or not isinstance(data.get("notes"), list):
        return None
    return data


async def _execute(run, guard, limits, root, env, read_only):
    """Run the cells of ``run``; returns ``(outcomes, results, notes, stopped, setup_error)``.

    ``outcomes`` pairs each cell run with its :class:`~.sandbox.CellOutcome`; ``results`` maps
    each check site to its summaries; ``notes`` are the guard's findings; ``stopped`` the
    outcome that ended the run early (time, output, dead kernel), else None.
    """
    outcomes, results, notes = [], {}, []
    config = {"checks": sorted({name for _, name in run.sites})}
    async with LimitedKernel(limits, root, env, read_only) as kernel:
        kernel.deadline = time.monotonic() + 120  # the set-up's own time limit
        setup = await kernel.run(_SETUP.format(guard=guard, path=str(_GUARD), config=config),
                                 {"g": f"{guard}.after_cell(0, True, [{guard!r}])"})
        if setup.status != "ok" or _report((setup.user_expressions or {}).get("g")) is None:
            return outcomes, results, notes, None, setup
        kernel.start_clock()
        for cell in run.cells:
            expression = f"{guard}.after_cell({cell.number}, {cell.exercise}, {cell.binds!r})"
            outcome = await kernel.run(cell.source, {"g": expression})
            outcomes.append((cell, outcome))
            value = (outcome.user_expressions or {}).get("g")
            if value is None and outcome.status in ("error", "timeout", "output"):
                value = await kernel.evaluate(expression)
            report = _report(value)
            if report is None:
                if outcome.status in ("ok", "error"):
                    notes.append(f"the grader's guard stopped answering after {cell.where}")
            else:
                sites = {site for site, _ in cell.sites}
                for summary in report["results"]:
                    if isinstance(summary, dict) and summary.get("site") in sites:
                        results.setdefault(summary["site"], []).append(summary)
                    else:
                        notes.append(f"a check result appeared outside its check cell "
                                     f"({cell.where})")
                notes += [str(n) for n in report["notes"]]
            if outcome.status in ("timeout", "output", "dead"):
                return outcomes, results, notes, (cell, outcome), None
            if notes:  # graded 0 whatever follows: the rest of the notebook is not run
                return outcomes, results, notes, None, None
    return outcomes, results, notes, None, None


def _score(student, path, run, outcomes, results, notes, stopped, limits):
    """The :class:`GradeRow` of a run."""
    release = run.release
    total = len(run.sites)
    row = GradeRow(student, str(path), 0, total, "", exercise=release.name)
    if notes:
        unique = list(dict.fromkeys(notes))
        shown = unique[:3] + ([f"and {len(unique) - 3} more"] if len(unique) > 3 else [])
        row.status = "tampered"
        row.failed = [name for _, name in run.sites]
        row.reason = _one_line(f"{TAMPERED}: {'; '.join(shown)}", limit=600)
        return row
    not_run = []
    for site, name in run.sites:
        summaries = results.get(site)
        if not summaries:
            row.failed.append(name)
            not_run.append(name)
        elif all(s.get("status") == "pass" for s in summaries):
            row.passed += 1
        else:
            row.failed.append(name)
            if any(s.get("status") == "todo" for s in summaries):
                row.todo.append(name)
            else:
                wrong = next(s for s in summaries if s.get("status") != "pass")
                if wrong.get("mistake"):
                    row.mistakes[name] = str(wrong["mistake"])
    first_error, stub = None, None
    for cell, outcome in outcomes:
        if outcome.status != "error":
            continue
        if cell.sites and outcome.ename == "AssertionError":
            continue  # a check cell that asserts its check (nbgrader's test cells): counted
        if outcome.ename == "NotImplementedError":
            stub = stub or cell
        elif outcome.ename == "MemoryError":
            first_error = first_error or (f"{cell.where} ran out of memory (limit "
                                          f"{limits.memory_mb:g} MB)")
        elif first_error is None:  # (the grader's own interrupts end as "timeout" or "output")
            first_error = (f"{cell.where} raised {outcome.ename}"
                           + (f": {outcome.evalue}" if str(outcome.evalue).strip() else ""))
    reasons, status = [], None
    if stopped is not None:
        cell, outcome = stopped
        if outcome.status == "timeout":
            status = "timeout"
            reasons.append(f"time limit of {limits.timeout:g} s reached in {cell.where} "
                           "(an endless loop?)")
        elif outcome.status == "output":
            status = "error"
            reasons.append(f"{cell.where} printed more than {limits.max_output_mb:g} MB of "
                           "output; the notebook was stopped")
        else:
            status = "error"
            reasons.append(f"the kernel died in {cell.where} (a crash, or the memory limit "
                           f"of {limits.memory_mb:g} MB)")
    reasons.append(first_error)
    if run.missing:
        reasons.append("no answer found for " + ", ".join(run.missing))
    for expected, names in run.renamed:
        reasons.append(f"your answer cell for {', '.join(expected)} defines "
                       f"{', '.join(names) or 'nothing'}")
    if row.todo or stub:
        reasons.append(f"{len(row.todo)} of {total} checks not implemented yet" if row.todo
                       else f"{stub.where} is not implemented yet")
    if not_run:
        reasons.append(f"{len(not_run)} check{'s' if len(not_run) != 1 else ''} gave no result")
    if run.ignored:
        reasons.append(f"{run.ignored} cell{'s' if run.ignored != 1 else ''} you added away "
                       "from the answers did not run")
    if status is None:
        if first_error:
            status = "error"
        elif row.todo or stub or run.missing:
            status = "todo"
        else:
            status = "failed" if row.failed else "passed"
    row.status = status
    row.reason = _one_line("; ".join(r for r in reasons if r))
    return row


def grade_notebook(path, releases=None, limits=None, *, root=None, env=None, read_only=()):
    """Grade one notebook (the file is only read); never raises for the notebook's sake.

    Args:
        path: the submitted notebook.
        releases: a :class:`~.release.Releases` (default: the course's ``exercises/``).
        limits: the run's :class:`~.sandbox.Limits` (default: ``Limits()``).
        root: folder for the kernel's private folder (default: the system's temporary folder).
        env: the kernel's environment (default: :func:`~.sandbox.kernel_env`: the notebook
            runner's reproducible settings and little else of the grader's environment).
        read_only: further folders the kernel may read.
    """
    import nbformat

    path = Path(path)
    limits = limits or Limits()
    releases = releases or _course_releases()
    student = student_name(path)
    try:
        size = path.stat().st_size
        if size > _MAX_NOTEBOOK:  # a notebook of outputs: reading it alone would be costly
            raise ValueError(f"{size / 2**20:.0f} MB, more than the {_MAX_NOTEBOOK // 2**20} MB "
                             "a notebook may have (clear its outputs)")
        nb = nbformat.reads(path.read_bytes().decode("utf-8"), as_version=4)
        _check_structure(nb)
        release = releases.match(path, nb)
        guard = f"__nnlesson_guard_{secrets.token_hex(6)}"
        run = None if release is None else build_run(release, nb, guard)
    except Exception as exc:  # not JSON, not a notebook, cells of the wrong types, unreadable
        return GradeRow(student, str(path), 0, 0, "error",
                        _one_line(f"cannot read the notebook: {type(exc).__name__}: {exc}"))
    if release is None:
        names = ", ".join(r.path.name for r in releases.releases[:3])
        return GradeRow(student, str(path), 0, 0, "error",
                        _one_line(f"no released exercise matches this notebook (name it as the "
                                  f"exercise it answers, e.g. {names})"))
    try:
        outcomes, results, notes, stopped, setup = asyncio.run(_execute(
            run, guard, limits, root or tempfile.gettempdir(), env or kernel_env(), read_only))
    except Exception as exc:  # the kernel could not start, and the like
        return GradeRow(student, str(path), 0, run.release.total, "error",
                        _one_line(f"could not run: {type(exc).__name__}: {exc}"),
                        failed=[name for _, name in run.sites], exercise=release.name)
    if setup is not None:
        detail = f"{setup.ename}: {setup.evalue}" if setup.ename else setup.status
        return GradeRow(student, str(path), 0, run.release.total, "error",
                        _one_line(f"the grader could not set up its checks ({detail})"),
                        failed=[name for _, name in run.sites], exercise=release.name)
    return _score(student, path, run, outcomes, results, notes, stopped, limits)


def _check_structure(nb):
    """Raise ValueError unless ``nb`` has at most ``_MAX_CELLS`` cells, each a dict whose type,
    source and id (if any) are strings: what the grader reads from a submission."""
    cells = nb.get("cells")
    if not isinstance(cells, list):
        raise ValueError("its 'cells' is not a list")
    if len(cells) > _MAX_CELLS:
        raise ValueError(f"{len(cells)} cells, more than the {_MAX_CELLS} a notebook may have")
    for number, cell in enumerate(cells, start=1):
        if not isinstance(cell, dict):
            raise ValueError(f"cell {number} is not a cell")
        for key in ("cell_type", "source", "id"):
            if key in cell and not isinstance(cell[key], str) or key != "id" and key not in cell:
                raise ValueError(f"cell {number} has no text {key!r}")
        if not isinstance(cell.get("metadata", {}), dict):
            raise ValueError(f"cell {number} has metadata that is not a dict")


def _course_releases():
    try:
        folder = course_release_dir()
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"{exc}; or give the released exercises with --release") from None
    return Releases(folder)


# ----------------------------------------------------------------------------- a class


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


_MATPLOTLIB = {}  # the font cache of this process's grading runs: {"folder": Path}


def _warm_matplotlib():
    """matplotlib's folder with its font cache, built once per grading process (every kernel
    reads it, read-only; building it takes a kernel a second or more). Removed at exit."""
    with _LOCK:
        folder = _MATPLOTLIB.get("folder")
        if folder is not None and folder.is_dir():
            return folder
        folder = Path(tempfile.mkdtemp(prefix="nnlesson-grade-matplotlib-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        env = dict(os.environ, MPLCONFIGDIR=str(folder), MPLBACKEND="agg")
        try:
            subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=120,
                           check=False)
        except (OSError, subprocess.SubprocessError):
            pass
        _MATPLOTLIB["folder"] = folder
        return folder


def default_jobs():
    """The number of CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


class Grades(list):
    """The rows of a grading run (a list of :class:`GradeRow`) and how they were obtained
    (``info``: release, limits, isolation, shard)."""

    def __init__(self, rows=(), info=None):
        super().__init__(rows)
        self.info = dict(info or {})


def grade(paths, timeout=60, jobs=None, *, release=None, memory=2048, max_output=10,
          shard=None, progress=True, isolate=True):
    """Grade every notebook in ``paths`` (files or folders); returns :class:`Grades`.

    Args:
        paths: notebook files or folders (searched recursively for ``*.ipynb``).
        timeout: time limit per notebook, in seconds.
        jobs: how many notebooks run at the same time (default: the number of CPUs).
        release: folder (or one notebook) of the released exercises (default: the course's).
        memory: memory limit per kernel, in MB.
        max_output: output limit per notebook, in MB.
        shard: ``(K, N)`` grades only the Kth of N parts (see :func:`shard_of`).
        progress: show a progress bar on stderr.
        isolate: confine each kernel's files with Landlock where the system offers it.
    """
    timeout = check_number("timeout", timeout, low=0, low_open=True)
    jobs = default_jobs() if jobs is None else check_int("jobs", jobs, low=1)
    limits = Limits(timeout=timeout, memory_mb=check_number("memory", memory, low=256),
                    max_output_mb=check_number("max_output", max_output, low=0, low_open=True),
                    isolate=isolate)
    if shard is not None:
        ok = (isinstance(shard, (tuple, list)) and len(shard) == 2
              and all(isinstance(v, int) and not isinstance(v, bool) for v in shard)
              and 1 <= shard[0] <= shard[1])
        if not ok:
            raise ValueError(f"shard must be (K, N) with 1 <= K <= N, got {shard!r}")
    listing = _listing(paths)
    keys = [key for key, _ in listing]
    info = {"release": None, "isolation": isolation() if isolate else "working folder only",
            "limits": {"timeout_s": timeout, "memory_mb": limits.memory_mb,
                       "max_output_mb": limits.max_output_mb},
            "shard": None}
    if shard is not None:
        index, count = shard
        chosen = shard_of(keys, index, count)
        info["shard"] = {"index": index, "count": count, "submissions": len(keys),
                         "listing": _listing_digest(keys)}
        listing = [listing[i] for i in chosen]
    releases = Releases(release) if release is not None else _course_releases()
    info["release"] = str(releases.where)
    notebooks = [path for _, path in listing]
    bar = _Progress(len(notebooks)) if progress else None
    rows = [None] * len(notebooks)
    root = Path(tempfile.mkdtemp(prefix="nnlesson-grade-"))
    try:
        mpl = _warm_matplotlib()
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            env = kernel_env(mplconfigdir=mpl)
            futures = {pool.submit(grade_notebook, nb, releases, limits, root=root, env=env,
                                   read_only=[mpl]): i
                       for i, nb in enumerate(notebooks)}
            for done, future in enumerate(as_completed(futures), start=1):
                try:
                    row = future.result()
                except Exception as exc:  # a bug of the grader: one row, not the class's grades
                    path = notebooks[futures[future]]
                    row = GradeRow(student_name(path), str(path), 0, 0, "error", _one_line(
                        f"the grader failed on this notebook: {type(exc).__name__}: {exc}"))
                rows[futures[future]] = row
                if bar:
                    bar.update(done, row.student)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return Grades(rows, info)


# ----------------------------------------------------------------------------- reporting


def format_table(rows):
    """A plain-text table: student, score, status, notes (the reason, then the checks that
    failed other than those not implemented yet, each with its diagnosed mistake); with an
    exercise column when the rows grade more than one exercise."""
    several = len({r.exercise for r in rows}) > 1  # then each row says which exercise
    lines = [("student",) + (("exercise",) if several else ()) + ("score", "status", "notes")]
    for r in rows:
        wrong = [name + (f" ({r.mistakes[name]})" if name in r.mistakes else "")
                 for name in r.failed if name not in r.todo]
        notes = [r.reason, ("failed: " + ", ".join(wrong)) if wrong and r.status != "tampered"
                 else ""]
        cells = ((r.student,) + ((r.exercise or "-",) if several else ())
                 + (r.score, r.status, "; ".join(n for n in notes if n)))
        lines.append(tuple(" ".join(_printable(cell).split()) for cell in cells))
    columns = len(lines[0]) - 1
    widths = [max(len(line[i]) for line in lines) for i in range(columns)]
    return "".join(
        ("  ".join(cell.ljust(w) for cell, w in zip(line[:columns], widths)) + "  "
         + line[columns]).rstrip() + "\n"
        for line in lines
    )


_CSV_FIELDS = ("student", "path", "exercise", "passed", "total", "status", "reason", "failed",
               "todo", "mistakes")


def _no_formula(value):
    """A text cell a spreadsheet would take for a formula (a student's file named
    ``=HYPERLINK(...).ipynb``) gets a leading ``'``, which spreadsheets show as text."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def write_csv(rows, path):
    """One line per notebook; ``failed`` and ``todo`` are ``;``-separated check names,
    ``mistakes`` ``check: mistake`` pairs. A text that starts like a spreadsheet formula
    (``=``, ``+``, ``-``, ``@``) gets a leading ``'``."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(_CSV_FIELDS)
    for r in rows:
        d = r.to_dict()
        d["failed"], d["todo"] = ";".join(r.failed), ";".join(r.todo)
        d["mistakes"] = "; ".join(f"{k}: {v}" for k, v in r.mistakes.items())
        writer.writerow([_no_formula(d[k]) for k in _CSV_FIELDS])
    return write_text(path, buffer.getvalue())


def write_json(rows, path):
    """``{"format": "nnlesson-grades", "version": 1, "info": {...}, "rows": [...]}``: the rows
    (the fields of :class:`GradeRow`) and how they were graded (release, limits, isolation,
    shard), which :func:`merge` checks."""
    data = {"format": _FORMAT, "version": 1, "info": getattr(rows, "info", {}),
            "rows": [r.to_dict() for r in rows]}
    return write_text(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def read_json(path):
    """The :class:`Grades` written by :func:`write_json`."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read grades from {str(path)!r}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ValueError(f"{str(path)!r} is not a grades file written by 'nnlesson grade --json'")
    fields = set(GradeRow.__dataclass_fields__)
    rows = [GradeRow(**{k: v for k, v in row.items() if k in fields}) for row in data["rows"]]
    return Grades(rows, data.get("info"))


def merge(paths):
    """Join grades files (:func:`write_json`): the shards of one run, or separate runs (for
    example one per submission, each graded in its own container).

    Raises ValueError when the parts do not fit together: shards mixed with unsharded runs,
    shards of different splits or of different submission listings, a shard given twice or
    missing, or a notebook graded twice.
    """
    parts = [(Path(p), read_json(p)) for p in paths]
    if not parts:
        raise ValueError("nothing to merge: give the grades files of every shard")
    shards = [part.info.get("shard") for _, part in parts]
    rows, info = [], dict(parts[0][1].info)
    if any(s is None for s in shards):
        if any(s is not None for s in shards):
            plain = [str(p) for (p, _), s in zip(parts, shards) if s is None]
            raise ValueError(f"{', '.join(plain)}: not graded with --shard, unlike the other "
                             "parts; merge the parts of one sharded run, or separate runs")
        info["merged"] = {"runs": len(parts)}
    else:
        splits = {(s["count"], s["listing"], s["submissions"]) for s in shards}
        if len(splits) > 1:
            raise ValueError("the parts come from different runs (another number of shards, "
                             "or shards that saw different submissions)")
        count = shards[0]["count"]
        seen = [s["index"] for s in shards]
        twice = sorted({i for i in seen if seen.count(i) > 1})
        if twice:
            raise ValueError(f"shard {', '.join(map(str, twice))} of {count} is given twice")
        missing = sorted(set(range(1, count + 1)) - set(seen))
        if missing:
            raise ValueError(f"the grades of shard {', '.join(map(str, missing))} of {count} "
                             "are missing")
        info["shard"] = None
        info["merged"] = {"shards": count, "submissions": shards[0]["submissions"]}
    for _, part in parts:
        rows += part
    paths_seen = [r.path for r in rows]
    twice = sorted({p for p in paths_seen if paths_seen.count(p) > 1})
    if twice:
        raise ValueError(f"graded twice: {', '.join(twice[:3])}")
    rows.sort(key=lambda r: r.path)
    if "submissions" in info.get("merged", {}) and len(rows) != info["merged"]["submissions"]:
        raise ValueError(f"the parts hold {len(rows)} notebooks, the class "
                         f"{info['merged']['submissions']}")
    return Grades(rows, info)
