"""The command line: help, start, grade, exercises, execute, slides; errors are one line, exit 2;
no command replaces an answer someone wrote."""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from nnlesson.tools import workspace
from nnlesson.tools.cli import main

ROOT = Path(__file__).resolve().parent.parent

SOLUTION = new_notebook(cells=[
    new_code_cell("import numpy as np\nfrom nnlesson.course.checks import Case, run_check\n\n"
                  "def check_double(fn):\n"
                  "    return run_check('check_double', fn, [Case('v', (np.ones(2),))], lambda x: 2 * x)"),
    new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    new_code_cell("check_double(double)"),
])


def run_module(*args):
    return subprocess.run([sys.executable, "-m", "nnlesson", *args], capture_output=True,
                          text=True, cwd=ROOT)


def test_module_help_lists_commands():
    out = run_module("--help")
    assert out.returncode == 0
    for command in ("start", "grade", "exercises", "execute", "slides"):
        assert command in out.stdout
    assert "nnlesson start" in out.stdout and "~/my-nnlesson" in out.stdout


@pytest.mark.parametrize("command", ["start", "grade", "exercises", "execute", "slides"])
def test_command_help(command, capsys):
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: nnlesson {command}")


def test_missing_argument_is_one_line_exit_2():
    out = run_module("grade")
    assert out.returncode == 2
    assert out.stderr == ("nnlesson grade: error: the following arguments are required: PATH "
                          "(see 'nnlesson grade --help')\n")


@pytest.mark.parametrize("argv, message", [
    (["grade", "x", "--timeout", "soon"], "argument --timeout: must be a number of seconds > 0, got 'soon'"),
    (["grade", "x", "--jobs", "0"], "argument --jobs: must be a whole number >= 1, got '0'"),
    (["teach"], "argument COMMAND: invalid choice: 'teach'"),
    (["start", "--port", "8890"], "nnlesson start: error: unrecognized arguments: --port "
                                  "(arguments for jupyter lab go after '--'"),
    (["exercises", "--frce"], "nnlesson exercises: error: unrecognized arguments: --frce"),
])
def test_bad_arguments_exit_2(argv, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_runtime_errors_are_one_line_exit_2(tmp_path, capsys):
    assert main(["grade", str(tmp_path / "nobody")]) == 2
    assert capsys.readouterr().err == f"nnlesson grade: error: no such file or folder: '{tmp_path / 'nobody'}'\n"
    assert main(["exercises", "--solutions", str(tmp_path / "none")]) == 2
    assert capsys.readouterr().err.startswith("nnlesson exercises: error: no solutions folder")
    assert main(["execute", str(tmp_path / "missing.ipynb")]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_grade_folder_writes_table_csv_and_json(tmp_path, capsys):
    from nnlesson.tools.exercises_build import make_exercise

    (tmp_path / "class").mkdir()
    nbformat.write(SOLUTION, str(tmp_path / "class" / "ann.ipynb"))
    nbformat.write(make_exercise(SOLUTION), str(tmp_path / "class" / "ben.ipynb"))
    nbformat.write(make_exercise(SOLUTION), str(tmp_path / "01_double.ipynb"))  # the release
    code = main(["grade", str(tmp_path / "class"), "--timeout", "30", "--jobs", "2", "--quiet",
                 "--release", str(tmp_path / "01_double.ipynb"),
                 "--csv", str(tmp_path / "g.csv"), "--json", str(tmp_path / "g.json")])
    assert code == 0
    out, err = capsys.readouterr()
    assert out == ("student  score  status  notes\n"
                   "ann      1/1    passed\n"
                   "ben      0/1    todo    1 of 1 checks not implemented yet\n")
    assert err == ""  # --quiet: no progress bar
    assert (tmp_path / "g.csv").read_text().splitlines()[0] == (
        "student,path,exercise,passed,total,status,reason,failed,todo,mistakes")
    rows = json.loads((tmp_path / "g.json").read_text())["rows"]
    assert [r["status"] for r in rows] == ["passed", "todo"]


def test_exercises_regenerate_and_check(tmp_path, capsys):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(SOLUTION, str(solutions / "01_double.ipynb"))
    args = ["--solutions", str(solutions), "--exercises", str(exercises)]
    assert main(["exercises", "--check", *args]) == 1
    assert "out of date: 01_double.ipynb (missing)" in capsys.readouterr().err
    assert main(["exercises", "--no-execute", *args]) == 0
    assert capsys.readouterr().out == f"{exercises / '01_double.ipynb'}\n"
    assert main(["exercises", "--check", *args]) == 0
    assert capsys.readouterr().out == "exercises are up to date\n"


def test_execute_failure_is_one_line_exit_2(tmp_path, capsys):
    path = tmp_path / "bad.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell("raise KeyError('lr')")]), str(path))
    assert main(["execute", str(path), "--timeout", "60"]) == 2
    assert capsys.readouterr().err == f"nnlesson execute: error: {path}: cell 1 raised KeyError: 'lr'\n"


def test_slides_calls_the_deck_builder_with_its_arguments_parsed_once(monkeypatch):
    calls = []
    monkeypatch.setattr("nnlesson.tools.slides.run_command",
                        lambda out, lessons, pdf: calls.append((out, lessons, pdf)) or 7)
    assert main(["slides", "--out", "decks", "--pdf", "4", "06_adam_and_adamw"]) == 7
    assert main(["slides"]) == 7
    assert calls == [("decks", ["4", "06_adam_and_adamw"], True), ("slides_out", [], False)]


# ---------------------------------------------------------------------------------------------
# No command replaces an answer someone wrote

def exercise_with_an_answer(tmp_path):
    """solutions/ and a generated exercise in which a student wrote an answer and saved."""
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    solutions.mkdir()
    nbformat.write(SOLUTION, str(solutions / "01_double.ipynb"))
    assert main(["exercises", "--no-execute", "--solutions", str(solutions),
                 "--exercises", str(exercises)]) == 0
    path = exercises / "01_double.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[1].source = "def double(x):\n    return x * 2  # mine"
    nbformat.write(nb, str(path))
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return solutions, exercises, path, path.read_bytes()


def assert_refusal(err, path, command):
    lines = err.splitlines()
    assert lines[0] == (f"nnlesson {command}: refused: 1 notebook holds work someone wrote, "
                        + ("and regenerating would replace them (answers with empty stubs, "
                           "other cells with the course's version):"
                           if command == "exercises" else "and executing rewrites the file:"))
    assert lines[1] == f"  {path}: double"
    assert lines[2].startswith("Nothing was written.") and "add --force" in lines[2]
    assert re.search(re.escape(f"{path}.") + r"\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.bak", lines[2])


def test_exercises_refuses_to_replace_an_answer(tmp_path, capsys):
    solutions, exercises, path, work = exercise_with_an_answer(tmp_path)
    capsys.readouterr()
    args = ["--no-execute", "--solutions", str(solutions), "--exercises", str(exercises)]
    assert main(["exercises", *args]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert_refusal(err, path, "exercises")
    assert "'nnlesson start DIR'" in err  # where a student's work belongs
    assert path.read_bytes() == work and path.stat().st_mtime_ns == 1_600_000_000_000_000_000

    assert main(["exercises", "--force", *args]) == 0
    out = capsys.readouterr().out
    backup = Path(re.fullmatch(rf"{re.escape(str(path))} \(the answers it held are in (.+)\)\n",
                               out).group(1))
    assert backup.read_bytes() == work
    assert "# mine" not in path.read_text()


def test_exercises_refusal_as_a_subprocess(tmp_path):
    solutions, exercises, path, work = exercise_with_an_answer(tmp_path)
    out = run_module("exercises", "--no-execute", "--solutions", str(solutions),
                     "--exercises", str(exercises))
    assert out.returncode == 2 and out.stdout == ""
    assert_refusal(out.stderr, path, "exercises")
    assert path.read_bytes() == work and path.stat().st_mtime_ns == 1_600_000_000_000_000_000


def test_execute_refuses_an_answer_then_force_keeps_a_backup(tmp_path, capsys):
    _, _, path, work = exercise_with_an_answer(tmp_path)
    capsys.readouterr()
    assert main(["execute", str(path), "--timeout", "60"]) == 2
    assert_refusal(capsys.readouterr().err, path, "execute")
    assert path.read_bytes() == work and path.stat().st_mtime_ns == 1_600_000_000_000_000_000

    assert main(["execute", str(path), "--timeout", "60", "--force"]) == 0
    out = capsys.readouterr().out
    backup = Path(re.fullmatch(rf"{re.escape(str(path))} \(backup before running: (.+)\)\n",
                               out).group(1))
    assert backup.read_bytes() == work
    ran = nbformat.read(str(path), as_version=4)
    assert "# mine" in ran.cells[1].source  # the answer stays; the check ran on it
    assert ran.cells[2].outputs and "passed" in json.dumps(ran.cells[2].outputs)


# ---------------------------------------------------------------------------------------------
# nnlesson start

def test_start_copies_reports_and_launches_jupyter_lab(tmp_path, capsys, monkeypatch):
    launched = []
    monkeypatch.setattr(workspace, "run_jupyter_lab", lambda launch: launched.append(launch) or 0)
    folder = tmp_path / "mine"
    assert main(["start", str(folder), "--", "--port", "8890", "--no-browser"]) == 0
    out = capsys.readouterr().out
    n = len(workspace.course_files())
    assert out.startswith(f"Your course folder: {folder}\nadded {n} files (")
    assert f"Opening JupyterLab in {folder} at notebooks/00_course_map.ipynb" in out
    [launch] = launched
    assert launch == workspace.jupyter_lab_launch(folder, ["--port", "8890", "--no-browser"])
    assert launch.argv[-3:] == ["--port", "8890", "--no-browser"]


def test_start_no_launch_prints_the_command_and_keeps_work(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(workspace, "run_jupyter_lab", lambda launch: pytest.fail("launched"))
    folder = tmp_path / "mine"
    assert main(["start", str(folder), "--no-launch"]) == 0
    first = capsys.readouterr().out
    assert first.splitlines()[-1].startswith("To open it in JupyterLab: ")
    assert first.splitlines()[-1].endswith(f"-m nnlesson start {folder}")
    mine = folder / "exercises" / "04_momentum.ipynb"
    mine.write_text(mine.read_text().replace("# Your code here", "# my notes"))
    assert main(["start", str(folder), "--no-launch", "--", "--port", "8890"]) == 0
    out = capsys.readouterr().out.splitlines()
    n = len(workspace.course_files())
    assert out[1] == "added nothing: you have every file of the course"
    assert out[2] == (f"kept {n} files you already had (never replaced): {n - 1} the same as the "
                      "course's, 1 different (your work, or an older version of the course):")
    assert out[3] == "  exercises/04_momentum.ipynb"
    assert out[-1].endswith(f"start {folder} -- --port 8890")
    assert "# my notes" in mine.read_text()


def test_start_as_a_subprocess(tmp_path):
    out = run_module("start", str(tmp_path / "mine"), "--no-launch")
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "mine" / "notebooks" / "00_course_map.ipynb").is_file()
    assert out.stdout.splitlines()[-1] == (f"To open it in JupyterLab: {sys.executable} -m "
                                           f"nnlesson start {tmp_path / 'mine'}")


def test_start_refuses_a_folder_inside_the_course(capsys):
    inside = ROOT / "exercises" / "mine"
    assert main(["start", str(inside), "--no-launch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"nnlesson start: error: DIR must be a folder outside the course, "
                          f"got '{inside}'")
    assert err.count("\n") == 1
    assert not inside.exists()
