"""What every exercise check does with a student function that is not finished or breaks.

These behaviours come from :func:`nnlesson.checks.run_check`, but each check wires it up
itself, so each is tried here: a new lesson's checks are picked up automatically. What a
check says about a *wrong answer* is tested per lesson (tests/test_checks_<slug>.py).
"""
import pytest

from nnlesson import checks

EVERY_CHECK = sorted(name for name in checks.__all__ if name.startswith("check_"))


def test_the_checks_were_found():
    assert len(EVERY_CHECK) >= 25
    assert "check_adam_update" in EVERY_CHECK


def not_started(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def crashes(*args, **kwargs):
    raise RuntimeError("boom in the student's code")


def forgets_return(*args, **kwargs):
    pass


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_a_stub_is_not_implemented_yet_rather_than_wrong(name):
    result = getattr(checks, name)(not_started)
    assert result.status == "todo" and not result.passed
    assert result.mistake is None


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_an_exception_is_named_in_one_paragraph_without_a_traceback(name):
    result = getattr(checks, name)(crashes)
    assert result.status == "fail"
    assert "RuntimeError" in result.message and "boom in the student's code" in result.message
    assert "`raise RuntimeError(\"boom in the student's code\")`" in result.message  # the line
    assert "Traceback" not in str(result)
    assert "\n" not in result.message


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_a_missing_return_is_pointed_out(name):
    result = getattr(checks, name)(forgets_return)
    assert result.status == "fail"
    assert "None" in result.message and "return" in result.message


@pytest.mark.parametrize("name", EVERY_CHECK)
def test_the_result_is_stable_text_and_json(name):
    first, second = (getattr(checks, name)(crashes) for _ in range(2))
    assert str(first) == str(second)
    assert " at 0x" not in str(first)
    summary = first.to_dict()
    assert summary["name"] == name and summary["status"] == "fail"
