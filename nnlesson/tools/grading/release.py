"""The released exercise, and the notebook the grader runs: the release with the student's answers.

A *release* is the exercise notebook as the course hands it out (``exercises/NN_slug.ipynb``,
or an instructor's own folder). Each of its cells has a role:

* ``answer``: the student writes it. Marked by ``metadata.nnlesson = {"role": "answer",
  "defines": [...]}`` (the exercise generator sets it); without that metadata, a code cell
  holding the stub ``raise NotImplementedError``. ``defines`` are the functions and classes
  the cell defines (read from its code when the metadata does not say);
* ``check``: ``metadata.nnlesson = {"role": "check", "check": "check_x", "answer": "x"}``, or
  a code cell that calls a ``check_<name>(...)`` function;
* everything else (imports, text, "look at it" cells).

:func:`build_run` builds the notebook to run from the release and a submission:

1. every cell that is not an answer comes from the release, whatever the submission did to
   it (changed, deleted, moved);
2. each answer cell comes from the submission, matched by cell id (nbformat 4.5 gives every
   cell one, and the generator keeps them), else by the function or class name it defines.
   An answer the submission does not have runs the release's stub, so its check reports it as
   not done; the row says which answer was missing;
3. a cell the student added runs only when it sits next to an answer (nothing but other added
   cells between them), before or after it as in the submission;
4. in each check cell every call ``check_x(...)`` becomes a call through the grader's guard
   (:mod:`nnlesson.tools.grading.guard`), which runs the exercise's own check.

The total is the release's number of check calls, whatever the submission holds.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

__all__ = [
    "ReleaseCell",
    "Release",
    "RunCell",
    "Run",
    "load_release",
    "course_release_dir",
    "Releases",
    "build_run",
    "check_calls",
    "defined_names",
    "bound_names",
]

_CHECK_CALL = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*\.)*(check_\w+)\s*\(")
_CHECK_DEF = re.compile(r"\bdef\s+check_\w+\s*\(")
_STUB = re.compile(r"^\s*raise\s+NotImplementedError\b", re.M)
_DEF = re.compile(r"^(?:async\s+)?(?:def|class)\s+([A-Za-z_]\w*)", re.M)
_LESSON = re.compile(r"^(\d{2})_")


def check_calls(source):
    """Names of the checks a code cell calls, in order (comments and ``def check_...`` skipped)."""
    lines = [line.split("#", 1)[0] for line in source.splitlines()]
    return _CHECK_CALL.findall(_CHECK_DEF.sub("", "\n".join(lines)))


def defined_names(source):
    """Top-level functions and classes a cell's code defines (read with a regex if it does not
    parse)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return _DEF.findall(source)
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def bound_names(source):
    """Names a cell's code binds at the top level (imports, definitions, assignments)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names, todo = [], list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.GeneratorExp, ast.ListComp, ast.SetComp,
                             ast.DictComp)):
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names += [(a.asname or a.name.split(".")[0]) for a in node.names if a.name != "*"]
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.append(node.id)
        todo.extend(ast.iter_child_nodes(node))
    return sorted(set(names))


def _normal(source):
    return "\n".join(line.rstrip() for line in source.strip().splitlines())


@dataclass
class ReleaseCell:
    """One cell of a release: ``index`` counts from 1 over all cells, as JupyterLab shows."""

    index: int
    cell: nbformat.NotebookNode
    role: str  # "answer", "check" or "other"
    defines: list = field(default_factory=list)
    checks: list = field(default_factory=list)

    @property
    def id(self):
        return self.cell.get("id")


@dataclass
class Release:
    """A released exercise notebook with its cells' roles."""

    path: Path
    cells: list

    @property
    def name(self):
        return self.path.stem

    @property
    def answers(self):
        return [c for c in self.cells if c.role == "answer"]

    @property
    def check_names(self):
        return [name for c in self.cells for name in c.checks]

    @property
    def total(self):
        return len(self.check_names)


def _role(cell):
    meta = cell.get("metadata", {}).get("nnlesson", {})
    meta = meta if isinstance(meta, dict) else {}
    source = cell.get("source", "")
    if cell.get("cell_type") != "code":
        return "other", [], []
    if meta.get("role") == "answer":
        return "answer", list(meta.get("defines") or defined_names(source)), []
    calls = [name for _, name in _rewrite_checks(source, "guard", "c")[1]]
    if meta.get("role") == "check":
        return "check", [], calls
    if _STUB.search(source):
        return "answer", defined_names(source), []
    return ("check", [], calls) if calls else ("other", [], [])


def load_release(path):
    """Read a released exercise notebook; raises ValueError when it has no check."""
    path = Path(path)
    nb = nbformat.read(str(path), as_version=4)
    cells = []
    for index, cell in enumerate(nb.cells, start=1):
        role, defines, checks = _role(cell)
        cells.append(ReleaseCell(index, cell, role, defines, checks))
    release = Release(path, cells)
    if not release.total:
        raise ValueError(f"{path}: not an exercise: no check cell (a cell that calls "
                         "check_<name>(...))")
    return release


def course_release_dir():
    """The course's own ``exercises/`` folder: in the clone the package sits in, else in the
    copy a regular install puts in ``<prefix>/share/nnlesson``. Raises FileNotFoundError."""
    from nnlesson.tools.workspace import course_root

    return course_root() / "exercises"


class Releases:
    """The releases a class is graded against: a folder of exercise notebooks (searched
    recursively, so nbgrader's ``release/`` folder works too), or one notebook.

    :meth:`match` finds the release of a submission: the same file name; else the same lesson
    number (``06_adam_and_adamw-Copy1.ipynb``); else the release that shares the most answer
    cells with it (ids, then defined names), for files named after the student.
    """

    def __init__(self, where):
        where = Path(where)
        if where.is_file():
            files = [where]
        elif where.is_dir():
            files = sorted(p for p in where.rglob("*.ipynb")  # nbgrader: release/<a>/<a>.ipynb
                           if not any(part.startswith(".") for part in p.relative_to(where).parts))
        else:
            raise FileNotFoundError(f"no release folder or notebook at {str(where)!r}")
        self.where = where
        self.releases = []
        for path in files:
            try:
                self.releases.append(load_release(path))
            except ValueError:
                if where.is_file():
                    raise
        if not self.releases:
            raise ValueError(f"no exercise notebooks (with check cells) in {str(where)!r}")

    def match(self, path, nb):
        """The :class:`Release` for the submission ``nb`` read from ``path``, or None."""
        if len(self.releases) == 1 and self.where.is_file():
            return self.releases[0]
        name = Path(path).name
        for release in self.releases:
            if release.path.name == name:
                return release
        number = _LESSON.match(name)
        if number:
            same = [r for r in self.releases if r.path.name.startswith(number.group(0))]
            if len(same) == 1:
                return same[0]
        ids = {c.get("id") for c in nb.cells if c.get("id")}
        names = {n for c in nb.cells if c.get("cell_type") == "code"
                 for n in defined_names(c.get("source", ""))}
        scored = []
        for release in self.releases:
            score = sum(2 * (a.id in ids) + any(n in names for n in a.defines)
                        for a in release.answers)
            scored.append((score, release))
        best = max(score for score, _ in scored)
        winners = [r for s, r in scored if s == best]
        return winners[0] if best > 0 and len(winners) == 1 else None


@dataclass
class RunCell:
    """A code cell of the notebook the grader runs.

    ``origin`` is ``"exercise"`` (a release cell, checks rewritten), ``"answer"`` (the
    student's answer), ``"added"`` (a cell the student added next to an answer) or ``"stub"``
    (the release's stub for a missing answer). ``number`` is the cell's number where the
    reader will find it: in the release for exercise cells and stubs, in the submission for
    the student's cells. ``sites`` lists ``(site, check name)`` of the check calls it holds;
    ``binds`` the names an exercise cell binds (the only names the guard trusts it to change).
    """

    source: str
    origin: str
    number: int
    sites: list = field(default_factory=list)
    binds: list = field(default_factory=list)

    @property
    def exercise(self):
        return self.origin in ("exercise", "stub")

    @property
    def where(self):
        return f"the exercise's cell {self.number}" if self.exercise else f"your cell {self.number}"


@dataclass
class Run:
    """The cells to run for one submission, and what the grader noticed while matching."""

    release: Release
    cells: list
    missing: list = field(default_factory=list)  # answers the submission does not have
    renamed: list = field(default_factory=list)  # (expected names, what the cell defines)
    ignored: int = 0  # added cells that are not next to an answer: not run

    @property
    def sites(self):
        return [site for cell in self.cells for site in cell.sites]


class _Rewrite(ast.NodeTransformer):
    """``check_x(args)`` -> ``GUARD.run("site", "check_x", check_x, args)``."""

    def __init__(self, guard, prefix):
        self.guard, self.prefix, self.sites = guard, prefix, []

    def _definition(self, node):
        return node  # a check called inside a function the cell defines is not a check call

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _definition

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if not re.fullmatch(r"check_\w+", name or ""):
            return node
        site = f"{self.prefix}.{len(self.sites) + 1}"
        self.sites.append((site, name))
        call = ast.Call(
            func=ast.Attribute(value=ast.Name(id=self.guard, ctx=ast.Load()), attr="run",
                               ctx=ast.Load()),
            args=[ast.Constant(site), ast.Constant(name), func, *node.args],
            keywords=node.keywords)
        return ast.copy_location(call, node)


def _rewrite_checks(source, guard, prefix):
    """The check cell with its check calls going through the guard; ``(source, sites)``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source, [(f"{prefix}.{i}", n) for i, n in enumerate(check_calls(source), 1)]
    rewrite = _Rewrite(guard, prefix)
    tree = ast.fix_missing_locations(rewrite.visit(tree))
    return ast.unparse(tree), rewrite.sites


def build_run(release, nb, guard):
    """The :class:`Run` for submission ``nb`` against ``release``; ``guard`` is the name of
    the guard object in the kernel."""
    known_ids = {c.id: c for c in release.cells if c.id}
    other_sources = {_normal(c.cell.source) for c in release.cells
                     if c.role != "answer" and c.cell.get("cell_type") == "code"}
    other_sources.discard("")
    matched = {}  # release answer index -> submission cell number
    kinds = []  # per submission cell: ("answer", release index) / ("known", None) / ("added", None)
    for number, cell in enumerate(nb.cells, start=1):
        rc = known_ids.get(cell.get("id"))
        if rc is not None and rc.role == "answer" and rc.index not in matched:
            matched[rc.index] = number
            kinds.append(("answer", rc.index))
        elif rc is not None:
            kinds.append(("known", None))
        elif cell.get("cell_type") != "code":
            kinds.append(("ignore", None))
        elif _normal(cell.get("source", "")) in other_sources:
            kinds.append(("known", None))
        else:
            kinds.append(("added", None))
    # Answers not found by id: the first added cell that defines one of their names.
    names_of = {}  # submission cell number -> the names it defines (each cell parsed once)
    for answer in release.answers:
        if answer.index in matched:
            continue
        for number, (kind, _) in enumerate(kinds, start=1):
            if kind != "added":
                continue
            if number not in names_of:
                names_of[number] = defined_names(nb.cells[number - 1].source)
            if any(n in names_of[number] for n in answer.defines):
                matched[answer.index] = number
                kinds[number - 1] = ("answer", answer.index)
                break
    # Added cells run with the answer they sit next to: the nearest answer or known cell
    # before and after each one (two passes, so that a notebook of many cells costs no more
    # than its length).
    anchors = ("answer", "known")  # what an added cell can sit next to
    previous, last = [None] * len(kinds), None
    for i, kind in enumerate(kinds):
        previous[i] = last
        if kind[0] in anchors:
            last = kind
    following, last = [None] * len(kinds), None
    for i in range(len(kinds) - 1, -1, -1):
        following[i] = last
        if kinds[i][0] in anchors:
            last = kinds[i]
    before, after, ignored = {}, {}, 0
    for number, (kind, _) in enumerate(kinds, start=1):
        if kind != "added":
            continue
        if previous[number - 1] and previous[number - 1][0] == "answer":
            after.setdefault(previous[number - 1][1], []).append(number)
        elif following[number - 1] and following[number - 1][0] == "answer":
            before.setdefault(following[number - 1][1], []).append(number)
        else:
            ignored += 1
    run = Run(release, [], ignored=ignored)
    running = list(matched.values()) + [n for group in (before, after) for ns in group.values()
                                        for n in ns]
    defined_by_student = {name for n in running for name in defined_names(nb.cells[n - 1].source)}
    for rc in release.cells:
        if rc.cell.get("cell_type") != "code":
            continue
        if rc.role == "answer":
            number = matched.get(rc.index)
            if number is None:
                if rc.defines and all(n in defined_by_student for n in rc.defines):
                    continue  # another answer cell of the student defines it
                run.missing.append(", ".join(rc.defines) or f"cell {rc.index}")
                run.cells.append(RunCell(rc.cell.source, "stub", rc.index,
                                         binds=bound_names(rc.cell.source)))
                continue
            cells = before.get(rc.index, []) + [number] + after.get(rc.index, [])
            for n in cells:
                run.cells.append(RunCell(nb.cells[n - 1].source, "answer" if n == number
                                         else "added", n))
            names = defined_names(nb.cells[number - 1].source)
            if rc.defines and not all(n in names for n in rc.defines):
                run.renamed.append((rc.defines, names))
        elif rc.role == "check":
            source, sites = _rewrite_checks(rc.cell.source, guard, f"c{rc.index}")
            run.cells.append(RunCell(source, "exercise", rc.index, sites,
                                     bound_names(rc.cell.source)))
        else:
            run.cells.append(RunCell(rc.cell.source, "exercise", rc.index,
                                     binds=bound_names(rc.cell.source)))
    return run
