"""How fast the course feels: notebook run times and slider latency.

    python benchmarks/bench_course.py                 # everything
    python benchmarks/bench_course.py --widgets-only  # slider latency only (no kernels)

Prints two markdown tables measured in this run:

* every notebook in ``notebooks/``, ``solutions/`` and ``exercises/`` executed top to bottom in a
  fresh kernel (the way nbval runs it), wall seconds including kernel start-up, against the
  course's budget of 20 s per notebook and 2 minutes for all of ``notebooks/``;
* every experiment (``explore_*`` in ``nnlesson/course/lessons/``): each control moved to several
  values, the compute + redraw time of each update, median and 95th percentile, against the
  50 ms median / 100 ms p95 target (100 ms is where an interface stops feeling instant).

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


def bench_widgets(moves_per_control=6):
    from nnlesson.viz.widgets import sample_values

    rows = []
    for lesson in LESSONS:
        module = importlib.import_module(f"nnlesson.course.lessons.{lesson.slug}")
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if not (name.startswith("explore_") and fn.__module__ == module.__name__):
                continue
            demo = fn()
            demo.latencies.clear()  # the first draw builds caches; time what a student waits for
            for control_name, control in demo.controls.items():
                for value in sample_values(control, n=moves_per_control):
                    demo.set(**{control_name: value})
            ms = [t * 1000 for t in demo.latencies]
            rows.append((f"{lesson.name}.{name}", len(ms), statistics.median(ms), percentile(ms, 95)))
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
    args = parser.parse_args(argv)

    widgets = bench_widgets()
    print("## Slider updates (compute + redraw), milliseconds\n")
    print("| experiment | updates | median | p95 | under 50 ms median and 100 ms p95 |")
    print("|---|---:|---:|---:|:---:|")
    for name, n, med, p95 in widgets:
        ok = "yes" if med < 50 and p95 < 100 else "NO"
        print(f"| {name} | {n} | {med:.1f} | {p95:.1f} | {ok} |")
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
