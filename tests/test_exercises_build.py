"""Exercises generated from solutions; notebooks executed reproducibly; the nbval sanitize file."""
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbval.plugin import get_sanitize_patterns

from nnlesson.course.checks import MIME_TYPE
from nnlesson.tools.exercises_build import (
    STUB,
    build_exercises,
    is_up_to_date,
    make_exercise,
    stale_exercises,
)
from nnlesson.tools.notebooks import NotebookExecutionError, execute_notebook

ROOT = Path(__file__).resolve().parent.parent

CHECK_SETUP = '''import numpy as np
from nnlesson.course.checks import Case, Mistake, run_check

def check_double(fn):
    cases = [Case("a vector", (np.arange(3.0),))]
    return run_check("check_double", fn, cases, lambda x: 2.0 * x)'''

SOLVED = '''def double(x):
    """Return 2 x."""
    ### BEGIN SOLUTION
    ### HINT: multiply by 2.
    y = 2.0 * x
    return y
    ### END SOLUTION'''


def solution_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# Doubling\nWhy 2x?\n<!-- BEGIN SOLUTION -->\nBecause twice.\n<!-- END SOLUTION -->",
                          metadata={"slideshow": {"slide_type": "slide"}}),
        new_markdown_cell("<!-- BEGIN SOLUTION -->\nOnly an answer.\n<!-- END SOLUTION -->"),
        new_code_cell(CHECK_SETUP),
        new_code_cell(SOLVED, outputs=[nbformat.v4.new_output("stream", text="y = 6\n")],
                      execution_count=3),
        new_code_cell("check_double(double)"),
        new_code_cell("print('the secret answer')", metadata={"tags": ["solution-only"]}),
    ])


def write(nb, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def all_text(nb):
    return "\n".join(c.source for c in nb.cells) + json.dumps([c.get("outputs") for c in nb.cells])


def test_exercise_has_stubs_hints_and_no_solution():
    ex = make_exercise(solution_notebook())
    assert ex.cells[0].source == "# Doubling\nWhy 2x?"
    assert ex.cells[0].metadata == {"slideshow": {"slide_type": "slide"}}
    assert len(ex.cells) == 4  # answer-only markdown and solution-only cell dropped
    assert ex.cells[2].source == ('def double(x):\n    """Return 2 x."""\n'
                                  "    # Hint: multiply by 2.\n"
                                  f"    {STUB}")
    assert ex.cells[2].outputs == [] and ex.cells[2].execution_count is None
    text = all_text(ex)
    for secret in ("Because twice", "Only an answer", "y = 2.0 * x", "return y", "secret answer",
                   "BEGIN SOLUTION", "y = 6"):
        assert secret not in text
    assert "raises-exception" not in ex.cells[2].metadata.get("tags", [])
    compile(ex.cells[2].source, "exercise", "exec")  # the stub is valid Python


def test_block_without_hint_and_top_level_block():
    nb = new_notebook(cells=[
        new_code_cell("class Net:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION"),
        new_code_cell("lr = None\n### BEGIN SOLUTION\nlr = 0.1\n### END SOLUTION\nprint(lr)"),
        new_code_cell("for i in range(2):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"),
    ])
    ex = make_exercise(nb)
    assert ex.cells[0].source == f"class Net:\n    def f(self):\n        # Your code here.\n        {STUB}"
    assert "tags" not in ex.cells[0].metadata  # inside a function: running the cell is fine
    assert ex.cells[1].source == f"lr = None\n# Your code here.\n{STUB}\nprint(lr)"
    assert ex.cells[1].metadata["tags"] == ["raises-exception"]
    assert ex.cells[2].metadata["tags"] == ["raises-exception"]  # a loop body runs too


@pytest.mark.parametrize("source, message", [
    ("x = 1\n### BEGIN SOLUTION\nx = 2", "cell 1: line 2: '### BEGIN SOLUTION' has no matching"),
    ("### END SOLUTION", "cell 1: line 1: '### END SOLUTION' without"),
    ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "cell 1: line 2: '### BEGIN SOLUTION' inside"),
])
def test_unbalanced_code_markers_are_errors(tmp_path, source, message):
    path = write(new_notebook(cells=[new_code_cell(source)]), tmp_path / "01_x.ipynb")
    with pytest.raises(ValueError, match=re.escape(f"01_x.ipynb: {message}")):
        make_exercise(path)


def test_unbalanced_markdown_marker_is_an_error():
    nb = new_notebook(cells=[new_markdown_cell("a\n<!-- BEGIN SOLUTION -->\nb")])
    with pytest.raises(ValueError, match="cell 1: unmatched '<!-- BEGIN SOLUTION -->'"):
        make_exercise(nb)


def test_build_executes_and_is_up_to_date(tmp_path):
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solution_notebook(), solutions / "01_double.ipynb")
    assert stale_exercises(solutions, exercises) == ["01_double.ipynb (missing)"]

    written = build_exercises(solutions, exercises, execute=True, timeout=60)
    assert written == [exercises / "01_double.ipynb"]
    ex = nbformat.read(str(written[0]), as_version=4)
    check_cell = ex.cells[3]
    assert check_cell.source == "check_double(double)"
    summary = check_cell.outputs[0]["data"][MIME_TYPE]
    assert summary["status"] == "todo" and summary["name"] == "check_double"
    assert check_cell.outputs[0]["data"]["text/plain"].startswith("✎ check_double: not implemented yet")
    assert all("execution" not in c.metadata for c in ex.cells)
    assert is_up_to_date(solutions, exercises)

    # Changing outputs only does not make it stale; changing a source does.
    ex.cells[3].outputs = []
    write(ex, written[0])
    assert is_up_to_date(solutions, exercises)
    sol = solution_notebook()
    sol.cells[2].source += "\n# changed"
    write(sol, solutions / "01_double.ipynb")
    assert stale_exercises(solutions, exercises) == ["01_double.ipynb (out of date)"]
    write(new_notebook(), exercises / "02_orphan.ipynb")
    assert "02_orphan.ipynb (no solution)" in stale_exercises(solutions, exercises)
    assert not is_up_to_date(solutions, exercises)


def test_missing_solutions_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="no solutions folder"):
        stale_exercises(tmp_path / "nope", tmp_path / "exercises")


def test_repository_exercises_are_up_to_date():
    stale = stale_exercises(ROOT / "solutions", ROOT / "exercises")
    assert stale == [], "run `python -m nnlesson exercises`; stale: " + ", ".join(stale)


def test_execute_notebook_uses_repo_root_env_and_is_stable(tmp_path):
    # A fake repository root: pyproject.toml and nnlesson/ next to a data file.
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "nnlesson").mkdir()
    (tmp_path / "data.txt").write_text("found from the root")
    path = write(new_notebook(cells=[
        new_code_cell("import os\nprint(open('data.txt').read())\n"
                      "print(os.environ['PYTHONHASHSEED'], os.environ['OMP_NUM_THREADS'], os.environ['MPLBACKEND'])"),
        new_code_cell("import ipywidgets as w\nw.VBox([w.IntSlider(3), w.FloatSlider(0.5)])"),
    ]), tmp_path / "notebooks" / "00_env.ipynb")
    execute_notebook(path, timeout=60)
    first = path.read_bytes()
    nb = nbformat.read(str(path), as_version=4)
    assert nb.cells[0].outputs[0]["text"] == (
        "found from the root\n0 1 module://matplotlib_inline.backend_inline\n")
    assert all("execution" not in c.metadata for c in nb.cells)
    view = nb.cells[1].outputs[0]["data"]["application/vnd.jupyter.widget-view+json"]
    assert view["model_id"] == f"{1:032x}"
    execute_notebook(path, timeout=60)
    assert path.read_bytes() == first  # widget ids renumbered, no timestamps


def test_execute_notebook_error_is_one_line_and_file_unchanged(tmp_path):
    path = write(new_notebook(cells=[new_code_cell("x = 1"), new_code_cell("1 / 0")]), tmp_path / "bad.ipynb")
    before = path.read_bytes()
    with pytest.raises(NotebookExecutionError) as info:
        execute_notebook(path, timeout=60)
    assert str(info.value) == f"{path}: cell 2 raised ZeroDivisionError: division by zero"
    assert path.read_bytes() == before


def test_sanitize_file_replaces_only_volatile_text():
    patterns = get_sanitize_patterns((ROOT / ".ci" / "nbval_sanitize.cfg").read_text())

    def sanitize(text):
        for regex, replace in patterns:
            text = re.sub(regex, replace, text)
        return text
    sep = "/"
    assert sanitize("<Module object at 0x7f3a2b1c0d90>") == "<Module object at 0xADDRESS>"
    assert sanitize("<Figure size 640x480 with 2 Axes>") == "<Figure>"
    cell_file = sep.join(["", "var", "tmp", "ipykernel_4242", "2791234567.py"])
    assert sanitize(f"File {cell_file}:3, in f") == "File <cell>:3, in f"
    assert sanitize("C:\\Users\\me\\Temp\\ipykernel_7\\123.py") == "<cell>"
    temp = sep.join(["", "private", "var", "tmpab_cd123", "out.png"])
    assert sanitize(f"saved to {temp}") == "saved to <tmpdir>/out.png"
    for kept in ("loss 0.5x smaller", "640x480 pixels", "notes/tmpfile.txt", "✔ check_x: passed 3 cases"):
        assert sanitize(kept) == kept
