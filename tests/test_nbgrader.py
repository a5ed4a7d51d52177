"""The course exported as an nbgrader course, and the full round trip through the real nbgrader.

The round trip runs nbgrader's own commands in a temporary course folder with its own SQLite
gradebook: ``generate_assignment`` for every lesson, a student who submits the solutions and
one who submits the untouched release, ``autograde``, ``export``. The first must get every
point, the second none. nbgrader comes from the ``nbgrader`` extra, which CI installs.
"""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

import nbgrader  # noqa: F401  (the extra is installed: fail loudly if not)
from nnlesson.tools.cli import main
from nnlesson.tools.grading import grade
from nnlesson.tools.grading.release import load_release
from nnlesson.tools.nbgrader import CONFIG, export_course, source_notebook

ROOT = Path(__file__).resolve().parents[1]
SOLUTION_06 = ROOT / "solutions" / "06_adam_and_adamw.ipynb"


def test_source_notebook_marks_answers_checks_and_read_only_cells():
    nb, checks = source_notebook(SOLUTION_06, points=2)
    solution = nbformat.read(str(SOLUTION_06), as_version=4)
    release = load_release(SOLUTION_06)  # the check cells, as the grader reads them
    answer_ids = [c.get("id") for c in solution.cells if "### BEGIN SOLUTION" in c.source]
    assert checks == release.total >= 2 and len(answer_ids) >= 2
    assert [c.get("id") for c in nb.cells] == [c.get("id") for c in solution.cells]
    kinds = [(c.metadata.nbgrader["solution"], c.metadata.nbgrader["grade"],
              c.metadata.nbgrader["locked"]) for c in nb.cells]
    answers = [c for c, k in zip(nb.cells, kinds) if k == (True, False, False)]
    tests = [c for c, k in zip(nb.cells, kinds) if k == (False, True, True)]
    assert [c.get("id") for c in answers] == answer_ids
    assert [c.metadata.nbgrader["grade_id"] for c in answers][:2] == ["adam_update",
                                                                      "adamw_update"]
    assert [c.metadata.nbgrader["grade_id"] for c in tests] == release.check_names
    assert all(k == (False, False, True) for k in kinds if k not in ((True, False, False),
                                                                   (False, True, True)))
    assert tests[0].source == ("result = check_adam_update(adam_update)\n"
                               "display(result)\n"
                               "assert result.passed, str(result)")
    assert [c.metadata.nbgrader["points"] for c in tests] == [2] * checks
    by_id = {c.get("id"): c for c in solution.cells}
    assert all(c.source == by_id[c.get("id")].source for c in answers)  # the markers stay
    assert all(c.get("outputs", []) == [] for c in nb.cells)


def test_export_writes_every_lesson_and_never_replaces_an_edited_file(tmp_path, capsys):
    assert main(["export-nbgrader", "--out", str(tmp_path)]) == 0
    written = capsys.readouterr().out.split()
    lessons = sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))
    assert written == [str(tmp_path / "source" / n / f"{n}.ipynb") for n in lessons] + [
        str(tmp_path / "nbgrader_config.py")]
    assert (tmp_path / "nbgrader_config.py").read_text() == CONFIG
    compile(CONFIG, "nbgrader_config.py", "exec")  # nbgrader skips a config it cannot load
    for name in lessons:  # a point for each check call of the solution notebook
        nb = nbformat.read(str(tmp_path / "source" / name / f"{name}.ipynb"), as_version=4)
        points = sum(c.metadata.nbgrader.get("points", 0) for c in nb.cells)
        assert points == checks_in(name) > 0
    # an instructor's edit is kept: the export refuses, then --force keeps a backup
    config = tmp_path / "nbgrader_config.py"
    config.write_text(CONFIG + "c.Execute.timeout = 30\n")
    assert main(["export-nbgrader", "--out", str(tmp_path), "6"]) == 2
    assert "nbgrader_config.py" in capsys.readouterr().err
    assert config.read_text().endswith("c.Execute.timeout = 30\n")
    export_course(tmp_path, ["adam_and_adamw"], force=True)
    assert config.read_text() == CONFIG
    [backup] = tmp_path.glob("nbgrader_config.py.*.bak")
    assert backup.read_text().endswith("c.Execute.timeout = 30\n")
    with pytest.raises(ValueError, match="no lesson with exercises matches '99'"):
        export_course(tmp_path, ["99"])


def checks_in(name):
    """The number of check calls in a lesson's solution notebook (read as the grader does)."""
    return load_release(ROOT / "solutions" / f"{name}.ipynb").total


def nbgrader_cli(course, *args):
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(course / ".jupyter-config"))
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout + done.stderr
    # a traceback is a failure (e.g. a config nbgrader could not load), except the one an
    # ipykernel may log while it shuts down: its control thread flushes stderr into a zmq socket
    # that is already closed (ZMQError "Socket operation on non-socket"), after the notebook ran
    unexpected = [block for block in done.stderr.split("Traceback (most recent call last):")[1:]
                  if not _kernel_shutdown_race(block)]
    assert not unexpected, done.stderr
    return done


def _kernel_shutdown_race(traceback):
    """True for ipykernel's harmless traceback at shutdown (see nbgrader_cli)."""
    return ("ipykernel/kernelbase.py" in traceback
            and "zmq.error.ZMQError: Socket operation on non-socket" in traceback)


def test_only_the_kernels_shutdown_race_is_forgiven():
    race = """
  File ".../zmq/eventloop/zmqstream.py", line 585, in _log_error
    f.result()
  File ".../ipykernel/kernelbase.py", line 408, in process_control
    sys.stderr.flush()
  File "zmq/backend/cython/_zmq.py", line 190, in zmq.backend.cython._zmq._check_rc
zmq.error.ZMQError: Socket operation on non-socket
[IPKernelApp] WARNING | Kernel is running over TCP without encryption."""
    assert _kernel_shutdown_race(race)
    config_error = """
  File ".../traitlets/config/loader.py", line 626, in load_config
    exec(compile(f.read(), conf_filename, "exec"), namespace, namespace)
NameError: name 'c' is not defined"""
    assert not _kernel_shutdown_race(config_error)
    assert not _kernel_shutdown_race(race.replace("ipykernel/kernelbase.py", "nbgrader/x.py"))


def submit(course, student, solve):
    """Copy every released notebook into ``submitted/<student>/``; with ``solve`` each answer
    cell gets the source notebook's solution (matched by grade id)."""
    for released in sorted((course / "release").glob("*/*.ipynb")):
        assignment = released.parent.name
        nb = nbformat.read(str(released), as_version=4)
        if solve:
            source = nbformat.read(str(course / "source" / assignment / released.name),
                                   as_version=4)
            answers = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
                       if c.metadata.nbgrader.get("solution")}
            for cell in nb.cells:
                grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
                if grade_id in answers:
                    cell.source = answers[grade_id]
        folder = course / "submitted" / student / assignment
        folder.mkdir(parents=True)
        nbformat.write(nb, str(folder / released.name))
        (folder / "timestamp.txt").write_text("2026-01-15 12:00:00.000000 UTC")


@pytest.mark.slow
def test_round_trip_through_nbgrader(tmp_path):
    course = tmp_path / "course"
    export_course(course)
    nbgrader_cli(course, "generate_assignment", "*")
    released = sorted(p.name for p in (course / "release").iterdir())
    assert released == sorted(p.stem for p in (ROOT / "exercises").glob("*.ipynb"))
    release_06 = nbformat.read(str(course / "release" / "06_adam_and_adamw" /
                                   "06_adam_and_adamw.ipynb"), as_version=4)
    assert "### BEGIN SOLUTION" not in json.dumps(release_06)
    stubs = [c.source for c in release_06.cells if c.metadata.get("nbgrader", {}).get("solution")]
    assert len(stubs) == sum("### BEGIN SOLUTION" in c.source for c in
                             nbformat.read(str(SOLUTION_06), as_version=4).cells)
    assert all(s.rstrip().endswith('raise NotImplementedError("replace this line with your code")')
               for s in stubs)
    submit(course, "solver", solve=True)
    submit(course, "idle", solve=False)
    nbgrader_cli(course, "autograde", "*")
    nbgrader_cli(course, "export", "--to", "grades.csv")
    with open(course / "grades.csv", newline="") as f:
        grades = list(csv.DictReader(f))
    assert len(grades) == 2 * len(released)
    for row in grades:
        total = checks_in(row["assignment"])
        assert float(row["max_score"]) == total
        expected = total if row["student_id"] == "solver" else 0
        assert float(row["score"]) == expected, row
    # the idle student's failed assert carries the check's own explanation
    graded = nbformat.read(str(course / "autograded" / "idle" / "06_adam_and_adamw" /
                               "06_adam_and_adamw.ipynb"), as_version=4)
    test = next(c for c in graded.cells if c.metadata.get("nbgrader", {}).get("grade"))
    [error] = [o for o in test.outputs if o.output_type == "error"]
    assert (error.ename, error.evalue.split(":")[0]) == ("AssertionError", "✎ check_adam_update")
    assert "not implemented yet" in error.evalue
    # nnlesson's grader grades nbgrader's submissions against nbgrader's release as well
    submissions = sorted(course.glob("submitted/*/06_adam_and_adamw/06_adam_and_adamw.ipynb"))
    rows = grade(submissions, release=course / "release", progress=False)
    total = checks_in("06_adam_and_adamw")
    assert [(r.student, r.score, r.status) for r in rows] == [
        ("idle", f"0/{total}", "todo"), ("solver", f"{total}/{total}", "passed")]
