"""Grading against a released exercise: solved, unsolved, half done, broken, endless, unreadable,
renamed, matched by id, by name or by content; the table, CSV and JSON; the course's own
exercises graded solved and untouched."""
import csv
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from nnlesson.tools.exercises_build import make_exercise
from nnlesson.tools.grading import (
    GradeRow,
    check_calls,
    find_notebooks,
    format_table,
    grade,
    read_json,
    student_name,
    write_csv,
    write_json,
)
from nnlesson.tools.grading.release import Releases, bound_names, build_run, load_release

ROOT = Path(__file__).resolve().parents[1]

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
        new_markdown_cell("Double a vector."),
        new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2.0 * x\n"
                      "    ### END SOLUTION"),
        new_code_cell("result = check_double(double)\nresult"),
        new_code_cell("def negate(x):\n    ### BEGIN SOLUTION\n    return -x\n"
                      "    ### END SOLUTION"),
        new_code_cell("check_negate(negate)"),
    ])


SOLUTION = solution()  # one notebook: its cell ids are the release's
RELEASE = make_exercise(SOLUTION)


def write_release(folder):
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(RELEASE, str(folder / "01_double.ipynb"))
    return folder


def student(folder, name, double=None, negate=None, edit=None):
    """The released exercise with the student's bodies filled in (None: left as the stub)."""
    nb = nbformat.from_dict(json.loads(json.dumps(RELEASE)))
    if double is not None:
        nb.cells[2].source = "def double(x):\n" + double
    if negate is not None:
        nb.cells[4].source = "def negate(x):\n" + negate
    if edit is not None:
        edit(nb)
    path = folder / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    release = write_release(tmp_path_factory.mktemp("release"))
    student(folder / "alice", "01_double", double="    return x + x", negate="    return -x")
    student(folder, "bob")
    student(folder, "carol", double="    return 2.0 * x +", negate="    return -x")  # SyntaxError
    student(folder, "dave", double="    return x + 2.0", negate="    return -x")  # one mistake
    student(folder, "erin", double="    return x + 2.0")  # mistake, negate left undone
    (folder / "zed.ipynb").write_text("{not json")
    (folder / ".ipynb_checkpoints").mkdir()
    (folder / ".ipynb_checkpoints" / "bob-checkpoint.ipynb").write_text("{}")
    # JupyterLab's "Duplicate": matched by the lesson number of the file name
    student(folder / "frank", "01_double-Copy1", double="    return 2 * x", negate="    return -x")
    nbformat.write(new_notebook(cells=[new_code_cell("print('my notes')")]),
                   str(folder / "gina.ipynb"))  # not an exercise at all
    # the function itself raises KeyboardInterrupt (a BaseException) inside the check
    student(folder, "hal", double="    raise KeyboardInterrupt", negate="    return -x")
    # valid JSON, but a cell's source is a number: one row, the class is still graded
    broken = json.loads(json.dumps(RELEASE))
    broken["cells"][2]["source"] = 12345
    (folder / "ivan.ipynb").write_text(json.dumps(broken))
    rows = grade([folder], timeout=30, jobs=2, release=release)
    return folder, {row.student: row for row in rows}, rows


def test_all_solved(graded):
    alice = graded[1]["alice"]  # lesson-named file: the folder names the student
    assert (alice.passed, alice.total, alice.status, alice.reason, alice.failed) == (
        2, 2, "passed", "", [])
    assert alice.exercise == "01_double"


def test_none_solved_is_todo(graded):
    bob = graded[1]["bob"]  # named after the student: matched by its cells' ids
    assert (bob.passed, bob.total, bob.status) == (0, 2, "todo")
    assert bob.todo == ["check_double", "check_negate"] == bob.failed
    assert bob.reason == "2 of 2 checks not implemented yet"


def test_syntax_error_is_reported_and_later_exercises_still_graded(graded):
    carol = graded[1]["carol"]
    assert (carol.passed, carol.total, carol.status) == (1, 2, "error")
    assert carol.failed == ["check_double"]
    assert carol.reason.startswith("your cell 3 raised SyntaxError: invalid syntax")
    assert carol.reason.endswith("1 check gave no result")


def test_all_attempted_one_wrong_is_failed_and_named_with_its_mistake(graded):
    dave = graded[1]["dave"]
    assert (dave.passed, dave.total, dave.status, dave.failed, dave.todo) == (
        1, 2, "failed", ["check_double"], [])
    assert dave.mistakes == {"check_double": "added"}
    assert format_table([dave]).splitlines()[1].split() == [
        "dave", "1/2", "failed", "failed:", "check_double", "(added)"]


def test_wrong_and_half_done(graded):
    erin = graded[1]["erin"]
    assert (erin.passed, erin.total, erin.status) == (0, 2, "todo")
    assert erin.failed == ["check_double", "check_negate"] and erin.todo == ["check_negate"]
    # the table names the wrong one beside the one not done yet
    assert format_table([erin]).splitlines()[1].endswith(
        "1 of 2 checks not implemented yet; failed: check_double (added)")


def test_unreadable_notebook_is_a_row_not_a_crash(graded):
    zed = graded[1]["zed"]
    assert (zed.passed, zed.total, zed.status) == (0, 0, "error")
    assert zed.reason.startswith("cannot read the notebook: NotJSONError")


def test_a_copy_is_matched_by_its_lesson_number(graded):
    frank = graded[1]["frank"]
    assert (frank.score, frank.status, frank.exercise) == ("2/2", "passed", "01_double")


def test_a_keyboard_interrupt_of_the_students_is_reported(graded):
    hal = graded[1]["hal"]  # (the grader's own interrupts end as "timeout" or "output")
    assert (hal.score, hal.status) == ("1/2", "error")
    assert hal.reason.startswith("the exercise's cell 4 raised KeyboardInterrupt; ")


def test_a_notebook_of_the_wrong_shape_is_an_error_row(graded):
    ivan = graded[1]["ivan"]
    assert (ivan.score, ivan.status) == ("0/0", "error")
    assert ivan.reason == "cannot read the notebook: ValueError: cell 3 has no text 'source'"


def test_a_notebook_of_too_many_cells_is_an_error_row(tmp_path, monkeypatch):
    """Read before any kernel starts: a notebook of a million little cells (well under the
    size limit) would take the grader itself hours to match against the release."""
    import nnlesson.tools.grading as grading

    monkeypatch.setattr(grading, "_MAX_CELLS", 10)
    nb = nbformat.from_dict(json.loads(json.dumps(RELEASE)))
    nb.cells += [new_code_cell(f"x = {i}") for i in range(5)]
    path = tmp_path / "01_double.ipynb"
    nbformat.write(nb, str(path))
    row = grading.grade_notebook(path, Releases(write_release(tmp_path / "release")))
    assert (row.status, row.score, row.reason) == (
        "error", "0/0", "cannot read the notebook: ValueError: 11 cells, more than the 10 a "
                        "notebook may have")


def test_a_notebook_that_answers_no_exercise_is_an_error_row(graded):
    gina = graded[1]["gina"]
    assert (gina.score, gina.status) == ("0/0", "error")
    assert gina.reason.startswith("no released exercise matches this notebook")


def test_rows_follow_path_order_and_skip_checkpoints(graded):
    folder, _, rows = graded
    assert [r.student for r in rows] == [
        "alice", "bob", "carol", "dave", "erin", "frank", "gina", "hal", "ivan", "zed"]
    assert rows[0].path == str(folder / "alice" / "01_double.ipynb")


def test_csv_and_json(graded, tmp_path):
    _, _, rows = graded
    write_csv(rows, tmp_path / "g.csv")
    write_json(rows, tmp_path / "g.json")
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as f:
        table = list(csv.DictReader(f))
    assert [r["student"] for r in table][:3] == ["alice", "bob", "carol"]
    assert table[1]["passed"] == "0" and table[1]["total"] == "2"
    assert table[1]["failed"] == "check_double;check_negate" and table[1]["status"] == "todo"
    assert table[3]["mistakes"] == "check_double: added"
    data = json.loads((tmp_path / "g.json").read_text(encoding="utf-8"))
    assert data["format"] == "nnlesson-grades" and data["info"]["shard"] is None
    assert data["info"]["limits"] == {"timeout_s": 30, "memory_mb": 2048, "max_output_mb": 10}
    assert data["rows"][4] == {
        "student": "erin", "path": rows[4].path, "passed": 0, "total": 2, "status": "todo",
        "reason": "1 of 2 checks not implemented yet", "failed": ["check_double", "check_negate"],
        "todo": ["check_negate"], "exercise": "01_double", "mistakes": {"check_double": "added"},
    }
    assert read_json(tmp_path / "g.json") == rows


def test_endless_loop_times_out_with_progress(tmp_path, capsys):
    release = write_release(tmp_path / "release")
    path = student(tmp_path, "dave", double="    while True:\n        pass", negate="    return -x")
    [row] = grade([path], timeout=4, release=release)
    assert (row.passed, row.total, row.status) == (0, 2, "timeout")
    assert row.reason == ("time limit of 4 s reached in the exercise's cell 4 (an endless loop?); "
                          "2 checks gave no result")
    assert row.failed == ["check_double", "check_negate"]
    err = capsys.readouterr().err
    assert "grading [########################] 1/1 dave" in err


# ----------------------------------------------------------------------------- the course's own


COURSE = sorted((ROOT / "exercises").glob("*.ipynb"))


def solved_copy(exercise, folder):
    """The course's exercise with every answer cell replaced by the solution's (by cell id)."""
    solution = nbformat.read(str(ROOT / "solutions" / exercise.name), as_version=4)
    answers = {c.get("id"): c.source for c in solution.cells}
    nb = nbformat.read(str(exercise), as_version=4)
    for cell in nb.cells:
        if cell.get("id") in answers and "NotImplementedError" in cell.source:
            cell.source = answers[cell.get("id")]
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(folder / exercise.name))


@pytest.mark.slow
def test_every_course_exercise_graded_solved_and_untouched(tmp_path):
    """Each lesson's exercise, solved, passes every check; untouched, passes none; and the
    guard finds nothing to report in either (no false alarm from the course's own code)."""
    for exercise in COURSE:
        solved_copy(exercise, tmp_path / "solved")
        (tmp_path / "untouched").mkdir(exist_ok=True)
        shutil.copy(exercise, tmp_path / "untouched" / exercise.name)
    rows = grade([tmp_path], timeout=120, progress=False)  # default release: the course's
    assert len(rows) == 2 * len(COURSE)
    for row in rows:
        release = load_release(ROOT / "exercises" / Path(row.path).name)
        assert row.total == release.total > 0
        if Path(row.path).parent.name == "solved":
            assert (row.status, row.passed, row.reason) == ("passed", row.total, ""), row
        else:
            assert (row.status, row.passed) == ("todo", 0), row
            assert row.reason == f"{row.total} of {row.total} checks not implemented yet"


# ----------------------------------------------------------------------------- no kernel


def test_check_calls_found_in_source():
    source = ("from nnlesson.course.checks import check_a  # check_b(f) in a comment\n"
              "def check_mine(f):\n    pass\n"
              "r = nl.checks.check_c(f); check_d (g)\nmy_check_e(f)\nx.recheck_f(f)")
    assert check_calls(source) == ["check_c", "check_d"]


def test_bound_names():
    source = ("import numpy as np\nimport os.path\nfrom a import b as c, d\nx, (y, z) = 1, (2, 3)\n"
              "def f(q):\n    inner = 1\nclass K: pass\nfor i in range(2): pass\n"
              "w = [j for j in range(3)]\nwith open('f') as fh: pass")
    assert bound_names(source) == ["K", "c", "d", "f", "fh", "i", "np", "os", "w", "x", "y", "z"]


def test_roles_come_from_metadata_or_from_the_stub_and_the_check_call(tmp_path):
    write_release(tmp_path)
    release = load_release(tmp_path / "01_double.ipynb")
    assert [c.role for c in release.cells] == ["other", "other", "answer", "check", "answer",
                                               "check"]
    assert release.check_names == ["check_double", "check_negate"]
    # without the generator's metadata the stub and the check call say the same
    bare = nbformat.from_dict(json.loads(json.dumps(RELEASE)))
    for cell in bare.cells:
        cell.metadata.pop("nnlesson", None)
    nbformat.write(bare, str(tmp_path / "bare.ipynb"))
    assert [c.role for c in load_release(tmp_path / "bare.ipynb").cells] == [
        c.role for c in release.cells]
    assert [c.defines for c in release.answers] == [["double"], ["negate"]]


def test_the_run_takes_every_cell_but_the_answers_from_the_release(tmp_path):
    write_release(tmp_path)
    release = load_release(tmp_path / "01_double.ipynb")
    nb = nbformat.from_dict(json.loads(json.dumps(RELEASE)))
    nb.cells[0].source = "import numpy as np  # the student's imports are not used"
    nb.cells[2].source = "def double(x):\n    return 2 * x"
    nb.cells[3].source = "print('a fake result')"
    del nb.cells[5]  # the second check cell
    run = build_run(release, nb, "G")
    assert [c.origin for c in run.cells] == ["exercise", "answer", "exercise", "answer", "exercise"]
    assert run.cells[0].source == RELEASE.cells[0].source
    assert run.cells[1].source == "def double(x):\n    return 2 * x"
    assert run.cells[2].source == (
        "result = G.run('c4.1', 'check_double', check_double, double)\nresult")
    assert run.cells[4].source == "G.run('c6.1', 'check_negate', check_negate, negate)"
    assert run.sites == [("c4.1", "check_double"), ("c6.1", "check_negate")]


def test_a_missing_answer_runs_the_stub_and_an_answer_is_found_by_its_name(tmp_path):
    write_release(tmp_path)
    release = load_release(tmp_path / "01_double.ipynb")
    nb = nbformat.from_dict(json.loads(json.dumps(RELEASE)))
    del nb.cells[4]  # negate's answer cell
    nb.cells[2].id = "0123abcd"  # double's cell, its id lost (pasted from elsewhere)
    nb.cells[2].source = "def double(x):\n    return x * 2"
    run = build_run(release, nb, "G")
    assert [(c.origin, c.number) for c in run.cells] == [
        ("exercise", 1), ("answer", 3), ("exercise", 4), ("stub", 5), ("exercise", 6)]
    assert run.missing == ["negate"]


def test_added_cells_run_only_next_to_an_answer(tmp_path):
    write_release(tmp_path)
    release = load_release(tmp_path / "01_double.ipynb")
    nb = nbformat.from_dict(json.loads(json.dumps(RELEASE)))
    nb.cells.insert(2, new_code_cell("HELPER = 2"))        # before double's answer: runs
    nb.cells.insert(4, new_code_cell("print('after')"))     # after it: runs
    nb.cells.insert(6, new_code_cell("print('x')"))         # just before negate's: runs
    nb.cells.insert(1, new_code_cell("print('top')"))       # after the imports: not run
    nb.cells.append(new_code_cell("print('the end')"))      # after the last check: not run
    run = build_run(release, nb, "G")
    assert [(c.origin, c.number) for c in run.cells] == [
        ("exercise", 1), ("added", 4), ("answer", 5), ("added", 6), ("exercise", 4),
        ("added", 8), ("answer", 9), ("exercise", 6)]
    assert run.ignored == 2


def test_releases_match_by_name_number_or_content(tmp_path):
    write_release(tmp_path / "release")
    releases = Releases(tmp_path / "release")
    nb = nbformat.from_dict(json.loads(json.dumps(RELEASE)))
    assert releases.match("01_double.ipynb", nb).name == "01_double"
    assert releases.match("01_double (1).ipynb", new_notebook()).name == "01_double"
    assert releases.match("alice.ipynb", nb).name == "01_double"
    assert releases.match("alice.ipynb", new_notebook()) is None
    with pytest.raises(FileNotFoundError, match="no release folder or notebook"):
        Releases(tmp_path / "nowhere")
    (tmp_path / "notes").mkdir()
    nbformat.write(new_notebook(cells=[new_code_cell("x = 1")]),
                   str(tmp_path / "notes" / "a.ipynb"))
    with pytest.raises(ValueError, match="no exercise notebooks"):
        Releases(tmp_path / "notes")  # a notebook without checks is no exercise
    assert [r.name for r in Releases(tmp_path).releases] == ["01_double"]  # searched below


def test_student_name(tmp_path):
    assert student_name(tmp_path / "alice.ipynb") == "alice"
    assert student_name(tmp_path / "bob" / "06_adam_and_adamw.ipynb") == "bob"
    nbgrader = tmp_path / "submitted" / "carol" / "06_adam_and_adamw" / "06_adam_and_adamw.ipynb"
    assert student_name(nbgrader) == "carol"


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
    with pytest.raises(ValueError, match="memory must be a finite number >= 256"):
        grade([tmp_path], memory=100)
    with pytest.raises(ValueError, match="max_output must be a finite number > 0"):
        grade([tmp_path], max_output=0)


def test_format_table_names_the_exercise_when_there_are_several():
    rows = [GradeRow("ann", "a/01_x.ipynb", 1, 1, "passed", exercise="01_x"),
            GradeRow("ann", "a/02_y.ipynb", 0, 2, "todo", "2 of 2 checks not implemented yet",
                     exercise="02_y")]
    assert format_table(rows) == (
        "student  exercise  score  status  notes\n"
        "ann      01_x      1/1    passed\n"
        "ann      02_y      0/2    todo    2 of 2 checks not implemented yet\n")


def test_table_and_csv_carry_no_terminal_codes_or_spreadsheet_formulas(tmp_path):
    """A student's file name or error message is text: no escape sequence reaches the
    instructor's terminal, no formula their spreadsheet."""
    rows = [GradeRow("=HYPERLINK(\"http://x\")", "=x.ipynb", 0, 1, "error",
                     "your cell 3 raised ValueError: \x1b[2J\x1b[Hmallory 1/1 passed\u202e")]
    table = format_table(rows)
    assert "\x1b" not in table and "\u202e" not in table
    assert "[2J[Hmallory 1/1 passed" in table
    write_csv(rows, tmp_path / "g.csv")
    with open(tmp_path / "g.csv", newline="", encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    assert row["student"] == "'=HYPERLINK(\"http://x\")" and row["path"] == "'=x.ipynb"


def test_format_table():
    rows = [GradeRow("alice", "a.ipynb", 2, 2, "passed"),
            GradeRow("bob", "b.ipynb", 1, 2, "failed", failed=["check_x"]),
            GradeRow("carolina", "c.ipynb", 0, 2, "timeout", "time limit of 5 s reached in cell 3"),
            GradeRow("dan", "d.ipynb", 0, 2, "todo", "1 of 2 checks not implemented yet",
                     failed=["check_x", "check_y"], todo=["check_y"]),
            GradeRow("eve", "e.ipynb", 0, 2, "tampered", "the notebook changes the grader's "
                     "checks: check_x was redefined (your cell 3)", failed=["check_x", "check_y"])]
    assert format_table(rows) == (
        "student   score  status    notes\n"
        "alice     2/2    passed\n"
        "bob       1/2    failed    failed: check_x\n"
        "carolina  0/2    timeout   time limit of 5 s reached in cell 3\n"
        "dan       0/2    todo      1 of 2 checks not implemented yet; failed: check_x\n"
        "eve       0/2    tampered  the notebook changes the grader's checks: check_x was "
        "redefined (your cell 3)\n"
    )
