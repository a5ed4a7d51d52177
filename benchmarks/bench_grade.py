"""Grading throughput: how many submitted notebooks ``nnlesson grade`` grades per minute.

    python benchmarks/bench_grade.py                      # 3 rounds of a 26-notebook class
    python benchmarks/bench_grade.py --rounds 1 --copies 1  # a quick look

The class: for every lesson with exercises, one submission whose answer cells hold the
solutions and one that is the untouched release (the two ends of a real class: every check
runs to the end, or every check stops at "not implemented yet"), ``--copies`` times.

Each round times, one after the other on the same notebooks:

* **grade**: :func:`nnlesson.tools.grading.grade` as ``nnlesson grade`` runs it (release
  rebuilt around the answers, the guard in the kernel, the limits: memory, time, output,
  Landlock where available), ``--jobs`` = the number of CPUs;
* **reference**: the same notebooks run top to bottom by nbclient in a plain kernel (no
  release, no guard, no limits; :func:`nnlesson.tools.notebooks.run_in_kernel`), in a thread
  pool of the same size. The ratio grade / reference is what grading costs beyond running.

Figures are medians over the rounds; quote them with the machine they came from.
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import nbformat  # noqa: E402

from nnlesson.tools.grading import default_jobs, grade  # noqa: E402
from nnlesson.tools.grading.sandbox import isolation  # noqa: E402
from nnlesson.tools.notebooks import run_in_kernel  # noqa: E402


def make_class(folder, copies):
    """``copies`` x (solved + untouched) copies of every exercise; returns their paths."""
    paths = []
    for exercise in sorted((ROOT / "exercises").glob("*.ipynb")):
        solution = nbformat.read(str(ROOT / "solutions" / exercise.name), as_version=4)
        answers = {c.get("id"): c.source for c in solution.cells}
        for copy in range(copies):
            for kind in ("solved", "untouched"):
                nb = nbformat.read(str(exercise), as_version=4)
                if kind == "solved":
                    for cell in nb.cells:
                        if cell.get("metadata", {}).get("nnlesson", {}).get("role") == "answer" \
                                or "NotImplementedError" in cell.source:
                            cell.source = answers.get(cell.get("id"), cell.source)
                target = folder / f"{kind}{copy}" / exercise.name
                target.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(nb, str(target))
                paths.append(target)
    return paths


def reference(paths, jobs, scratch):
    def run(path):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        run_in_kernel(nb, cwd=scratch, timeout=120, allow_errors=True)

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(run, paths))


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=1,
                        help="copies of the 26-notebook class (default: 1)")
    parser.add_argument("--jobs", type=int, default=None, help="default: the number of CPUs")
    args = parser.parse_args(argv)
    jobs = args.jobs or default_jobs()
    folder = Path(tempfile.mkdtemp(prefix="bench-grade-"))
    try:
        paths = make_class(folder / "class", args.copies)
        scratch = folder / "scratch"
        scratch.mkdir()
        timings = {"grade": [], "reference": []}
        statuses = None
        for _ in range(args.rounds):
            start = time.perf_counter()
            rows = grade([folder / "class"], timeout=120, jobs=jobs, progress=False)
            timings["grade"].append(time.perf_counter() - start)
            statuses = sorted({(Path(r.path).parent.name.rstrip("0123456789"), r.status)
                               for r in rows})
            start = time.perf_counter()
            reference(paths, jobs, scratch)
            timings["reference"].append(time.perf_counter() - start)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    n = len(paths)
    print(f"{n} notebooks, {args.rounds} rounds, --jobs {jobs}; {os.cpu_count()} CPUs "
          f"({cpu_name()}), Python {platform.python_version()}; isolation: {isolation()}")
    print(f"statuses seen: {', '.join(f'{kind} {status}' for kind, status in statuses)}")
    print()
    print("| run | median wall time (s) | notebooks per minute | s per notebook |")
    print("|---|---:|---:|---:|")
    medians = {}
    for name, values in timings.items():
        medians[name] = statistics.median(values)
        print(f"| {name} | {medians[name]:.1f} | {60 * n / medians[name]:.0f} | "
              f"{medians[name] * jobs / n:.2f} |")
    print()
    print(f"ratio grade / reference: {medians['grade'] / medians['reference']:.2f}")


if __name__ == "__main__":
    main()
