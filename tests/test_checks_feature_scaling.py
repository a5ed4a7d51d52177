"""The checks of lesson 02: each solution passes, each stub is 'not implemented yet', and every
listed mistake, written here as a student would write it, fails with that diagnosis."""
import numpy as np
import pytest

from nnlesson.course.checks.feature_scaling import (
    check_mean_normalization,
    check_min_max_scaling,
    check_standardization,
)

# --------------------------------------------------------------------------- the solutions
# Written from the formulas, as the solution notebook does (not by calling the library).


def min_max_scaling(X_train, X, feature_range=(0.0, 1.0)):
    low, high = feature_range
    data_min = X_train.min(axis=0)
    data_range = X_train.max(axis=0) - data_min
    data_range = np.where(data_range == 0, 1.0, data_range)
    return low + (X - data_min) * (high - low) / data_range


def standardization(X_train, X):
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X - mean) / std


def mean_normalization(X_train, X):
    mean = X_train.mean(axis=0)
    data_range = X_train.max(axis=0) - X_train.min(axis=0)
    data_range = np.where(data_range == 0, 1.0, data_range)
    return (X - mean) / data_range


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


CHECKS = [
    (check_min_max_scaling, min_max_scaling),
    (check_standardization, standardization),
    (check_mean_normalization, mean_normalization),
]


@pytest.mark.parametrize("check, solution", CHECKS)
def test_solution_passes(check, solution):
    result = check(solution)
    assert result.passed, str(result)
    assert result.status == "pass" and result.cases >= 4


@pytest.mark.parametrize("check, _", CHECKS)
def test_stub_is_not_implemented_yet(check, _):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- bad behaviour


@pytest.mark.parametrize("check, _", CHECKS)
def test_raising_function_gets_one_paragraph(check, _):
    def student(X_train, X, **kwargs):
        return X / undefined_name  # noqa: F821

    result = check(student)
    assert not result.passed
    assert "raised NameError" in result.message and "\n" not in result.message


@pytest.mark.parametrize("check, solution", CHECKS)
def test_wrong_shape(check, solution):
    def student(X_train, X, **kwargs):
        return solution(X_train, X, **kwargs).ravel()

    result = check(student)
    assert not result.passed and "shape" in result.message


@pytest.mark.parametrize("check, solution", CHECKS)
def test_changing_the_input_in_place(check, solution):
    def student(X_train, X, **kwargs):
        X -= X_train.mean(axis=0)
        return solution(X_train, X + X_train.mean(axis=0), **kwargs)

    result = check(student)
    assert not result.passed and "changed its input `X` in place" in result.message


@pytest.mark.parametrize("check, _", CHECKS)
def test_nan_output(check, _):
    def student(X_train, X, **kwargs):
        return np.full(X.shape, np.nan)

    result = check(student)
    assert not result.passed and "NaN" in result.message


@pytest.mark.parametrize("check, _", CHECKS)
def test_float32_output_is_a_dtype_error(check, _):
    def student(X_train, X, **kwargs):
        return X.astype(np.float32)

    result = check(student)
    assert not result.passed and "dtype" in result.message


# --------------------------------------------------------------------------- min-max mistakes


def mm(stats_from="train", axis=0, keepdims=False, guard=True, subtract_min=True,
       use_range=True, stretch=True, divide_by_max=False):
    def student(X_train, X, feature_range=(0.0, 1.0)):
        low, high = feature_range
        if stats_from == "X":
            source = X
        elif stats_from == "both":
            source = np.concatenate([X_train, X], axis=0)
        else:
            source = X_train
        lo = np.min(source, axis=axis, keepdims=keepdims)
        hi = np.max(source, axis=axis, keepdims=keepdims)
        denom = hi if divide_by_max else hi - lo
        if guard:
            denom = np.where(denom == 0, 1, denom)
        top = X - lo if subtract_min else X
        with np.errstate(divide="ignore", invalid="ignore"):
            unit = top / denom
        if not use_range:
            return unit
        return low + unit * ((high - low) if stretch else high)
    return student


@pytest.mark.parametrize("student, mistake", [
    (mm(axis=None), "statistics of the whole array"),
    (mm(axis=1), "statistics over the wrong axis"),
    (mm(axis=1, keepdims=True), "statistics over the wrong axis"),
    (mm(stats_from="X"), "fitted on the data being scaled (the test set)"),
    (mm(stats_from="both"), "fitted on training and test data together"),
    (mm(guard=False), "division by zero for a constant feature"),
    (mm(use_range=False), "feature_range ignored"),
    (mm(stretch=False), "multiplied by high instead of (high - low)"),
    (mm(subtract_min=False), "minimum not subtracted"),
    (mm(divide_by_max=True), "divided by the maximum"),
])
def test_min_max_mistakes_are_named(student, mistake):
    result = check_min_max_scaling(student)
    assert not result.passed
    assert result.mistake == mistake, str(result)
    assert result.details and result.details[0].startswith("on case")


def test_min_max_mistake_written_differently_is_still_named():
    """A student who fits a scaler on the test set with scikit-learn-like code."""
    def student(X_train, X, feature_range=(0.0, 1.0)):
        low, high = feature_range
        mins = np.array([col.min() for col in X.T])
        maxs = np.array([col.max() for col in X.T])
        rng = np.where(maxs - mins == 0, 1.0, maxs - mins)
        return low + (high - low) * (X - mins) / rng

    result = check_min_max_scaling(student)
    assert result.mistake == "fitted on the data being scaled (the test set)"


# --------------------------------------------------------------------------- standardization


def st(stats_from="train", axis=0, keepdims=False, ddof=0, guard=True, center=True,
       by_variance=False):
    def student(X_train, X):
        if stats_from == "X":
            source = X
        elif stats_from == "both":
            source = np.concatenate([X_train, X], axis=0)
        else:
            source = X_train
        mu = np.mean(source, axis=axis, keepdims=keepdims)
        var = np.var(source, axis=axis, ddof=ddof, keepdims=keepdims)
        denom = var if by_variance else np.sqrt(var)
        if guard:
            denom = np.where(denom == 0, 1, denom)
        with np.errstate(divide="ignore", invalid="ignore"):
            return ((X - mu) if center else X) / denom
    return student


@pytest.mark.parametrize("student, mistake", [
    (st(ddof=1), "ddof=1 (sample standard deviation)"),
    (st(center=False), "mean not subtracted"),
    (st(by_variance=True), "divided by the variance"),
    (st(axis=None), "statistics of the whole array"),
    (st(axis=1), "statistics over the wrong axis"),
    (st(axis=1, keepdims=True), "statistics over the wrong axis"),
    (st(stats_from="X"), "fitted on the data being scaled (the test set)"),
    (st(stats_from="both"), "fitted on training and test data together"),
    (st(guard=False), "division by zero for a constant feature"),
])
def test_standardization_mistakes_are_named(student, mistake):
    result = check_standardization(student)
    assert not result.passed
    assert result.mistake == mistake, str(result)


def test_ddof_1_via_torch_style_std_is_named():
    """torch.std and pandas' std default to the unbiased (n - 1) estimate."""
    import torch

    def student(X_train, X):
        t = torch.from_numpy(X_train)
        std = t.std(dim=0).numpy()
        std = np.where(std == 0, 1.0, std)
        return (X - X_train.mean(axis=0)) / std

    assert check_standardization(student).mistake == "ddof=1 (sample standard deviation)"


def test_standardization_solution_agrees_with_scikit_learn():
    """The check's reference is the one scikit-learn computes (ddof=0, zero std -> 1)."""
    from sklearn.preprocessing import StandardScaler as SkStandardScaler

    def student(X_train, X):
        return SkStandardScaler().fit(X_train).transform(X)

    assert check_standardization(student).passed


def test_min_max_solution_agrees_with_scikit_learn():
    from sklearn.preprocessing import MinMaxScaler as SkMinMaxScaler

    def student(X_train, X, feature_range=(0.0, 1.0)):
        return SkMinMaxScaler(feature_range=feature_range).fit(X_train).transform(X)

    assert check_min_max_scaling(student).passed


# --------------------------------------------------------------------------- mean normalization


def mn(stats_from="train", axis=0, keepdims=False, guard=True, center="mean", divide="range"):
    def student(X_train, X):
        if stats_from == "X":
            source = X
        elif stats_from == "both":
            source = np.concatenate([X_train, X], axis=0)
        else:
            source = X_train
        mu = np.mean(source, axis=axis, keepdims=keepdims)
        lo = np.min(source, axis=axis, keepdims=keepdims)
        hi = np.max(source, axis=axis, keepdims=keepdims)
        if divide == "range":
            denom = hi - lo
        elif divide == "std":
            denom = np.std(source, axis=axis, keepdims=keepdims)
        else:
            denom = hi
        if guard:
            denom = np.where(denom == 0, 1, denom)
        shift = {"mean": mu, "min": lo, "none": 0}[center]
        with np.errstate(divide="ignore", invalid="ignore"):
            return (X - shift) / denom
    return student


@pytest.mark.parametrize("student, mistake", [
    (mn(divide="std"), "divided by the standard deviation"),
    (mn(center="min"), "subtracted the minimum instead of the mean"),
    (mn(center="none"), "mean not subtracted"),
    (mn(divide="max"), "divided by the maximum"),
    (mn(axis=None), "statistics of the whole array"),
    (mn(axis=1), "statistics over the wrong axis"),
    (mn(axis=1, keepdims=True), "statistics over the wrong axis"),
    (mn(stats_from="X"), "fitted on the data being scaled (the test set)"),
    (mn(stats_from="both"), "fitted on training and test data together"),
    (mn(guard=False), "division by zero for a constant feature"),
])
def test_mean_normalization_mistakes_are_named(student, mistake):
    result = check_mean_normalization(student)
    assert not result.passed
    assert result.mistake == mistake, str(result)


def test_check_results_are_stable_text():
    """No addresses or timings: two runs print the same."""
    assert str(check_standardization(st(ddof=1))) == str(check_standardization(st(ddof=1)))
