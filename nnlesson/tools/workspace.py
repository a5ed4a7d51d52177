"""The student's own folder: ``nnlesson start [DIR]``.

The course (a clone, or an installed copy) is never where a student writes. ``nnlesson start``
copies the course's notebooks into a folder of the student's (default ``~/my-nnlesson``), laid
out like the repository so the course map's links (``../exercises/04_momentum.ipynb``) work::

    my-nnlesson/notebooks/    the lessons (for notes of your own)
    my-nnlesson/exercises/    the exercises: your answers go here
    my-nnlesson/solutions/    the solutions

and opens JupyterLab with that folder as its root, at ``notebooks/00_course_map.ipynb``.
A file that exists is never replaced, not even by a newer version of the course: running it
again adds only what is new (a new lesson's exercises) and says what it kept. Updating the
course (``git pull``, ``pip install -U``) therefore never touches the student's work.

Where the course files come from (:func:`course_root`): the checkout the ``nnlesson`` package
sits in (a clone, installed with ``pip install -e .``), else the copy a regular install puts
in ``<prefix>/share/nnlesson/`` (the wheel's data files).

:func:`jupyter_lab_launch` returns the exact command, working folder and environment that
``nnlesson start`` runs, so a test can start JupyterLab the same way.
"""
from __future__ import annotations

import importlib.metadata
import os
import shlex
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import NamedTuple

from nnlesson.tools.files import write_bytes

__all__ = [
    "COURSE_FOLDERS",
    "DEFAULT_FOLDER",
    "START_NOTEBOOK",
    "CopyReport",
    "Launch",
    "course_root",
    "course_files",
    "copy_course",
    "format_report",
    "jupyter_lab_launch",
    "lab_config_dir",
    "run_jupyter_lab",
    "start_command",
]

COURSE_FOLDERS = ("notebooks", "exercises", "solutions")
START_NOTEBOOK = "notebooks/00_course_map.ipynb"
DEFAULT_FOLDER = "~/my-nnlesson"
SHARE = ("share", "nnlesson")

_PACKAGE = Path(__file__).resolve().parents[1]


class CopyReport(NamedTuple):
    """What :func:`copy_course` did, as paths relative to the student's folder."""

    added: list
    same: list       # already there, identical to the course's file
    different: list  # already there and different (the student's work, or an older version)
    # (old, new): a lesson file of the student's that the course now has under another name
    # (``exercises/06_adam.ipynb`` kept, ``exercises/06_adam_and_adamw.ipynb`` added)
    renamed: list = ()


class Launch(NamedTuple):
    """How to start JupyterLab on a student's folder: ``subprocess.Popen(argv, cwd=cwd, env=env)``."""

    argv: list
    cwd: Path
    env: dict


def _is_course(root):
    return (root / START_NOTEBOOK).is_file() and all((root / f).is_dir() for f in COURSE_FOLDERS)


def _installed_roots():
    """Candidate ``share/nnlesson`` folders of an installed (non-editable) course."""
    try:
        dist = importlib.metadata.distribution("nnlesson")
    except importlib.metadata.PackageNotFoundError:
        dist = None
    marker = "/".join((*SHARE, START_NOTEBOOK))
    for file in (dist.files or []) if dist else []:
        if file.as_posix().endswith(marker):
            yield Path(dist.locate_file(file)).resolve().parents[1]
    schemes = [sysconfig.get_default_scheme()]
    user = f"{os.name}_user"
    if user in sysconfig.get_scheme_names():
        schemes.append(user)
    for scheme in schemes:
        yield Path(sysconfig.get_path("data", scheme), *SHARE)


def course_root():
    """The folder holding the course's ``notebooks/``, ``exercises/`` and ``solutions/``.

    The checkout the package sits in (a clone, editable install) comes first; else the copy a
    regular ``pip install`` put in ``<prefix>/share/nnlesson``.

    Raises:
        FileNotFoundError: neither exists (an installation without the course files).
    """
    checkout = _PACKAGE.parent
    if (checkout / "pyproject.toml").is_file() and _is_course(checkout):
        return checkout
    for root in _installed_roots():
        if _is_course(root):
            return root
    raise FileNotFoundError(
        "the course's notebooks were not found: not beside the nnlesson package "
        f"({str(checkout)!r}, a clone installed with 'pip install -e .') and not in "
        "<prefix>/share/nnlesson (a regular 'pip install' of the course); reinstall the course")


def course_files(root=None):
    """Paths (relative to ``root``) of the files a student's folder gets, in order.

    Everything under ``notebooks/``, ``exercises/`` and ``solutions/`` except hidden files and
    folders (``.ipynb_checkpoints``) and backups (``*.bak``).
    """
    root = Path(root) if root is not None else course_root()
    found = []
    for folder in COURSE_FOLDERS:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if (path.is_file() and not any(p.startswith(".") for p in relative.parts)
                    and "__pycache__" not in relative.parts and path.suffix != ".bak"):
                found.append(relative)
    return found


def _inside(path, folder):
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def copy_course(folder, root=None):
    """Copy the course into ``folder`` without ever replacing a file; returns a :class:`CopyReport`.

    Args:
        folder: the student's folder (created if missing; ``~`` is expanded).
        root: the course to copy from; default :func:`course_root`.

    Raises:
        ValueError: ``folder`` is the course itself or inside it (the course never holds a
            student's work), or is a file.
    """
    root = (Path(root) if root is not None else course_root()).resolve()
    folder = _expand(folder).resolve()
    if _inside(folder, root):
        raise ValueError(
            f"DIR must be a folder outside the course, got {str(folder)!r}, which is inside the "
            f"course at {str(root)!r}: your work would sit among the files a course update "
            "replaces. Choose a folder of your own, e.g. ~/my-nnlesson")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"DIR must be a folder, got {str(folder)!r}, which is a file")
    for name in COURSE_FOLDERS:  # checked before anything is copied
        if os.path.lexists(folder / name) and not (folder / name).is_dir():
            raise ValueError(f"{str(folder / name)!r} must be a folder (the course's {name}/ "
                             "goes there), but it is a file: rename it, then run this again")
    report = CopyReport([], [], [], [])
    for relative in course_files(root):
        target = folder / relative
        data = (root / relative).read_bytes()
        if not os.path.lexists(target):
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                write_bytes(target, data, overwrite=False)
            except FileExistsError:  # appeared meanwhile: it is someone's, keep it
                pass
            else:
                report.added.append(relative)
                continue
        same = target.is_file() and target.read_bytes() == data
        (report.same if same else report.different).append(relative)
    report.renamed.extend(_renamed(folder, report.added, course_files(root)))
    return report


def _renamed(folder, added, course):
    """``(old, new)`` for each file just added whose lesson number (``06_``) a file of the
    student's in the same folder has under a name the course no longer uses."""
    course = set(course)
    found = []
    for new in added:
        number = new.name.split("_", 1)[0]
        if not (number.isdigit() and "_" in new.name):
            continue
        for old in sorted((folder / new.parent).glob(f"{number}_*{new.suffix}")):
            old = old.relative_to(folder)
            if old not in course and old != new and not old.name.startswith("."):
                found.append((old, new))
    return found


def _expand(folder):
    """``folder`` with ``~`` expanded; ValueError when there is no home folder to expand."""
    try:
        return Path(folder).expanduser()
    except RuntimeError:  # no HOME and no entry in the user database (some containers)
        raise ValueError(f"DIR {str(folder)!r} starts with ~, but this user has no home folder "
                         "(HOME is not set): give a folder, e.g. 'nnlesson start "
                         "./my-nnlesson'") from None


def _listing(paths, limit=10):
    """``":"`` and one line per path, or, past ``limit`` paths, a count per folder."""
    if len(paths) <= limit:
        return ":" + "".join(f"\n  {p.as_posix()}" for p in paths)
    counts = {}
    for p in paths:
        counts[p.parts[0]] = counts.get(p.parts[0], 0) + 1
    return " (" + ", ".join(f"{n} in {f}/" for f, n in counts.items()) + ")"


def format_report(report, folder):
    """What :func:`copy_course` did, for people: added files, kept files (and why)."""
    lines = [f"Your course folder: {_expand(folder)}"]
    if report.added:
        lines.append(f"added {len(report.added)} file{'s' * (len(report.added) != 1)}"
                     + _listing(report.added))
    else:
        lines.append("added nothing: you have every file of the course")
    kept = len(report.same) + len(report.different)
    if kept:
        lines.append(f"kept {kept} file{'s' * (kept != 1)} you already had (never replaced): "
                     f"{len(report.same)} the same as the course's, {len(report.different)} "
                     "different (your work, or an older version of the course)"
                     + (_listing(report.different, limit=len(report.different))
                        if report.different else ""))
        if report.different:
            lines.append("To get the course's version of a file you kept, rename yours, then "
                         "run this command again.")
    for old, new in report.renamed:
        lines.append(f"The course renamed {old.as_posix()} to {new.as_posix()}: your "
                     f"{old.name} stays as it was, with your work; {new.name} is the course's "
                     "new copy. Keep working in the one that holds your answers, and hand that "
                     "one in.")
    return "\n".join(lines)


def lab_config_dir():
    """The Jupyter config folder ``nnlesson start`` adds (``JUPYTER_CONFIG_PATH``).

    Its ``labconfig/default_setting_overrides.json`` sets JupyterLab's defaults for the
    course: no "Would you like to get notified about official Jupyter news?" pop-up and no
    update check (``@jupyterlab/apputils-extension:notification``: ``fetchNews`` "false",
    ``checkForUpdates`` false). They are defaults: a student's own settings still win.
    """
    return Path(__file__).resolve().parent / "jupyter_config"


def jupyter_lab_launch(folder, extra_args=(), environ=None):
    """The :class:`Launch` (argv, cwd, env) that opens JupyterLab on a student's folder.

    JupyterLab runs with this Python (``python -m jupyterlab``), the folder as the server's
    root (so lessons, exercises and solutions are all reachable) and the course map open;
    ``extra_args`` (e.g. ``["--port", "8890", "--no-browser"]``) come last. ``environ``
    (default ``os.environ``) gets :func:`lab_config_dir` in front of ``JUPYTER_CONFIG_PATH``.
    """
    folder = _expand(folder).resolve()
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}",
            str(folder / START_NOTEBOOK), *extra_args]
    env = dict(os.environ if environ is None else environ)
    config_path = [str(lab_config_dir())]
    if env.get("JUPYTER_CONFIG_PATH"):
        config_path.append(env["JUPYTER_CONFIG_PATH"])
    env["JUPYTER_CONFIG_PATH"] = os.pathsep.join(config_path)
    return Launch(argv, folder, env)


def start_command(folder, extra_args=()):
    """The command line to type to open ``folder`` again (``nnlesson start DIR [-- ARGS]``)."""
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.stem == "nnlesson":
        command = [sys.argv[0]]
    else:
        command = [sys.executable, "-m", "nnlesson"]
    command += ["start", str(_expand(folder))]
    if extra_args:
        command += ["--", *extra_args]
    return shlex.join(command)


def _replace_process(launch):
    """Become JupyterLab (POSIX): Ctrl-C, exit codes and signals are then JupyterLab's own."""
    os.chdir(launch.cwd)
    os.execve(launch.argv[0], launch.argv, launch.env)


def run_jupyter_lab(launch):
    """Run JupyterLab as :func:`jupyter_lab_launch` says; returns its exit code.

    On POSIX the process becomes JupyterLab (it does not return); elsewhere JupyterLab runs as
    a child and a Ctrl-C is left to it (it shuts itself down).
    """
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        _replace_process(launch)
    process = subprocess.Popen(launch.argv, cwd=launch.cwd, env=launch.env)
    while True:
        try:
            return process.wait()
        except KeyboardInterrupt:
            continue
