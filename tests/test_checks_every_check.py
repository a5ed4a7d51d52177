"""What every exercise check does with a student function that is not finished or breaks.

These behaviours come from :func:`nnlesson.course.checks.run_check`, but each check wires it up
itself, so each is tried here: a new lesson's checks are picked up automatically. What a
check says about a *wrong answer* is tested per lesson (tests/test_checks_<slug>.py).
"""
import inspect

import pytest

from nnlesson.course import checks

EVERY_CHECK = sorted(name for name in checks.__all__ if name.startswith("check_"))


def test_the_checks_were_found():
    assert len(EVERY_CHECK) >= 25
    assert "check_adam_update" in EVERY_CHECK


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
