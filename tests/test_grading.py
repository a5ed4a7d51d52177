"""Grading generated exercise notebooks: solved, unsolved, half done, broken, endless, unreadable."""
import csv
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nnlesson.tools.exercises_build import make_exercise
from nnlesson.tools.grading import (
    GradeRow,
    _check_calls,
    find_notebooks,
    format_table,
    grade,
    student_name,
    write_csv,
    write_json,
)

SETUP = '''import numpy as np
from nnlesson.course.checks import Case, Mistake, run_check

def check_double(fn):
    cases = [Case("a vector", (np.arange(3.0),))]
    return run_check("check_double", fn, cases, lambda x: 2.0 * x,
                     [Mistake("added", "You added 2.", lambda x: x + 2.0)])

def check_negate(fn):
    return run_check("check_negate", fn, [Case("a vector", (np.arange(3.0),))], lambda x: -x)'''


def solution():
    return new_notebook(cells=[
        new_code_cell(SETUP),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2.0 * x\n    ### END SOLUTION"),
        new_code_cell("check_double(double)"),
        new_code_cell("def negate(x):\n    ### BEGIN SOLUTION\n    return -x\n    ### END SOLUTION"),
        new_code_cell("check_negate(negate)"),
    ])


def student(folder, name, double=None, negate=None):
    """An exercise notebook with the student's bodies filled in (None: left as the stub)."""
    nb = make_exercise(solution())
    if double is not None:
        nb.cells[1].source = "def double(x):\n" + double
    if negate is not None:
        nb.cells[3].source = "def negate(x):\n" + negate
    path = folder / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    student(folder / "alice", "01_double", double="    return x + x", negate="    return -x")
    student(folder, "bob")
    student(folder, "carol", double="    return 2.0 * x +", negate="    return -x")  # SyntaxError
    student(folder, "dave", double="    return x + 2.0", negate="    return -x")  # one mistake
    student(folder, "erin", double="    return x + 2.0")  # mistake, negate left undone
    (folder / "zed.ipynb").write_text("{not json")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "bob-checkpoint.ipynb").write_text("{}")
    rows = grade([folder], timeout=30, jobs=2)
    return folder, {row.student: row for row in rows}, rows


def test_all_solved(graded):
    _, rows, _ = graded
    alice = rows["alice"]  # lesson-named file: the folder names the student
    assert (alice.passed, alice.total, alice.status, alice.reason, alice.failed) == (2, 2, "passed", "", [])


def test_none_solved_is_todo(graded):
    bob = graded[1]["bob"]
    assert (bob.passed, bob.total, bob.status) == (0, 2, "todo")
    assert bob.todo == ["check_double", "check_negate"] == bob.failed
    assert bob.reason == "2 of 2 checks not implemented yet"


def test_syntax_error_is_reported_and_later_exercises_still_graded(graded):
    carol = graded[1]["carol"]
    assert (carol.passed, carol.total, carol.status) == (1, 2, "error")
    assert carol.failed == ["check_double"]
    assert carol.reason.startswith("cell 2 raised SyntaxError: invalid syntax")
    assert carol.reason.endswith("1 check gave no result")


def test_all_attempted_one_wrong_is_failed_and_named(graded):
    dave = graded[1]["dave"]
    assert (dave.passed, dave.total, dave.status, dave.failed, dave.todo) == (
        1, 2, "failed", ["check_double"], [])
    assert format_table([dave]).splitlines()[1].split() == ["dave", "1/2", "failed", "failed:",
                                                             "check_double"]


def test_wrong_and_half_done(graded):
    erin = graded[1]["erin"]
    assert (erin.passed, erin.total, erin.status) == (0, 2, "todo")
    assert erin.failed == ["check_double", "check_negate"] and erin.todo == ["check_negate"]
    # the table names the wrong one beside the one not done yet
    assert format_table([erin]).splitlines()[1].endswith(
        "1 of 2 checks not implemented yet; failed: check_double")


def test_unreadable_notebook_is_a_row_not_a_crash(graded):
    zed = graded[1]["zed"]
    assert (zed.passed, zed.total, zed.status) == (0, 0, "error")
    assert zed.reason.startswith("cannot read the notebook: NotJSONError")


def test_rows_follow_path_order_and_skip_checkpoints(graded):
    folder, _, rows = graded
    assert [r.student for r in rows] == ["alice", "bob", "carol", "dave", "erin", "zed"]
    assert rows[0].path == str(folder / "alice" / "01_double.ipynb")


def test_student_files_are_not_changed(graded):
    folder = graded[0]
    nb = nbformat.read(str(folder / "bob.ipynb"), as_version=4)
    assert all(c.get("outputs", []) == [] for c in nb.cells)


def test_csv_and_json(graded, tmp_path):
    _, _, rows = graded
    write_csv(rows, tmp_path / "g.csv")
    write_json(rows, tmp_path / "g.json")
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["student"] for r in table] == ["alice", "bob", "carol", "dave", "erin", "zed"]
    assert table[1]["passed"] == "0" and table[1]["total"] == "2"
    assert table[1]["failed"] == "check_double;check_negate" and table[1]["status"] == "todo"
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert data[4] == {
        "student": "erin", "path": rows[4].path, "passed": 0, "total": 2, "status": "todo",
        "reason": "1 of 2 checks not implemented yet", "failed": ["check_double", "check_negate"],
        "todo": ["check_negate"],
    }


def test_endless_loop_times_out_with_progress(tmp_path, capsys):
    path = student(tmp_path, "dave", double="    while True:\n        pass", negate="    return -x")
    [row] = grade([path], timeout=4)
    assert (row.passed, row.total, row.status) == (0, 2, "timeout")
    assert row.reason == ("time limit of 4 s reached in cell 3 (an endless loop?); "
                          "2 checks gave no result")
    assert row.failed == ["check_double", "check_negate"]
    err = capsys.readouterr().err
    assert "grading [########################] 1/1 dave" in err


# ----------------------------------------------------------------------------- no kernel


def test_check_calls_found_in_source():
    source = ("from nnlesson.course.checks import check_a  # check_b(f) in a comment\n"
              "def check_mine(f):\n    pass\n"
              "r = nl.checks.check_c(f); check_d (g)\nmy_check_e(f)\nx.recheck_f(f)")
    assert _check_calls(source) == ["check_c", "check_d"]


def test_student_name(tmp_path):
    assert student_name(tmp_path / "alice.ipynb") == "alice"
    assert student_name(tmp_path / "bob" / "06_adam_and_adamw.ipynb") == "bob"


def test_find_notebooks_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        find_notebooks([tmp_path / "missing"])
    (tmp_path / "notes.txt").write_text("")
    with pytest.raises(ValueError, match="not a notebook"):
        find_notebooks([tmp_path / "notes.txt"])
    with pytest.raises(FileNotFoundError, match="no notebooks"):
        find_notebooks([tmp_path])


def test_grade_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match="timeout must be a finite number > 0"):
        grade([tmp_path], timeout=0)
    with pytest.raises(ValueError, match="jobs must be an integer >= 1"):
        grade([tmp_path], jobs=0)


def test_format_table():
    rows = [GradeRow("alice", "a.ipynb", 2, 2, "passed"),
            GradeRow("bob", "b.ipynb", 1, 2, "failed", failed=["check_x"]),
            GradeRow("carolina", "c.ipynb", 0, 2, "timeout", "time limit of 5 s reached in cell 3"),
            GradeRow("dan", "d.ipynb", 0, 2, "todo", "1 of 2 checks not implemented yet",
                     failed=["check_x", "check_y"], todo=["check_y"])]
    assert format_table(rows) == (
        "student   score  status   notes\n"
        "alice     2/2    passed\n"
        "bob       1/2    failed   failed: check_x\n"
        "carolina  0/2    timeout  time limit of 5 s reached in cell 3\n"
        "dan       0/2    todo     1 of 2 checks not implemented yet; failed: check_x\n"
    )
