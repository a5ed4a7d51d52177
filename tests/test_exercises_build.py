"""Exercises generated from solutions; no answer ever overwritten; notebooks executed
reproducibly; the nbval sanitize file."""
import hashlib
import json
import os
import re
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbval.plugin import get_sanitize_patterns

from nnlesson.course.checks import MIME_TYPE
from nnlesson.tools.exercises_build import (
    STUB,
    Written,
    build_exercises,
    is_up_to_date,
    make_exercise,
    select_lessons,
    stale_exercises,
)
from nnlesson.tools.notebooks import AnswersWouldBeLost, NotebookExecutionError, execute_notebook

ROOT = Path(__file__).resolve().parent.parent

CHECK_SETUP = '''import numpy as np
from nnlesson.course.checks import Case, Mistake, run_check

def check_double(fn):
    cases = [Case("a vector", (np.arange(3.0),))]
    return run_check("check_double", fn, cases, lambda x: 2.0 * x)'''

SOLVED = '''def double(x):
    """Return 2 x."""
    ### BEGIN SOLUTION
    y = 2.0 * x
    return y
    ### END SOLUTION'''

HINTS = "<details><summary>Hint 1 · the idea</summary>\n\nmultiply by 2.\n\n</details>"
STUB_CELL = f'def double(x):\n    """Return 2 x."""\n    # Your code here (hints above).\n    {STUB}'


def solution_notebook():
    return new_notebook(cells=[
        new_markdown_cell("# Doubling\nWhy 2x?\n<!-- BEGIN SOLUTION -->\nBecause twice.\n<!-- END SOLUTION -->",
                          metadata={"slideshow": {"slide_type": "slide"}}),
        new_markdown_cell("<!-- BEGIN SOLUTION -->\nOnly an answer.\n<!-- END SOLUTION -->"),
        new_code_cell(CHECK_SETUP),
        new_markdown_cell(HINTS, id="answer-hints"),
        new_code_cell(SOLVED, outputs=[nbformat.v4.new_output("stream", text="y = 6\n")],
                      execution_count=3, id="answer"),
        new_code_cell("result = check_double(double)\nresult", id="check"),
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
    assert len(ex.cells) == 5  # answer-only markdown and solution-only cell dropped
    assert ex.cells[2].source == HINTS  # the hint levels stay, right before the stub
    assert ex.cells[3].source == STUB_CELL
    assert ex.cells[3].outputs == [] and ex.cells[3].execution_count is None
    text = all_text(ex)
    for secret in ("Because twice", "Only an answer", "y = 2.0 * x", "return y", "secret answer",
                   "BEGIN SOLUTION", "y = 6"):
        assert secret not in text
    assert "raises-exception" not in ex.cells[3].metadata.get("tags", [])
    compile(ex.cells[3].source, "exercise", "exec")  # the stub is valid Python


def test_answer_and_check_cells_are_marked_and_keep_their_ids():
    solution = solution_notebook()
    ex = make_exercise(solution)
    assert [c.id for c in ex.cells] == [c.id for c in solution.cells[:1] + solution.cells[2:6]]
    assert ex.cells[3].metadata["nnlesson"] == {
        "role": "answer", "defines": ["double"],
        "stub_sha256": hashlib.sha256(STUB_CELL.encode()).hexdigest()}
    assert ex.cells[4].metadata["nnlesson"] == {
        "role": "check", "check": "check_double", "answer": "double"}
    assert "nnlesson" not in ex.cells[1].metadata  # defines check_double, calls nothing
    # Other keys under metadata.nnlesson are kept; a class and several definitions are named.
    nb = new_notebook(cells=[new_code_cell(
        "class Drop:\n    def forward(self):\n        ### BEGIN SOLUTION\n        return 1\n"
        "        ### END SOLUTION\n\ndef helper():\n    return 2",
        metadata={"nnlesson": {"ignore_output": "why"}})])
    assert make_exercise(nb).cells[0].metadata["nnlesson"]["defines"] == ["Drop", "helper"]
    assert make_exercise(nb).cells[0].metadata["nnlesson"]["ignore_output"] == "why"


def test_stub_without_hint_cell_does_not_point_to_hints():
    nb = new_notebook(cells=[new_markdown_cell("Write it."), new_code_cell(SOLVED)])
    assert make_exercise(nb).cells[1].source == STUB_CELL.replace(" (hints above)", "")


def test_hint_lines_in_code_are_rejected():
    nb = new_notebook(cells=[new_code_cell(
        "def f():\n    ### BEGIN SOLUTION\n    ### HINT: use 2.\n    return 2\n    ### END SOLUTION")])
    with pytest.raises(ValueError, match=re.escape(
            "notebook: cell 1: line 3: '### HINT:' lines are not used any more")) as info:
        make_exercise(nb)
    assert "<details><summary>Hint 1 · the idea</summary>" in str(info.value)


def test_block_without_hint_and_top_level_block():
    nb = new_notebook(cells=[
        new_code_cell("class Net:\n    def f(self):\n        ### BEGIN SOLUTION\n        return 1\n        ### END SOLUTION"),
        new_code_cell("lr = None\n### BEGIN SOLUTION\nlr = 0.1\n### END SOLUTION\nprint(lr)"),
        new_code_cell("for i in range(2):\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION"),
    ])
    ex = make_exercise(nb)
    assert ex.cells[0].source == f"class Net:\n    def f(self):\n        # Your code here.\n        {STUB}"
    assert "tags" not in ex.cells[0].metadata  # inside a function: running the cell is fine
    assert ex.cells[0].metadata["nnlesson"]["defines"] == ["Net"]
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
    assert written == [Written(exercises / "01_double.ipynb", None)]
    written = [w.path for w in written]
    ex = nbformat.read(str(written[0]), as_version=4)
    check_cell = ex.cells[4]
    assert check_cell.source == "result = check_double(double)\nresult"
    summary = check_cell.outputs[0]["data"][MIME_TYPE]
    assert summary["status"] == "todo" and summary["name"] == "check_double"
    assert check_cell.outputs[0]["data"]["text/plain"].startswith("✎ check_double: not implemented yet")
    assert all("execution" not in c.metadata for c in ex.cells)
    assert is_up_to_date(solutions, exercises)

    # Changing outputs only does not make it stale; changing a source does.
    ex.cells[4].outputs = []
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


# ---------------------------------------------------------------------------------------------
# No answer is ever overwritten

ANSWER = 'def double(x):\n    """Return 2 x."""\n    return x + x  # my answer'


def generated(tmp_path, solution=None):
    """A solutions/ folder and the exercises generated from it (not executed)."""
    solutions, exercises = tmp_path / "solutions", tmp_path / "exercises"
    write(solution or solution_notebook(), solutions / "01_double.ipynb")
    build_exercises(solutions, exercises, execute=False)
    return solutions, exercises, exercises / "01_double.ipynb"


def answer_as_a_student_would(path, source=ANSWER, cell_id="answer"):
    """Open the notebook, replace the answer cell's code, save (as JupyterLab writes it)."""
    nb = nbformat.read(str(path), as_version=4)
    cell = next(c for c in nb.cells if c.id == cell_id)
    cell.source = source
    nbformat.write(nb, str(path))
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    return path.read_bytes()


def test_regenerating_refuses_to_replace_an_answer(tmp_path):
    solutions, exercises, path = generated(tmp_path)
    work = answer_as_a_student_would(path)
    with pytest.raises(AnswersWouldBeLost) as info:
        build_exercises(solutions, exercises, execute=False)
    assert path.read_bytes() == work
    assert path.stat().st_mtime_ns == 1_600_000_000_000_000_000
    message = str(info.value)
    assert f"{path}: double" in message
    assert "work someone wrote" in message and "--force" in message and ".bak" in message
    assert sorted(p.name for p in exercises.iterdir()) == ["01_double.ipynb"]  # no backup yet


def test_force_keeps_a_backup_then_regenerates(tmp_path):
    solutions, exercises, path = generated(tmp_path)
    work = answer_as_a_student_would(path)
    [(written, backup)] = build_exercises(solutions, exercises, execute=False, force=True)
    assert written == path and backup.parent == exercises
    assert re.fullmatch(r"01_double\.ipynb\.\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d(-\d+)?\.bak", backup.name)
    assert backup.read_bytes() == work  # the answer is in the backup, byte for byte
    assert ANSWER in nbformat.read(str(backup), as_version=4).cells[3].source
    assert nbformat.read(str(path), as_version=4).cells[3].source == STUB_CELL


def test_untouched_exercises_are_regenerated_even_when_the_solution_changed(tmp_path):
    solutions, exercises, path = generated(tmp_path)
    # The solution's docstring changes: the stub on disk is not the new stub, but it is the
    # stub the generator wrote (its hash is recorded), so it is nobody's work.
    changed = solution_notebook()
    changed.cells[4].source = changed.cells[4].source.replace("Return 2 x.", "Twice x.")
    write(changed, solutions / "01_double.ipynb")
    [(written, backup)] = build_exercises(solutions, exercises, execute=False)
    assert backup is None
    assert "Twice x." in nbformat.read(str(path), as_version=4).cells[3].source


def test_a_file_from_before_stubs_were_recorded(tmp_path):
    # Exercises generated by the earlier generator: no metadata, a '# Hint: ...' comment.
    solutions, exercises, path = generated(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    nb.metadata.pop("nnlesson", None)
    for cell in nb.cells:
        cell.metadata.pop("nnlesson", None)
    nb.cells[3].source = STUB_CELL.replace("# Your code here (hints above).", "# Hint: multiply by 2.")
    write(nb, path)
    assert build_exercises(solutions, exercises, execute=False)[0].backup is None
    nb.cells[3].source = ANSWER
    write(nb, path)
    with pytest.raises(AnswersWouldBeLost, match="double"):
        build_exercises(solutions, exercises, execute=False)


def test_a_written_decision_or_a_cell_of_ones_own_is_kept(tmp_path):
    """Work is not only code: a markdown cell the exercise asks to write in ("Decide ...
    Write your answer here"), or a cell the student added, holds work too."""
    solutions, exercises, path = generated(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    nb.cells[0].source += "\n\nMy decision: twice, because ..."
    nb.cells.append(new_markdown_cell("notes of my own"))
    write(nb, path)
    work = path.read_bytes()
    with pytest.raises(AnswersWouldBeLost) as info:
        build_exercises(solutions, exercises, execute=False)
    assert f"{path}: cell 1 (markdown), cell 6 (markdown, added)" in str(info.value)
    assert path.read_bytes() == work


def test_a_notebook_saved_by_jupyterlab_is_regenerated(tmp_path):
    """Run and saved again, untouched: outputs, JupyterLab's own metadata and its formatting
    (indent 1, sorted keys, sources as lists of lines) are nobody's work."""
    solutions, exercises, path = generated(tmp_path)
    data = json.loads(path.read_text())  # (nbformat too stores sources as lists of lines)
    for cell in data["cells"]:
        cell["metadata"]["trusted"] = True
        cell["metadata"]["execution"] = {"iopub.status.idle": "2026-01-01T00:00:00Z"}
        if cell["cell_type"] == "code":
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["6\n"]}]
            cell["execution_count"] = 1
    data["metadata"]["widgets"] = {}
    path.write_text(json.dumps(data, indent=1, sort_keys=True))
    [(written, backup)] = build_exercises(solutions, exercises, execute=False)
    assert backup is None


def test_an_answer_changed_only_in_whitespace_is_kept(tmp_path):
    # When in doubt a cell is someone's work: --force regenerates it, after a backup.
    solutions, exercises, path = generated(tmp_path)
    answer_as_a_student_would(path, STUB_CELL + "\n\n")
    with pytest.raises(AnswersWouldBeLost, match="double"):
        build_exercises(solutions, exercises, execute=False)


def test_answer_found_by_the_function_it_defines(tmp_path):
    # The student deleted the stub cell and wrote the function in a new cell (a new id).
    solutions, exercises, path = generated(tmp_path)
    nb = nbformat.read(str(path), as_version=4)
    del nb.cells[3]
    nb.cells.append(new_code_cell(ANSWER))
    write(nb, path)
    with pytest.raises(AnswersWouldBeLost, match="double"):
        build_exercises(solutions, exercises, execute=False)
    # A half-written answer that does not parse is found too.
    nb.cells[-1].source = "def double(x):\n    return x +"
    write(nb, path)
    with pytest.raises(AnswersWouldBeLost, match="double"):
        build_exercises(solutions, exercises, execute=False)


def test_unreadable_exercise_is_kept(tmp_path):
    solutions, exercises, path = generated(tmp_path)
    path.write_text('{"cells": [ half a notebook')
    with pytest.raises(AnswersWouldBeLost, match="not a readable notebook"):
        build_exercises(solutions, exercises, execute=False)
    assert path.read_text() == '{"cells": [ half a notebook'


def test_refusal_writes_nothing_at_all(tmp_path):
    # Two lessons, one holds work: neither file is written.
    solutions, exercises, path = generated(tmp_path)
    write(solution_notebook(), solutions / "02_double.ipynb")
    work = answer_as_a_student_would(path)
    with pytest.raises(AnswersWouldBeLost):
        build_exercises(solutions, exercises, execute=False)
    assert path.read_bytes() == work
    assert not (exercises / "02_double.ipynb").exists()


def test_execute_refuses_a_notebook_with_answers(tmp_path):
    solutions, exercises, path = generated(tmp_path)
    work = answer_as_a_student_would(path)
    with pytest.raises(AnswersWouldBeLost, match="executing it rewrites the file") as info:
        execute_notebook(path, timeout=60)
    assert f"{path}: double" in str(info.value)
    assert path.read_bytes() == work
    assert path.stat().st_mtime_ns == 1_600_000_000_000_000_000


def test_select_lessons(tmp_path):
    files = [tmp_path / "04_momentum.ipynb", tmp_path / "10_normalization_layers.ipynb"]
    assert select_lessons(files, []) == files
    for name in ("4", "04", "momentum", "04_momentum", "solutions/04_momentum.ipynb"):
        assert select_lessons(files, [name]) == files[:1]
    assert select_lessons(files, ["10", "4", "momentum"]) == files
    with pytest.raises(ValueError, match="lesson '99' matches no solution notebook "
                                         r"\(there are: 04_momentum, 10_normalization_layers\)"):
        select_lessons(files, ["99"])
