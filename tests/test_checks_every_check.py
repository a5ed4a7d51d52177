"""What every exercise check does with a student function that is not finished, breaks or
never returns.

These behaviours come from the framework (:mod:`nnlesson.course.checks._core`), but each check
wires it up itself, so each is tried here: a new lesson's checks are picked up automatically
from the package's table. What a check says about a *wrong answer* is tested per lesson
(tests/test_checks_<slug>.py) and for declared checks in tests/test_checks_meta.py.
"""
import inspect

import pytest

from nnlesson.course import checks
from nnlesson.course.checks import _guard

def _takes_code(name):
    """True for a check of the student's function or class; False for one that checks an
    answer (a value, such as lesson 14's ``check_max_lr(max_lr, lrs, smoothed)``)."""
    first = next(iter(inspect.signature(getattr(checks, name)).parameters))
    return first in ("student_fn", "student_class") or first.startswith("student_")


ALL_CHECKS = sorted(name for name in checks.__all__ if name.startswith("check_"))
EVERY_CHECK = [name for name in ALL_CHECKS if _takes_code(name)]


def test_the_checks_were_found():
    assert len(EVERY_CHECK) >= 25
    assert "check_adam_update" in EVERY_CHECK
    assert set(ALL_CHECKS) - set(EVERY_CHECK) <= {"check_diagnoses", "check_max_lr"}


def as_student(name, behaviour):
    """The student's answer: ``behaviour`` itself, or a class whose methods all behave so
    (for the checks that take a class, such as ``check_inverted_dropout(InvertedDropout)``)."""
    check = getattr(checks, name)
    if next(iter(inspect.signature(check).parameters)) != "student_class":
        return behaviour

    class Student:
        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, method):
            return behaviour

    return Student


def test_the_checks_that_take_a_class_are_recognised():
    assert as_student("check_inverted_dropout", crashes) is not crashes
    assert as_student("check_adam_update", crashes) is crashes


def not_started(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def crashes(*args, **kwargs):
    raise RuntimeError("boom in the student's code")


def forgets_return(*args, **kwargs):
    pass


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_a_stub_is_not_implemented_yet_rather_than_wrong(name):
    result = getattr(checks, name)(as_student(name, not_started))
    assert result.status == "todo" and not result.passed
    assert result.mistake is None


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_an_exception_is_named_in_one_paragraph_without_a_traceback(name):
    result = getattr(checks, name)(as_student(name, crashes))
    assert result.status == "fail"
    assert "RuntimeError" in result.message and "boom in the student's code" in result.message
    assert "`raise RuntimeError(\"boom in the student's code\")`" in result.message  # the line
    assert "Traceback" not in str(result)
    assert "\n" not in result.message


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_a_missing_return_is_pointed_out(name):
    result = getattr(checks, name)(as_student(name, forgets_return))
    assert result.status == "fail"
    assert "None" in result.message and "return" in result.message


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_the_result_is_stable_text_and_json(name):
    first, second = (getattr(checks, name)(as_student(name, crashes)) for _ in range(2))
    assert str(first) == str(second)
    assert " at 0x" not in str(first)
    summary = first.to_dict()
    assert summary["name"] == name and summary["status"] == "fail"


def never_returns(*args, **kwargs):
    while True:
        pass


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_an_endless_loop_is_stopped_and_the_check_returns(name, monkeypatch):
    # Every check has a time limit (5 s); a shorter one here keeps the test quick.
    full = _guard.time_limit
    monkeypatch.setattr(_guard, "time_limit", lambda seconds: full(min(seconds or 0.2, 0.2)))
    result = getattr(checks, name)(as_student(name, never_returns))
    assert result.status == "fail" and result.mistake == "did not finish", str(result)
    assert "did not finish in" in result.message and "an endless loop?" in result.message
