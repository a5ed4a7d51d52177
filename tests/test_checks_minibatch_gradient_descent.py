"""The checks of lesson 03: the solutions pass, the stubs are 'not implemented yet', and every
listed mistake, written here as a student would write it, fails with that diagnosis."""
import math

import numpy as np
import pytest

from nnlesson.course.checks.minibatch_gradient_descent import (
    check_iterations_per_epoch,
    check_minibatches,
)


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


# --------------------------------------------------------------------------- iterations per epoch


def iterations_per_epoch(n_samples, batch_size, drop_last=False):
    if drop_last:
        return n_samples // batch_size
    return math.ceil(n_samples / batch_size)


def test_iterations_solution_passes():
    result = check_iterations_per_epoch(iterations_per_epoch)
    assert result.passed, str(result)
    assert result.cases == 10


def test_iterations_integer_only_solution_passes():
    def student(n_samples, batch_size, drop_last=False):
        if drop_last:
            return n_samples // batch_size
        return (n_samples + batch_size - 1) // batch_size

    assert check_iterations_per_epoch(student).passed


def test_iterations_stub():
    result = check_iterations_per_epoch(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


@pytest.mark.parametrize("student, mistake", [
    (lambda n, b, drop_last=False: n // b, "floor instead of ceil"),
    (lambda n, b, drop_last=False: int(n / b), "floor instead of ceil"),
    (lambda n, b, drop_last=False: math.ceil(n / b), "drop_last ignored"),
    (lambda n, b, drop_last=False: n // b if drop_last else n // b + 1, "off by one: n // b + 1"),
    (lambda n, b, drop_last=False: n // b if drop_last else round(n / b),
     "rounded to the nearest integer"),
    (lambda n, b, drop_last=False: math.ceil(n / b) if drop_last else math.floor(n / b),
     "drop_last the wrong way round"),
    (lambda n, b, drop_last=False: n / b, "not rounded"),
    (lambda n, b, drop_last=False: np.floor(n / b) if drop_last else np.ceil(n / b),
     "a float, not an int"),
])
def test_iterations_mistakes_are_named(student, mistake):
    result = check_iterations_per_epoch(student)
    assert not result.passed
    assert result.mistake == mistake, str(result)


def test_iterations_bad_behaviour():
    def raises(n, b, drop_last=False):
        return n // (b - b)

    result = check_iterations_per_epoch(raises)
    assert "raised ZeroDivisionError" in result.message

    def returns_none(n, b, drop_last=False):
        math.ceil(n / b)

    assert "returned None" in check_iterations_per_epoch(returns_none).message

    def returns_array(n, b, drop_last=False):
        return np.array([math.ceil(n / b)])

    assert "expected a single number" in check_iterations_per_epoch(returns_array).message

    def returns_nan(n, b, drop_last=False):
        return math.nan

    result = check_iterations_per_epoch(returns_nan)
    assert not result.passed and "NaN" in result.message


# --------------------------------------------------------------------------- minibatches


def minibatches(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size]
        yield X[idx], y[idx]


def test_minibatches_solution_passes():
    result = check_minibatches(minibatches)
    assert result.passed, str(result)
    assert result.cases == 5


def test_minibatches_returning_a_list_of_lists_passes():
    def student(X, y, batch_size, rng):
        idx = np.arange(len(X))
        rng.shuffle(idx)  # the same order as rng.permutation(len(X))
        return [[X[idx[s:s + batch_size]], y[idx[s:s + batch_size]]]
                for s in range(0, len(X), batch_size)]

    assert check_minibatches(student).passed


def test_minibatches_stub():
    result = check_minibatches(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


def drop_last(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for k in range(len(X) // batch_size):
        idx = order[k * batch_size:(k + 1) * batch_size]
        yield X[idx], y[idx]


def drop_last_range(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X) - batch_size + 1, batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def seeds_loop(X, y, batch_size, rng):
    """The seeds' loop: keeps the partial batch, never shuffles."""
    for i in range(0, len(X), batch_size):
        yield X[i:i + batch_size], y[i:i + batch_size]


def own_fixed_seed(X, y, batch_size, rng):
    order = np.random.default_rng(0).permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def other_fixed_seed(X, y, batch_size, rng):
    order = np.random.RandomState(42).permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def two_permutations(X, y, batch_size, rng):
    Xs = X[rng.permutation(len(X))]
    ys = y[rng.permutation(len(y))]
    for start in range(0, len(X), batch_size):
        yield Xs[start:start + batch_size], ys[start:start + batch_size]


def y_never_shuffled(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[start:start + batch_size]


def with_replacement(X, y, batch_size, rng):
    idx_all = rng.integers(0, len(X), size=len(X))
    for start in range(0, len(X), batch_size):
        yield X[idx_all[start:start + batch_size]], y[idx_all[start:start + batch_size]]


def choice_with_replacement(X, y, batch_size, rng):
    idx_all = rng.choice(len(X), size=len(X))
    for start in range(0, len(X), batch_size):
        yield X[idx_all[start:start + batch_size]], y[idx_all[start:start + batch_size]]


def overlapping(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(0, len(X), batch_size):
        idx = order[start:start + batch_size + 1]
        yield X[idx], y[idx]


def first_batch_skipped(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for start in range(batch_size, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


def equal_splits(X, y, batch_size, rng):
    order = rng.permutation(len(X))
    for idx in np.array_split(order, math.ceil(len(X) / batch_size)):
        yield X[idx], y[idx]


def global_random_state(X, y, batch_size, rng):
    order = np.random.permutation(len(X))
    for start in range(0, len(X), batch_size):
        yield X[order[start:start + batch_size]], y[order[start:start + batch_size]]


@pytest.mark.parametrize("student, mistake", [
    (drop_last, "last partial batch dropped"),
    (drop_last_range, "last partial batch dropped"),
    (seeds_loop, "no shuffling"),
    (own_fixed_seed, "same order every epoch"),
    (other_fixed_seed, "same order every epoch"),
    (two_permutations, "X and y shuffled differently"),
    (y_never_shuffled, "X and y shuffled differently"),
    (with_replacement, "sample repeated or missing"),
    (choice_with_replacement, "sample repeated or missing"),
    (overlapping, "sample repeated or missing"),
    (first_batch_skipped, "sample repeated or missing"),
    (equal_splits, "wrong batch sizes"),
    (global_random_state, "order not drawn with rng.permutation"),
])
def test_minibatches_mistakes_are_named(student, mistake):
    result = check_minibatches(student)
    assert not result.passed
    assert result.mistake == mistake, str(result)
    assert result.details and result.details[0].startswith("on case")


def test_missing_rows_are_listed():
    result = check_minibatches(first_batch_skipped)
    # 10 samples in batches of 3: the first batch (3 rows) never appears
    assert "missing" in result.details[0]


def test_minibatches_that_shuffle_the_input_in_place():
    def student(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        X[:] = X[order]
        y[:] = y[order]
        for start in range(0, len(X), batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]

    result = check_minibatches(student)
    assert not result.passed and "changed its input `X` in place" in result.message


def test_minibatches_bad_behaviour():
    def raises(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        yield X[order[len(X)]], y

    result = check_minibatches(raises)
    assert "raised IndexError" in result.message and "\n" not in result.message

    def returns_none(X, y, batch_size, rng):
        rng.permutation(len(X))

    assert "returned None" in check_minibatches(returns_none).message

    def only_x(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        for start in range(0, len(X), batch_size):
            yield X[order[start:start + batch_size]]

    result = check_minibatches(only_x)
    assert not result.passed and "expected a pair (X_batch, y_batch)" in result.message

    def float32(X, y, batch_size, rng):
        for xb, yb in minibatches(X, y, batch_size, rng):
            yield xb.astype(np.float32), yb

    result = check_minibatches(float32)
    assert not result.passed and "dtype" in result.message

    def nan_batches(X, y, batch_size, rng):
        for xb, yb in minibatches(X, y, batch_size, rng):
            yield np.full_like(xb, np.nan), yb

    result = check_minibatches(nan_batches)
    assert not result.passed and "NaN" in result.message

    def not_iterable(X, y, batch_size, rng):
        return 3

    result = check_minibatches(not_iterable)
    assert not result.passed and "got a value of type int" in result.message

    result = check_minibatches(minibatches(np.zeros((2, 1)), np.zeros(2), 1,
                                           np.random.default_rng(0)))
    assert not result.passed and "Pass the function itself" in result.message
