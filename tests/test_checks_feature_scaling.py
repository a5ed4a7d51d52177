"""Lesson 02's checks: right answers in several forms pass, the references agree with
scikit-learn and with gradient descent itself, and the wrong answers whose form matters (torch's
std, an in-place update, a library call) are named. tests/test_checks_meta.py runs every
declared mistake through its check."""
import numpy as np
import pytest

from nnlesson.course.checks import feature_scaling as C


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def failed_with(result, mistake):
    assert not result.passed, str(result)
    assert result.status == "fail"
    assert result.mistake == mistake, str(result)


@pytest.mark.parametrize("check", C.CHECKS, ids=lambda c: c.function)
def test_a_stub_is_not_implemented_yet(check):
    result = getattr(C, check.name)(stub)
    assert result.status == "todo" and result.mistake is None


# --------------------------------------------------------------------------- right answers


def min_max_scaling(X_train, X, feature_range=(0.0, 1.0)):
    low, high = feature_range
    data_min = X_train.min(axis=0)
    data_range = X_train.max(axis=0) - data_min
    data_range = np.where(data_range == 0, 1.0, data_range)
    return low + (X - data_min) * (high - low) / data_range


def standardization(X_train, X):
    std = X_train.std(axis=0)
    return (X - X_train.mean(axis=0)) / np.where(std == 0, 1.0, std)


def mean_normalization(X_train, X):
    data_range = X_train.max(axis=0) - X_train.min(axis=0)
    return (X - X_train.mean(axis=0)) / np.where(data_range == 0, 1.0, data_range)


def largest_stable_lr(Z):
    return float(2 / np.linalg.eigvalsh(2 * Z.T @ Z / len(Z))[-1])


@pytest.mark.parametrize("check, right", [
    (C.check_min_max_scaling, min_max_scaling),
    (C.check_min_max_scaling, lambda X_train, X, feature_range=(0.0, 1.0): (
        feature_range[0] + (feature_range[1] - feature_range[0]) * (X - X_train.min(0))
        / np.where(np.ptp(X_train, 0) == 0, 1, np.ptp(X_train, 0)))),
    (C.check_standardization, standardization),
    (C.check_standardization, lambda X_train, X: (X - X_train.mean(0)) / np.where(
        np.sqrt(((X_train - X_train.mean(0)) ** 2).mean(0)) > 0,
        np.sqrt(((X_train - X_train.mean(0)) ** 2).mean(0)), 1.0)),
    (C.check_mean_normalization, mean_normalization),
    (C.check_largest_stable_lr, largest_stable_lr),
    (C.check_largest_stable_lr, lambda Z: len(Z) / np.linalg.svd(Z, compute_uv=False)[0] ** 2),
    (C.check_largest_stable_lr, lambda Z: 2 / np.linalg.eigvalsh(2 * Z @ Z.T / len(Z)).max()),
])
def test_right_answers_pass(check, right):
    result = check(right)
    assert result.passed and result.cases >= 4, str(result)


# --------------------------------------------------------------------------- references


@pytest.mark.parametrize("check, sklearn_class", [
    (C.MIN_MAX_SCALING, "MinMaxScaler"),
    (C.STANDARDIZATION, "StandardScaler"),
])
def test_the_references_agree_with_scikit_learn(check, sklearn_class):
    from sklearn import preprocessing

    for case, expected in zip(check.get_cases(), check.expected()):
        X_train, X = case.args
        scaler = getattr(preprocessing, sklearn_class)(**case.kwargs).fit(X_train)
        np.testing.assert_allclose(expected, scaler.transform(X), rtol=1e-12, atol=1e-12)


def test_mean_normalization_reference_by_hand():
    for case, expected in zip(C.MEAN_NORMALIZATION.get_cases(), C.MEAN_NORMALIZATION.expected()):
        X_train, X = case.args
        np.testing.assert_allclose(expected, mean_normalization(X_train, X), rtol=1e-12)


def test_largest_stable_lr_is_where_gradient_descent_stops_converging():
    """The reference, checked by running gradient descent on every case at 0.98 and 1.02 times
    the rate: the error along the steepest direction (the top eigenvector of Z^T Z) shrinks,
    then grows."""
    for case, lr in zip(C.LARGEST_STABLE_LR.get_cases(), C.LARGEST_STABLE_LR.expected()):
        (Z,) = case.args
        y = np.random.default_rng(0).normal(size=len(Z))
        w_star = np.linalg.lstsq(Z, y, rcond=None)[0]
        steepest = np.linalg.eigh(Z.T @ Z)[1][:, -1]
        for factor, converges in ((0.98, True), (1.02, False)):
            w = w_star + 1.0
            start = abs(steepest @ (w - w_star))
            for _ in range(500):
                w = w - factor * lr * 2 * Z.T @ (Z @ w - y) / len(Z)
            along = abs(steepest @ (w - w_star))
            assert (along < 1e-3 * start) == converges, (case.label, factor)
            assert (along > 1e3 * start) == (not converges), (case.label, factor)


def test_largest_stable_lr_matches_the_lessons_table():
    """The lesson's table reports the same rate for the wine problem (LeastSquares)."""
    from nnlesson.course.lessons.feature_scaling import wine_problem

    p = wine_problem("standardize", bias=True)
    assert largest_stable_lr(p.Z) == pytest.approx(p.max_stable_lr, rel=1e-12)


# --------------------------------------------------------------------------- forms that matter


def test_ddof_1_via_torch_style_std_is_named():
    """torch.std and pandas' std default to the unbiased (n - 1) estimate."""
    import torch

    def student(X_train, X):
        std = torch.from_numpy(X_train).std(dim=0).numpy()
        return (X - X_train.mean(axis=0)) / np.where(std == 0, 1.0, std)

    failed_with(C.check_standardization(student), "ddof=1 (sample standard deviation)")


def test_scaling_in_place_is_told_so():
    def in_place(X_train, X, feature_range=(0.0, 1.0)):
        X -= X_train.min(axis=0)
        X /= np.where(np.ptp(X_train, 0) == 0, 1, np.ptp(X_train, 0))
        return X

    result = C.check_min_max_scaling(in_place)
    assert not result.passed and "changed its input `X` in place" in result.message


@pytest.mark.parametrize("check, shortcut, named", [
    (C.check_min_max_scaling,
     lambda X_train, X, feature_range=(0.0, 1.0): __import__("sklearn.preprocessing").preprocessing
     .MinMaxScaler(feature_range=feature_range).fit(X_train).transform(X), "sklearn"),
    (C.check_standardization,
     lambda X_train, X: __import__("nnlesson").scaling.StandardScaler().fit(X_train).transform(X),
     "nnlesson.scaling"),
])
def test_calling_a_library_scaler_is_refused(check, shortcut, named):
    result = check(shortcut)
    assert not result.passed and named in result.message, str(result)


def test_check_results_are_stable_text():
    wrong = C.STANDARDIZATION.mistakes[0].wrong_fn
    assert str(C.check_standardization(wrong)) == str(C.check_standardization(wrong))


# --------------------------------------------------------------------------- more families, as students write them


def _min_max_only_shifted(X_train, X, feature_range=(0.0, 1.0)):
    a, b = feature_range
    return a + (X - np.min(X_train, axis=0)) * (b - a)


def _min_max_on_X_unguarded(X_train, X, feature_range=(0.0, 1.0)):
    a, b = feature_range
    lo, hi = np.min(X, 0), np.max(X, 0)
    return a + (b - a) * (X - lo) / (hi - lo)


def _standardization_only_centred(X_train, X):
    return X - np.mean(X_train, axis=0)


def _standardization_pandas_std_on_X(X_train, X):
    mu = X.mean(0)
    sigma = np.sqrt(((X - mu) ** 2).sum(0) / (X.shape[0] - 1))  # NaN for one row
    sigma[sigma == 0] = 1.0
    return (X - mu) / sigma


def _standardization_pandas_std_unguarded(X_train, X):
    return (X - X_train.mean(0)) / X_train.std(0, ddof=1)


def _standardization_on_X_unguarded(X_train, X):
    return (X - X.mean(axis=0)) / X.std(axis=0)


def _mean_normalization_only_centred(X_train, X):
    return X - X_train.mean(axis=0)


def _largest_curvature_returned(Z):
    return max(np.linalg.eigvalsh(2 * Z.T @ Z / len(Z)))


def _one_sample_limit(Z):
    return 1.0 / max(float(z @ z) for z in Z)


@pytest.mark.parametrize("check, student, mistake", [
    (C.check_min_max_scaling, _min_max_only_shifted, "not divided by the range"),
    (C.check_min_max_scaling, _min_max_on_X_unguarded,
     "fitted on the data being scaled, and no guard for a constant feature"),
    (C.check_standardization, _standardization_only_centred,
     "not divided by the standard deviation"),
    (C.check_standardization, _standardization_pandas_std_on_X,
     "ddof=1 and fitted on the data being scaled"),
    (C.check_standardization, _standardization_pandas_std_unguarded,
     "ddof=1 and no guard for a constant feature"),
    (C.check_standardization, _standardization_on_X_unguarded,
     "fitted on the data being scaled, and no guard for a constant feature"),
    (C.check_mean_normalization, _mean_normalization_only_centred, "not divided by the range"),
    (C.check_largest_stable_lr, _largest_curvature_returned, "the curvature instead of the rate"),
    (C.check_largest_stable_lr, _one_sample_limit, "the most curved single sample"),
])
def test_more_mistake_families_are_named(check, student, mistake):
    failed_with(check(student), mistake)


@pytest.mark.parametrize("check, student, mistake", [
    (C.check_standardization, lambda X_train, X: (X - X_train.mean(0)) / np.sqrt(X_train.var(0) + 1e-5),
     "a small number added to the variance"),
    (C.check_standardization, lambda X_train, X: (X - X_train.mean(0)) / (X_train.std(0) + 1e-7),
     "a small number added to the divisor"),
    (C.check_mean_normalization, lambda X_train, X: (X - X_train.mean(0)) / (np.ptp(X_train, 0) + 1e-5),
     "a small number added to the divisor"),
    (C.check_min_max_scaling,
     lambda X_train, X, feature_range=(0.0, 1.0): feature_range[0] + (feature_range[1] - feature_range[0])
     * (X - X_train.min(0)) / (np.ptp(X_train, 0) + 1e-6), "a small number added to the divisor"),
    (C.check_mean_normalization,
     lambda X_train, X: (X - (X_train.max(0) + X_train.min(0)) / 2)
     / np.where(np.ptp(X_train, 0) == 0, 1, np.ptp(X_train, 0)),
     "subtracted the midpoint of the range instead of the mean"),
    (C.check_largest_stable_lr, lambda Z: 2 / np.linalg.eigvalsh(2 * np.cov(Z.T, bias=False)
                                                                + 2 * np.outer(Z.mean(0), Z.mean(0))
                                                                * len(Z) / (len(Z) - 1))[-1],
     "divided by n - 1"),
])
def test_epsilons_and_other_conventions_are_named(check, student, mistake):
    failed_with(check(student), mistake)


@pytest.mark.parametrize("student, mistake", [
    (lambda X_train, X, feature_range=(0.0, 1.0): (X - X.min(0)) / np.where(np.ptp(X, 0) == 0, 1, np.ptp(X, 0)),
     "feature_range ignored and fitted on the data being scaled"),
    (lambda X_train, X, feature_range=(0.0, 1.0): (X - X_train.min(1, keepdims=True))
     / np.where(np.ptp(X_train, 1, keepdims=True) == 0, 1, np.ptp(X_train, 1, keepdims=True)),
     "feature_range ignored and statistics over the wrong axis"),
    (lambda X_train, X, feature_range=(0.0, 1.0): (X - X_train.min(0)) / np.ptp(X_train, 0),
     "feature_range ignored and no guard for a constant feature"),
])
def test_feature_range_forgotten_with_another_slip_is_named(student, mistake):
    failed_with(C.check_min_max_scaling(student), mistake)
