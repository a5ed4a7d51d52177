"""Every lesson of the syllabus is complete: each piece the README promises exists and is wired.

A lesson's number and slug lead to its notebook, experiments, exercises, solutions, checks and
tests (nnlesson/course/__init__.py). This file fails when a piece is missing, so "in preparation" can
never hide in a table.
"""
import importlib
import re
from pathlib import Path

import nbformat
import pytest

from nnlesson.course import LESSONS

ROOT = Path(__file__).resolve().parents[1]
WITH_EXERCISES = [lesson for lesson in LESSONS if lesson.number >= 1]  # 00 is the course map
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}


def read(path):
    return nbformat.read(ROOT / path, as_version=4)


def test_the_syllabus_has_lessons_00_to_14():
    assert [lesson.number for lesson in LESSONS] == list(range(15))


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_each_lesson_has_a_notebook_experiments_and_tests(lesson):
    assert (ROOT / lesson.notebook).is_file(), lesson.notebook
    module = importlib.import_module(f"nnlesson.course.lessons.{lesson.slug}")
    public = getattr(module, "__all__", dir(module))
    assert any(name.startswith("explore_") for name in public), "no explore_* widget"
    assert any(name.startswith(("snapshot_", "figure_")) for name in public), "no static figure"
    for kind in ("lessons", "claims"):
        assert (ROOT / "tests" / f"test_{kind}_{lesson.slug}.py").is_file(), kind


@pytest.mark.parametrize("lesson", LESSONS, ids=lambda lesson: lesson.name)
def test_each_notebook_is_a_deck_with_a_slider_and_uses_its_lesson_module(lesson):
    nb = read(lesson.notebook)
    for i, cell in enumerate(nb.cells):
        slide_type = cell.metadata.get("slideshow", {}).get("slide_type")
        assert slide_type in SLIDE_TYPES, f"cell {i} has no slide type"
    assert nb.cells[0].source.startswith(f"# {lesson.number:02d}"), "title slide"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f"nnlesson.course.lessons import {lesson.slug}" in code or f"lessons.{lesson.slug}" in code
    widget_cells = [c for c in nb.cells if c.cell_type == "code" and ".explore_" in c.source]
    assert widget_cells, "no experiment with sliders"
    for cell in widget_cells:
        assert "nbval-ignore-output" in cell.metadata.get("tags", []), cell.source
        # each experiment on its own slide (a subslide under its "predict" question is fine)
        assert cell.metadata["slideshow"]["slide_type"] in ("slide", "subslide"), cell.source
    assert any(c.metadata.get("slideshow", {}).get("slide_type") == "notes" for c in nb.cells)


@pytest.mark.parametrize("lesson", WITH_EXERCISES, ids=lambda lesson: lesson.name)
def test_each_lesson_has_exercises_solutions_and_checks_that_the_solution_calls(lesson):
    assert (ROOT / lesson.solution).is_file() and (ROOT / lesson.exercise).is_file()
    checks = importlib.import_module(f"nnlesson.course.checks.{lesson.slug}")
    names = [n for n in checks.__all__ if n.startswith("check_")]
    assert len(names) >= 2, "at least two exercises per lesson"
    solution = "\n".join(c.source for c in read(lesson.solution).cells if c.cell_type == "code")
    exercise = "\n".join(c.source for c in read(lesson.exercise).cells if c.cell_type == "code")
    used = set(re.findall(r"\b(check_\w+)\(", solution))
    assert used >= set(names), f"checks never used: {set(names) - used}"
    assert solution.count("### BEGIN SOLUTION") >= 2
    assert "### BEGIN SOLUTION" not in exercise and "NotImplementedError" in exercise
    assert (ROOT / "tests" / f"test_checks_{lesson.slug}.py").is_file()


def test_the_readme_links_every_lesson_and_promises_nothing_unwritten():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for lesson in LESSONS:
        assert f"]({lesson.notebook})" in readme, lesson.name
    assert "in preparation" not in readme


ALL_NOTEBOOKS = sorted(p.relative_to(ROOT) for folder in ("notebooks", "solutions", "exercises")
                       for p in (ROOT / folder).glob("*.ipynb"))


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=str)
def test_a_cell_whose_output_nbval_ignores_is_a_widget_or_says_why(path):
    """nbval compares every stored output except in cells tagged nbval-ignore-output: widgets
    (their output cannot be compared), and cells whose metadata gives the reason
    (``metadata.nnlesson.ignore_output``). The reason is for the test suite's readers, so it
    never sits in the code a student reads."""
    for i, cell in enumerate(read(path).cells):
        assert "nbval-ignore-output" not in cell.source, (
            f"cell {i}: a comment for the test suite in the student's code; put the reason in "
            "metadata.nnlesson.ignore_output and the tag nbval-ignore-output")
        if "nbval-ignore-output" not in cell.metadata.get("tags", []):
            continue
        if ".explore_" in cell.source or cell.source.startswith("explore_"):
            continue
        reason = cell.metadata.get("nnlesson", {}).get("ignore_output", "")
        assert len(reason) > 40, (
            f"cell {i} ignores its output without a reason in metadata.nnlesson.ignore_output")
