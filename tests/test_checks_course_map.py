"""Lesson 00's demonstration check: the ravine's gradient."""
import numpy as np
import pytest

from nnlesson.course.checks.course_map import check_ravine_gradient


def ravine_gradient(w):
    w = np.asarray(w, dtype=float)
    return np.stack([w[..., 0], 25.0 * w[..., 1]], axis=-1)


def test_a_correct_gradient_passes_for_one_point_and_for_many():
    result = check_ravine_gradient(ravine_gradient)
    assert result.passed and result.message == "passed 3 cases"
    assert str(result) == "✔ check_ravine_gradient: passed 3 cases"


def test_the_stub_is_not_implemented_yet():
    def stub(w):
        raise NotImplementedError("replace this line with your code")

    result = check_ravine_gradient(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


def factor_two(w):
    return np.stack([2 * w[..., 0], 50 * w[..., 1]], axis=-1)


def swapped(w):
    return np.stack([25 * w[..., 0], w[..., 1]], axis=-1)


def bowl(w):
    return w.copy()


@pytest.mark.parametrize("student, mistake", [
    (factor_two, "the 1/2 not cancelled"),
    (swapped, "curvatures swapped"),
    (bowl, "curvature 25 left out"),
])
def test_mistakes_are_named(student, mistake):
    result = check_ravine_gradient(student)
    assert not result.passed and result.mistake == mistake


def test_a_gradient_that_only_handles_one_point_fails_on_the_batch():
    result = check_ravine_gradient(lambda w: np.array([w[0], 25 * w[1]]))
    assert not result.passed
    assert "five points at once" in result.message and "expected shape (5, 2)" in result.message


def test_misbehaving_functions_get_a_clear_message():
    assert "returned None" in check_ravine_gradient(lambda w: None).message
    raised = check_ravine_gradient(lambda w: w[2])
    assert "raised IndexError" in raised.message and "Traceback" not in raised.message

    def in_place(w):
        w[..., 1] *= 25
        return w

    assert "changed its input `w` in place" in check_ravine_gradient(in_place).message
    assert "expected a numpy array" in check_ravine_gradient(lambda w: [w[0], w[1]]).message
    # the result passed instead of the function
    called = check_ravine_gradient(ravine_gradient(np.ones(2)))
    assert called.message.startswith("expected your function, got an array of shape (2,)")
