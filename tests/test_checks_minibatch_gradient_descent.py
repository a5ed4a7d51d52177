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
    assert result.cases == 12


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


# --------------------------------------------------------------------------- largest safe lr

from nnlesson.course.checks import minibatch_gradient_descent as declared  # noqa: E402
from nnlesson.course.checks.minibatch_gradient_descent import check_largest_safe_lr  # noqa: E402


def largest_safe_lr(Z):
    curvature = 2 * np.sum(Z ** 2, axis=1)
    return float(2 / curvature.max())


def test_safe_lr_solution_and_other_correct_forms_pass():
    assert check_largest_safe_lr(largest_safe_lr).passed
    assert check_largest_safe_lr(lambda Z: 1 / max(z @ z for z in Z)).passed
    assert check_largest_safe_lr(lambda Z: min(2 / (2 * np.linalg.norm(z) ** 2) for z in Z
                                                if z.any())).passed


def test_the_safe_rate_is_where_the_first_sample_would_overshoot():
    """Independent of the formula: every sample's step factor |1 - lr c_i|, with c_i the
    second difference of its own loss along its input, is at most 1 at the reference's rate
    and above 1 for some sample just past it."""
    for case, lr in zip(declared.SAFE_LR.get_cases(), declared.SAFE_LR.expected()):
        (Z,) = case.args
        factors = []
        for z in Z:
            if not z.any():
                continue
            u, h = z / np.linalg.norm(z), 1e-3
            loss = [((z @ (s * h * u)) - 1.0) ** 2 for s in (-1, 0, 1)]
            c = (loss[0] - 2 * loss[1] + loss[2]) / h**2
            factors.append(c)
        factors = np.array(factors)
        assert np.all(np.abs(1 - lr * factors) <= 1 + 1e-6), case.label
        assert np.any(np.abs(1 - 1.001 * lr * factors) > 1), case.label


@pytest.mark.parametrize("student, mistake", [
    # written the way a student would write them
    (lambda Z: 2 / np.mean(2 * np.sum(Z ** 2, axis=1)), "typical sample instead of the most curved"),
    (lambda Z: 1 / np.mean(np.sum(Z * Z, axis=1)), "typical sample instead of the most curved"),
    (lambda Z: max(2 / (2 * (z @ z)) for z in Z if z @ z > 0), "least curved sample"),
    (lambda Z: 2 / np.linalg.eigvalsh(2 * Z.T @ Z / len(Z)).max(), "the full batch's curvature"),
    (lambda Z: 2 / np.max(np.sum(Z ** 2, axis=1)), "factor 2 missing in the curvature"),
    (lambda Z: 1 / np.max(2 * np.sum(Z ** 2, axis=1)), "1 / c instead of 2 / c"),
    (lambda Z: 1 / np.max(np.linalg.norm(Z, axis=1)), "norm not squared"),
    (lambda Z: 1 / np.max(np.sum(Z ** 2, axis=0)), "summed over samples instead of inputs"),
    (lambda Z: 1 / np.max(np.mean(Z ** 2, axis=1)), "mean of the squares instead of their sum"),
    (lambda Z: 1 / np.max(Z ** 2), "largest single entry instead of the row's norm"),
    (lambda Z: 1 / np.max(np.sum(Z[:, :-1] ** 2, axis=1)), "bias column left out"),
])
def test_safe_lr_mistakes_as_students_write_them(student, mistake):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = check_largest_safe_lr(student)
    assert not result.passed and result.mistake == mistake, str(result)


def test_safe_lr_returning_the_curvatures_is_a_shape_message():
    result = check_largest_safe_lr(lambda Z: 2 * np.sum(Z ** 2, axis=1))
    assert not result.passed and "single number" in result.message


def test_an_endless_generator_is_consumed_one_batch_past_an_epoch():
    def endless(X, y, batch_size, rng):
        order = rng.permutation(len(X))
        start = 0
        while True:  # never stops: wraps around
            idx = np.take(order, range(start, start + batch_size), mode="wrap")
            yield X[idx], y[idx]
            start += batch_size

    result = check_minibatches(endless)  # returns at once: at most one batch past an epoch
    assert not result.passed and result.mistake == "sample repeated or missing"
    assert "used more than once" in result.details[0]


@pytest.mark.parametrize("student, mistake", [
    (lambda Z: 1 / (np.sum(Z, axis=1) ** 2).max(), "square of the sum instead of the sum of squares"),
    (lambda Z: max(2 * float(z @ z) for z in Z), "the curvature instead of the rate"),
])
def test_more_safe_lr_mistakes_are_named(student, mistake):
    result = check_largest_safe_lr(student)
    assert not result.passed and result.mistake == mistake, str(result)
