"""The command line: help, grade, exercises, execute, slides; errors are one line, exit 2."""
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

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
    for command in ("grade", "exercises", "execute", "slides"):
        assert command in out.stdout


@pytest.mark.parametrize("command", ["grade", "exercises", "execute", "slides"])
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
    code = main(["grade", str(tmp_path / "class"), "--timeout", "30", "--jobs", "2", "--quiet",
                 "--csv", str(tmp_path / "g.csv"), "--json", str(tmp_path / "g.json")])
    assert code == 0
    out, err = capsys.readouterr()
    assert out == ("student  score  status  notes\n"
                   "ann      1/1    passed\n"
                   "ben      0/1    todo    1 of 1 checks not implemented yet\n")
    assert err == ""  # --quiet: no progress bar
    assert (tmp_path / "g.csv").read_text().splitlines()[0] == "student,path,passed,total,status,reason,failed,todo"
    assert [r["status"] for r in json.loads((tmp_path / "g.json").read_text())] == ["passed", "todo"]


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


def test_slides_delegates_to_slides_main(monkeypatch):
    calls = []
    monkeypatch.setattr("nnlesson.tools.slides.main", lambda argv: calls.append(argv) or 7)
    assert main(["slides", "--out", "decks", "--pdf", "4", "06_adam_and_adamw"]) == 7
    assert main(["slides"]) == 7
    assert calls == [["--out", "decks", "--pdf", "4", "06_adam_and_adamw"], []]
