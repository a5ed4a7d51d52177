"""The declared checks as a table: every check module's ``CHECKS`` is tested here, once.

For every declared :class:`~nnlesson.course.checks._core.Check`:

* every named mistake is diagnosed as itself (``check(mistake.wrong_fn).mistake ==
  mistake.name``), and the cases tell every two mistakes apart;
* every argument of the reference that has a default is set away from it in at least one case
  (a student who hard-codes it cannot pass);
* a check whose reference uses the library forbids it, and a student function that simply
  calls the reference (and so the library) is caught;
* hint pointers point at hint levels that exist, and the exercise's solution notebook shows
  those levels above the answer cell;
* the derived ``check_<name>`` is the module's attribute and is in the package's lazy table.

Hand-written wrong implementations remain in tests/test_checks_<slug>.py only where their form
matters.
"""
import importlib
import inspect
import numbers
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest

import nnlesson.course.checks as checks
from nnlesson.course import LESSONS
from nnlesson.course.checks._core import _NO_OUTPUT, _Runner
from nnlesson.course.checks._guard import LibraryGuard

ROOT = Path(__file__).resolve().parents[1]


def _declared():
    found = []
    for name in checks.check_modules():
        module = importlib.import_module(f"nnlesson.course.checks.{name}")
        for check in getattr(module, "CHECKS", ()):
            found.append((name, check))
    return found


DECLARED = _declared()
IDS = [check.name for _, check in DECLARED]


def test_lesson_06_is_declared():
    assert {"check_adam_update", "check_adamw_update"} <= set(IDS)


@pytest.mark.parametrize("module, check", DECLARED, ids=IDS)
def test_the_check_function_is_derived_from_the_declaration(module, check):
    function = getattr(importlib.import_module(f"nnlesson.course.checks.{module}"), check.name)
    assert function.check is check
    assert checks._CHECKS[check.name] == module
    assert function.__name__ == check.name and check.name.startswith("check_")
    assert check.function.isidentifier()


@pytest.mark.parametrize("module, check", DECLARED, ids=IDS)
def test_every_named_mistake_is_diagnosed_as_itself(module, check):
    wrong = []
    with np.errstate(all="ignore"):
        for mistake in check.mistakes:
            result = check.run(mistake.wrong_fn)
            if result.mistake != mistake.name:
                wrong.append(f"{mistake.name!r} -> {result.mistake!r}: {result.message[:120]}")
    assert not wrong, f"{len(wrong)} of {len(check.mistakes)} mistakes not named as themselves:\n" \
        + "\n".join(wrong[:20])


def _flat(out):
    """All numbers of an output in one float vector, or None if it holds something else."""
    if isinstance(out, (tuple, list)):
        parts = [_flat(o) for o in out]
        return None if any(p is None for p in parts) else \
            np.concatenate(parts + [np.array([len(out)], dtype=float)])
    if isinstance(out, dict):
        return _flat([out[k] for k in sorted(out, key=str)])
    if isinstance(out, np.ndarray) and out.dtype.kind in "biuf":
        return np.concatenate([out.astype(np.float64).ravel(), np.array(out.shape, dtype=float)])
    if isinstance(out, numbers.Real):
        return np.array([float(out)])
    return None


@pytest.mark.parametrize("module, check", DECLARED, ids=IDS)
def test_the_cases_tell_every_two_mistakes_apart(module, check):
    runner = _Runner(check, check.get_cases())
    n_cases = len(runner.cases)
    outputs = [[runner.mistake_output(i, c) for c in range(n_cases)]
               for i in range(len(check.mistakes))]
    outputs.append(runner.expected)  # the reference: no mistake may equal it
    names = [m.name for m in check.mistakes] + ["the reference"]
    vectors = []
    for per_case in outputs:
        parts = [None if o is _NO_OUTPUT else _flat(o) for o in per_case]
        vectors.append(None if any(p is None for p in parts) else np.concatenate(parts))
    # Candidate pairs: equal within the tolerance in every number (vectorised), then confirmed
    # with the check's own comparison.
    same = []
    lengths = {len(v) for v in vectors if v is not None}
    for length in lengths:
        index = [i for i, v in enumerate(vectors) if v is not None and len(v) == length]
        stack = np.array([vectors[i] for i in index])
        distinct = np.zeros((len(index), len(index)), dtype=bool)
        for column in stack.T:
            a, b = column[:, None], column[None, :]
            with np.errstate(invalid="ignore"):
                close = np.abs(a - b) <= check.atol + check.rtol * np.abs(b)
            close |= (a == b) | (np.isnan(a) & np.isnan(b))
            distinct |= ~close
        for x, y in zip(*np.nonzero(~distinct)):
            if x < y:
                i, j = index[x], index[y]
                # both ways: an int expected tells a float apart, a float expected does not
                if all(runner.compare(p, q) is None and runner.compare(q, p) is None
                       for p, q in zip(outputs[i], outputs[j])):
                    same.append(f"{names[i]!r} and {names[j]!r}")
    others = [i for i, v in enumerate(vectors) if v is None]
    for i in others:  # outputs that are not numbers: the check's comparison, pair by pair
        for j in range(len(outputs)):
            if j != i and all(p is not _NO_OUTPUT and runner.compare(p, q) is None
                              for p, q in zip(outputs[i], outputs[j])):
                same.append(f"{names[min(i, j)]!r} and {names[max(i, j)]!r}")
    assert not same, "the cases cannot tell these apart:\n" + "\n".join(sorted(set(same))[:20])


def _signature_defaults(fn):
    return {name: p.default for name, p in inspect.signature(fn).parameters.items()
            if p.default is not p.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}


def _differs(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)
                    and a.shape == b.shape and np.array_equal(a, b))
    return a != b


@pytest.mark.parametrize("module, check", DECLARED, ids=IDS)
def test_every_argument_with_a_default_is_varied(module, check):
    cases = check.get_cases()
    signature = inspect.signature(check.reference)
    never = []
    for name, default in _signature_defaults(check.reference).items():
        values = [signature.bind(*c.args, **c.kwargs).arguments.get(name, default) for c in cases]
        if not any(_differs(v, default) for v in values):
            never.append(name)
    # the methods a sequence calls: every defaulted argument varied in at least one step
    if check.takes == "class":
        for method in sorted({s.method for c in cases for s in c.steps}):
            function = getattr(check.reference, method)
            steps = [s for c in cases for s in c.steps if s.method == method]
            sig = inspect.signature(function)
            for name, default in _signature_defaults(function).items():
                values = [sig.bind(None, *s.args, **s.kwargs).arguments.get(name, default)
                          for s in steps]
                if not any(_differs(v, default) for v in values):
                    never.append(f"{method}({name})")
    assert not never, f"never set away from their defaults: {never}"


def _library_calls(check):
    """The nnlesson library functions (outside nnlesson.course) the reference calls."""
    guard = LibraryGuard(("nnlesson.*",))
    runner = _Runner(check, check.get_cases())
    with guard:
        for case in runner.cases:
            runner.trusted_output(check.reference, case)
    return [name for name in guard.found
            if not name.startswith(("nnlesson.course.", "nnlesson._validate"))]


@pytest.mark.parametrize("module, check", DECLARED, ids=IDS)
def test_a_check_whose_reference_is_the_library_forbids_it(module, check):
    used = _library_calls(check)
    if used:
        assert check.forbidden, f"the reference uses {used} but the check forbids nothing"


@pytest.mark.parametrize("module, check", [d for d in DECLARED if d[1].forbidden],
                         ids=[c.name for _, c in DECLARED if c.forbidden])
def test_a_student_function_that_calls_the_library_is_caught(module, check):
    result = check.run(check.reference)
    assert result.status == "fail" and result.mistake == "calls the library", str(result)
    assert re.search(r"calls nnlesson\.\S+, the library's own implementation", result.message)


def _solution_cells(module):
    lesson = next(lesson for lesson in LESSONS if lesson.slug == module)
    return nbformat.read(str(ROOT / lesson.solution), as_version=4).cells


def _hint_text_above(cells, function):
    """The markdown between the answer cell that defines ``function`` and the code before it."""
    define = re.compile(rf"^\s*(def|class)\s+{re.escape(function)}\b", re.MULTILINE)
    for index, cell in enumerate(cells):
        if cell.cell_type == "code" and define.search(cell.source):
            text = []
            for previous in reversed(cells[:index]):
                if previous.cell_type == "code":
                    break
                text.append(previous.source)
            return "\n".join(reversed(text))
    return None


@pytest.mark.parametrize("module, check", [d for d in DECLARED if d[1].hints],
                         ids=[c.name for _, c in DECLARED if c.hints])
def test_hint_pointers_point_at_hint_levels_the_notebook_shows(module, check):
    for mistake in check.mistakes:
        assert mistake.hint is None or 1 <= mistake.hint <= len(check.hints), mistake.name
    text = _hint_text_above(_solution_cells(module), check.function)
    assert text is not None, f"no answer cell defines {check.function}"
    for level, title in enumerate(check.hints, start=1):
        assert re.search(rf"<details>\s*<summary>\s*Hint {level} · {re.escape(title)}\s*"
                         r"</summary>", text), f"Hint {level} · {title} is missing above " \
                                               f"{check.function}"
    assert f"Hint {len(check.hints) + 1} ·" not in text
