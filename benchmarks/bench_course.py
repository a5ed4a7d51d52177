"""How fast the course feels: notebook run times and slider latency.

    python benchmarks/bench_course.py                 # everything
    python benchmarks/bench_course.py --widgets-only  # slider latency only (no kernels)
    python benchmarks/bench_course.py --widgets-only --only 04 11   # some lessons
    python benchmarks/bench_course.py --widgets-only --cold         # no background precompute

Prints two markdown tables measured in this run:

* every notebook in ``notebooks/``, ``solutions/`` and ``exercises/`` executed top to bottom in a
  fresh kernel (the way nbval runs it), wall seconds including kernel start-up, against the
  course's budget of 20 s per notebook and 2 minutes for all of ``notebooks/``;
* every experiment (``explore_*`` in ``nnlesson/course/lessons/``, modules or packages): each
  control moved to several values, the compute + redraw time of each update, median and 95th
  percentile, against the 50 ms median / 100 ms p95 target (100 ms is where an interface stops
  feeling instant); rows over 100 ms at p95 are marked.

An explorer on the base (:mod:`nnlesson.viz.explorer`) that lists controls in ``precompute``
computes their settings in the background after its first draw when a person is looking (a
Jupyter session). The benchmark reproduces that: it waits for the background work after the
first draw (the "ready after" column: how long a student would have to read before the
widget is warm) and gives the background ``--pause`` seconds after each move (a student
looking at the plot) before the next one. ``--cold`` measures without any precompute.

Figures depend on the machine; quote them with the machine they came from.
"""
from __future__ import annotations

import argparse
import importlib
import inspect
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

from nnlesson.course import LESSONS  # noqa: E402


def percentile(values, q):
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


def explorers(only=()):
    """``(name, explore function)`` of every experiment, in lesson order."""
    found = []
    for lesson in LESSONS:
        if only and not any(lesson.name.startswith(prefix) for prefix in only):
            continue
        module = importlib.import_module(f"nnlesson.course.lessons.{lesson.slug}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("explore_") and (fn.__module__ == module.__name__ or
                                                fn.__module__.startswith(module.__name__ + ".")):
                found.append((f"{lesson.name}.{name}", fn))
    return found


def bench_widgets(moves_per_control=6, *, only=(), cold=False, pause=2.0):
    """Rows ``(name, on the base, updates, median ms, p95 ms, median CPU ms, p95 CPU ms, ready
    after s or None)``."""
    from nnlesson.viz.widgets import sample_values

    rows = []
    for name, fn in explorers(only):
        demo = fn()
        explorer = getattr(demo, "explorer", None)
        warming = explorer is not None and bool(explorer.precompute) and not cold
        ready = None
        if warming:
            start = time.perf_counter()
            explorer.warm(wait=True)
            ready = time.perf_counter() - start
        demo.latencies.clear()  # the first draw builds caches; time what a student waits for
        demo.cpu_times.clear()
        for control_name, control in demo.controls.items():
            for value in sample_values(control, n=moves_per_control):
                demo.set(**{control_name: value})
                if warming:  # the student looks at the plot; the background works meanwhile
                    explorer.warm(wait=True, timeout=pause)
        ms = [t * 1000 for t in demo.latencies]
        cpu = [t * 1000 for t in demo.cpu_times]
        rows.append((name, explorer is not None, len(ms), statistics.median(ms),
                     percentile(ms, 95), statistics.median(cpu), percentile(cpu, 95), ready))
    return rows


def bench_notebooks(folders=("notebooks", "solutions", "exercises")):
    import nbformat

    from nnlesson.tools.notebooks import run_in_kernel

    rows = []
    for folder in folders:
        for path in sorted((ROOT / folder).glob("*.ipynb")):
            nb = nbformat.read(path, as_version=4)
            start = time.perf_counter()
            # the exercises' stubs raise by design; their cells are tagged raises-exception
            run_in_kernel(nb, cwd=ROOT, timeout=300, allow_errors=(folder == "exercises"))
            rows.append((f"{folder}/{path.name}", time.perf_counter() - start))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widgets-only", action="store_true", help="skip the notebooks")
    parser.add_argument("--only", nargs="*", default=(), metavar="NN",
                        help="lessons whose name starts with these (e.g. 04 11)")
    parser.add_argument("--cold", action="store_true",
                        help="no background precompute: every new setting computed on demand")
    parser.add_argument("--pause", type=float, default=2.0,
                        help="seconds a student looks at the plot between moves (default 2)")
    args = parser.parse_args(argv)

    load_before = os.getloadavg()[0]
    widgets = bench_widgets(only=args.only, cold=args.cold, pause=args.pause)
    print("## Slider updates (compute + redraw), milliseconds\n")
    print("| experiment | base | updates | median | p95 | CPU median | CPU p95 | ready after (s) "
          "| p95 <= 100 ms |")
    print("|---|:---:|---:|---:|---:|---:|---:|---:|:---:|")
    for name, based, n, med, p95, cpu_med, cpu_p95, ready in widgets:
        ok = "yes" if p95 <= 100 else "**NO**"
        warm = "-" if ready is None else f"{ready:.1f}"
        print(f"| {name} | {'yes' if based else ''} | {n} | {med:.1f} | {p95:.1f} | "
              f"{cpu_med:.1f} | {cpu_p95:.1f} | {warm} | {ok} |")
    slow = [row[0] for row in widgets if row[4] > 100]
    print(f"\n{len(slow)} of {len(widgets)} experiments over 100 ms at p95"
          + (f": {', '.join(slow)}" if slow else "") + ".")
    print(f"Load average (1 min) before: {load_before:.2f}, after: {os.getloadavg()[0]:.2f} on "
          f"{os.cpu_count()} CPU(s); 'CPU' columns: the CPU time of the widget's thread per "
          "update, which other programs' load does not inflate (waiting for a setting the "
          "background is computing counts in the wall time only).")
    if args.widgets_only:
        return 0

    notebooks = bench_notebooks()
    print("\n## Notebooks executed top to bottom in a fresh kernel, seconds\n")
    print("| notebook | seconds | under 20 s |")
    print("|---|---:|:---:|")
    for name, seconds in notebooks:
        print(f"| {name} | {seconds:.1f} | {'yes' if seconds < 20 else 'NO'} |")
    lessons_total = sum(s for n, s in notebooks if n.startswith("notebooks/"))
    print(f"\nAll of notebooks/: {lessons_total:.0f} s (budget 120 s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
