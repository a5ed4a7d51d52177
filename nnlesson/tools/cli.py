"""The ``nnlesson`` command line (also ``python -m nnlesson``).

::

    nnlesson start [DIR] [--no-launch] [-- JUPYTER-LAB-ARGS...]
    nnlesson grade PATH... [--release DIR] [--timeout S] [--memory MB] [--max-output MB]
                   [--jobs N] [--shard K/N] [--csv FILE] [--json FILE]
    nnlesson grade --merge PART.json... [--csv FILE] [--json FILE]
    nnlesson export-nbgrader --out COURSE_DIR [--points N] [LESSON...]
    nnlesson exercises [LESSON...] [--check] [--force] [--solutions DIR] [--exercises DIR]
                       [--no-execute]
    nnlesson execute NOTEBOOK... [--timeout S] [--force]
    nnlesson slides [--out DIR] [--pdf] [LESSON...]

Errors are one line on stderr with exit code 2; ``exercises --check`` exits 1 when the
exercises are out of date. No command replaces an answer someone wrote: ``exercises`` and
``execute`` refuse (exit 2, naming the files) unless ``--force``, which keeps a backup first.
"""
from __future__ import annotations

import argparse
import os
import sys

from nnlesson.tools.workspace import DEFAULT_FOLDER

__all__ = ["main", "build_parser"]


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (no usage dump), exit code 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _positive_number(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds > 0, got {text!r}")
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {text!r}")
    return value


def _shard(text):
    parts = text.split("/")
    try:
        index, count = (int(p) for p in parts)
    except ValueError:
        index = count = 0
    if len(parts) != 2 or not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"must be K/N with 1 <= K <= N, e.g. 2/8, got {text!r}")
    return index, count


def _grade(args):
    from nnlesson.tools.grading import format_table, grade, merge, write_csv, write_json

    if args.merge:
        rows = merge(args.paths)
    else:
        rows = grade(args.paths, timeout=args.timeout, jobs=args.jobs, release=args.release,
                     memory=args.memory, max_output=args.max_output, shard=args.shard,
                     progress=not args.quiet)
        if not args.quiet:
            print(f"isolation: {rows.info['isolation']}", file=sys.stderr)
    sys.stdout.write(format_table(rows))
    if args.csv:
        write_csv(rows, args.csv)
    if args.json:
        write_json(rows, args.json)
    return 0


def _export_nbgrader(args):
    from nnlesson.tools.nbgrader import export_course

    for path in export_course(args.out, args.lessons, points=args.points, force=args.force):
        print(path)
    return 0


def _exercises(args):
    from nnlesson.tools.exercises_build import build_exercises, stale_exercises

    if args.check:
        stale = stale_exercises(args.solutions, args.exercises, lessons=args.lessons)
        if stale:
            print(f"nnlesson exercises: out of date: {', '.join(stale)}; "
                  "run 'nnlesson exercises' to regenerate", file=sys.stderr)
            return 1
        print("exercises are up to date")
        return 0
    for path, backup in build_exercises(args.solutions, args.exercises,
                                        execute=not args.no_execute, timeout=args.timeout,
                                        lessons=args.lessons, force=args.force):
        print(path if backup is None else f"{path} (the answers it held are in {backup})")
    return 0


def _execute(args):
    import nbformat

    from nnlesson.tools.notebooks import answers_written, execute_notebook, keep_answers

    work = {}
    for notebook in args.notebooks:
        if not os.path.isfile(notebook):
            raise FileNotFoundError(f"no notebook at {notebook!r}")
        work[notebook] = answers_written(nbformat.read(notebook, as_version=4))
    backups = keep_answers(work, force=args.force, command="execute them",
                           consequence="executing rewrites the file")
    for notebook in args.notebooks:
        path = execute_notebook(notebook, timeout=args.timeout, force=True)
        backup = backups.get(notebook)
        print(path if backup is None else f"{path} (backup before running: {backup})")
    return 0


def _start(args):
    from nnlesson.tools import workspace

    report = workspace.copy_course(args.folder)
    print(workspace.format_report(report, args.folder))
    if args.no_launch:
        print("To open it in JupyterLab: "
              + workspace.start_command(args.folder, args.jupyter_args))
        return 0
    launch = workspace.jupyter_lab_launch(args.folder, args.jupyter_args)
    print(f"Opening JupyterLab in {launch.cwd} at {workspace.START_NOTEBOOK} "
          "(Ctrl-C here stops it)...")
    return workspace.run_jupyter_lab(launch)


def _slides(args):
    from nnlesson.tools.slides import run_command

    return run_command(args.out, args.lessons, pdf=args.pdf)


def build_parser():
    """The argument parser (one sub-command per task)."""
    parser = _Parser(
        prog="nnlesson",
        description="The nnlesson course. Students: 'nnlesson start' copies the course into a "
                    "folder of your own (~/my-nnlesson) and opens it in JupyterLab. Teachers "
                    "and course developers: grade exercise notebooks, regenerate the exercises "
                    "from the solutions, re-run notebooks, build slide decks.",
        epilog="'nnlesson COMMAND --help' explains a command.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "start", help="copy the course into your own folder and open it in JupyterLab",
        description="Copy the course's notebooks/, exercises/ and solutions/ into DIR (laid "
                    "out like the course, so the course map's links work), then open "
                    "JupyterLab with DIR as its root, at notebooks/00_course_map.ipynb. A file "
                    "that exists in DIR is never replaced: running it again adds only what is "
                    "new (a new lesson's exercises) and lists what it kept. Your answers live "
                    "in DIR; updating the course never touches them.",
        epilog="Arguments after '--' go to jupyter lab, e.g. "
               "'nnlesson start -- --port 8890 --no-browser'.")
    p.add_argument("folder", nargs="?", default=DEFAULT_FOLDER, metavar="DIR",
                   help=f"your course folder, outside the course itself (default: "
                        f"{DEFAULT_FOLDER})")
    p.add_argument("--no-launch", action="store_true",
                   help="only copy, and print the command that opens JupyterLab there")
    p.set_defaults(run=_start, jupyter_args=[])

    p = sub.add_parser(
        "grade", help="run students' exercise notebooks and report their checks",
        description="Grade each submitted exercise notebook against the released exercise: "
                    "the student's answer cells run inside the release's own cells, in a fresh "
                    "kernel with limits on time, memory, output and files; the release's checks "
                    "give the score, and a notebook that changes the checks gets 0. Prints a "
                    "table (student, score, status, notes). A broken, unfinished or endless "
                    "notebook gets a reason, never a crash.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="notebook files or folders (searched recursively for *.ipynb); with "
                        "--merge, the grades files (--json) of every shard")
    p.add_argument("--release", metavar="DIR",
                   help="the released exercises to grade against: a folder of exercise "
                        "notebooks or one notebook (default: the course's exercises/)")
    p.add_argument("--timeout", type=_positive_number, default=60, metavar="S",
                   help="time limit per notebook in seconds (default: 60)")
    p.add_argument("--memory", type=_positive_int, default=2048, metavar="MB",
                   help="memory limit per notebook's kernel in MB (default: 2048)")
    p.add_argument("--max-output", type=_positive_number, default=10, metavar="MB",
                   help="output a notebook may print or show, in MB (default: 10)")
    p.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                   help="notebooks run at the same time (default: the number of CPUs)")
    p.add_argument("--shard", type=_shard, metavar="K/N",
                   help="grade only the Kth of N parts of the submissions (for a batch "
                        "scheduler; join the parts' --json files with --merge)")
    p.add_argument("--merge", action="store_true",
                   help="join the --json grades of the shards given as PATHs instead of grading")
    p.add_argument("--csv", metavar="FILE", help="also write the grades as CSV")
    p.add_argument("--json", metavar="FILE", help="also write the grades as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.set_defaults(run=_grade)

    p = sub.add_parser(
        "export-nbgrader", help="write the course's exercises as an nbgrader course",
        description="Write COURSE_DIR/source/NN_slug/NN_slug.ipynb for each lesson with "
                    "exercises (solution cells, read-only cells, and autograded test cells that "
                    "assert the course's checks) and COURSE_DIR/nbgrader_config.py. Then run "
                    "nbgrader's commands in COURSE_DIR (see docs/teaching.md).")
    p.add_argument("lessons", nargs="*", metavar="LESSON",
                   help="lesson number, slug or name (default: every lesson with exercises)")
    p.add_argument("--out", required=True, metavar="COURSE_DIR", help="the nbgrader course folder")
    p.add_argument("--points", type=float, default=1, metavar="N",
                   help="points per check (default: 1)")
    p.add_argument("--force", action="store_true",
                   help="replace files that differ from the export (a backup of each is kept)")
    p.set_defaults(run=_export_nbgrader)

    p = sub.add_parser(
        "exercises", help="regenerate exercises/ from solutions/ (or --check it)",
        description="Generate each exercises/NN_slug.ipynb from solutions/NN_slug.ipynb: "
                    "answers between '### BEGIN SOLUTION' and '### END SOLUTION' become a stub "
                    "('raise NotImplementedError'); then run it so the checks' outputs show. "
                    "An exercise whose answer cells hold someone's work is not replaced: the "
                    "command refuses, names the files and writes nothing, unless --force.")
    p.add_argument("lessons", nargs="*", metavar="LESSON",
                   help="lesson number, slug or file name (default: every lesson)")
    p.add_argument("--check", action="store_true",
                   help="only verify that exercises/ is up to date (exit 1 if not)")
    p.add_argument("--force", action="store_true",
                   help="replace exercises that hold answers, after copying each to "
                        "NAME.ipynb.<date>T<time>.bak beside it")
    p.add_argument("--solutions", default="solutions", metavar="DIR",
                   help="folder of solution notebooks (default: solutions)")
    p.add_argument("--exercises", default="exercises", metavar="DIR",
                   help="folder of exercise notebooks (default: exercises)")
    p.add_argument("--no-execute", action="store_true",
                   help="write the exercises without running them")
    p.add_argument("--timeout", type=_positive_number, default=120, metavar="S",
                   help="time limit per cell in seconds (default: 120)")
    p.set_defaults(run=_exercises)

    p = sub.add_parser(
        "execute", help="re-run notebooks in place, reproducibly",
        description="Run each notebook top to bottom in a fresh kernel (cwd: the repository "
                    "root, one BLAS thread, PYTHONHASHSEED=0) and save it with its outputs. An "
                    "exercise notebook whose answer cells hold someone's work is not run "
                    "(running rewrites the file) unless --force.")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help=".ipynb files")
    p.add_argument("--timeout", type=_positive_number, default=120, metavar="S",
                   help="time limit per cell in seconds (default: 120)")
    p.add_argument("--force", action="store_true",
                   help="also run notebooks that hold answers, after copying each to "
                        "NAME.ipynb.<date>T<time>.bak beside it")
    p.set_defaults(run=_execute)

    p = sub.add_parser(
        "slides", help="build offline reveal.js slide decks from the lesson notebooks",
        description="Build a slide deck (and, with --pdf, a PDF) from each lesson notebook.")
    p.add_argument("lessons", nargs="*", metavar="LESSON",
                   help="lesson number, slug, name or .ipynb path (default: every lesson)")
    p.add_argument("--out", default="slides_out", metavar="DIR",
                   help="folder for the decks, their assets and index.html (default: slides_out)")
    p.add_argument("--pdf", action="store_true", help="also print each deck to PDF")
    p.set_defaults(run=_slides)
    return parser


def _split_jupyter_args(argv):
    """``start``'s own arguments and those after ``--`` (for jupyter lab)."""
    commands = [a for a in argv if not a.startswith("-")]
    if commands[:1] == ["start"] and "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1:]
    return argv, None


def main(argv=None):
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    argv, jupyter_args = _split_jupyter_args(argv)
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        hint = (" (arguments for jupyter lab go after '--': nnlesson start -- --port 8890)"
                if args.command == "start" else "")
        _Parser(prog=f"nnlesson {args.command}").error(
            f"unrecognized arguments: {' '.join(unknown)}{hint}")
    if jupyter_args is not None:
        args.jupyter_args = jupyter_args
    # Imported only now: nbformat takes seconds to import, and --help should not wait.
    from nbformat import ValidationError

    from nnlesson.tools.notebooks import AnswersWouldBeLost, NotebookExecutionError

    try:
        return args.run(args)
    except AnswersWouldBeLost as exc:  # several lines: the files, why, and how to go ahead
        print(f"nnlesson {args.command}: {exc}", file=sys.stderr)
        return 2
    except (OSError, ValueError, ValidationError, NotebookExecutionError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"nnlesson {args.command}: error: {message}", file=sys.stderr)
        return 2
