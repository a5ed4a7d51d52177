"""The ``nnlesson`` command line (also ``python -m nnlesson``).

::

    nnlesson grade PATH... [--timeout S] [--jobs N] [--csv FILE] [--json FILE]
    nnlesson exercises [--check] [--solutions DIR] [--exercises DIR] [--no-execute]
    nnlesson execute NOTEBOOK... [--timeout S]
    nnlesson slides [--out DIR] [--pdf] [LESSON...]

Errors are one line on stderr with exit code 2; ``exercises --check`` exits 1 when the
exercises are out of date.
"""
from __future__ import annotations

import argparse
import sys

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


def _grade(args):
    from nnlesson.tools.grading import format_table, grade, write_csv, write_json

    rows = grade(args.paths, timeout=args.timeout, jobs=args.jobs, progress=not args.quiet)
    sys.stdout.write(format_table(rows))
    if args.csv:
        write_csv(rows, args.csv)
    if args.json:
        write_json(rows, args.json)
    return 0


def _exercises(args):
    from nnlesson.tools.exercises_build import build_exercises, stale_exercises

    if args.check:
        stale = stale_exercises(args.solutions, args.exercises)
        if stale:
            print(f"nnlesson exercises: out of date: {', '.join(stale)}; "
                  "run 'nnlesson exercises' to regenerate", file=sys.stderr)
            return 1
        print("exercises are up to date")
        return 0
    for path in build_exercises(args.solutions, args.exercises, execute=not args.no_execute,
                                timeout=args.timeout):
        print(path)
    return 0


def _execute(args):
    from nnlesson.tools.notebooks import execute_notebook

    for notebook in args.notebooks:
        print(execute_notebook(notebook, timeout=args.timeout))
    return 0


def _slides(args):
    from nnlesson.tools import slides

    argv = ["--out", args.out] if args.out else []
    argv += ["--pdf"] if args.pdf else []
    return slides.main(argv + args.lessons)


def build_parser():
    """The argument parser (one sub-command per task)."""
    parser = _Parser(
        prog="nnlesson",
        description="Tools for the nnlesson course: grade exercise notebooks, regenerate the "
                    "exercises from the solutions, re-run notebooks, build slide decks.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "grade", help="run students' exercise notebooks and report their checks",
        description="Run each exercise notebook in a fresh kernel with a time limit, read every "
                    "check's result and print a table (student, score, status, notes). A "
                    "broken, unfinished or endless notebook gets a reason, never a crash.")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="notebook files or folders (searched recursively for *.ipynb)")
    p.add_argument("--timeout", type=_positive_number, default=60, metavar="S",
                   help="time limit per notebook in seconds (default: 60)")
    p.add_argument("--jobs", type=_positive_int, default=1, metavar="N",
                   help="notebooks run at the same time (default: 1)")
    p.add_argument("--csv", metavar="FILE", help="also write the grades as CSV")
    p.add_argument("--json", metavar="FILE", help="also write the grades as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar on stderr")
    p.set_defaults(run=_grade)

    p = sub.add_parser(
        "exercises", help="regenerate exercises/ from solutions/ (or --check it)",
        description="Generate each exercises/NN_slug.ipynb from solutions/NN_slug.ipynb: "
                    "answers between '### BEGIN SOLUTION' and '### END SOLUTION' become a hint "
                    "and 'raise NotImplementedError'; then run it so the checks' outputs show.")
    p.add_argument("--check", action="store_true",
                   help="only verify that exercises/ is up to date (exit 1 if not)")
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
                    "root, one BLAS thread, PYTHONHASHSEED=0) and save it with its outputs.")
    p.add_argument("notebooks", nargs="+", metavar="NOTEBOOK", help=".ipynb files")
    p.add_argument("--timeout", type=_positive_number, default=120, metavar="S",
                   help="time limit per cell in seconds (default: 120)")
    p.set_defaults(run=_execute)

    p = sub.add_parser(
        "slides", help="build offline reveal.js slide decks from the lesson notebooks",
        description="Build a slide deck (and, with --pdf, a PDF) from each lesson notebook.")
    p.add_argument("lessons", nargs="*", metavar="LESSON",
                   help="lesson number, slug, name or .ipynb path (default: every lesson)")
    p.add_argument("--out", metavar="DIR", help="output folder")
    p.add_argument("--pdf", action="store_true", help="also print each deck to PDF")
    p.set_defaults(run=_slides)
    return parser


def main(argv=None):
    """Run the command line; returns the exit code."""
    args = build_parser().parse_args(argv)
    # Imported only now: nbformat takes seconds to import, and --help should not wait.
    from nbformat import ValidationError

    from nnlesson.tools.notebooks import NotebookExecutionError

    try:
        return args.run(args)
    except (OSError, ValueError, ValidationError, NotebookExecutionError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"nnlesson {args.command}: error: {message}", file=sys.stderr)
        return 2
