"""Scalers of nnlesson.scaling against scikit-learn and hand-worked values."""
import numpy as np
import pytest
import sklearn.preprocessing as skp

from nnlesson.datasets import load_wine
from nnlesson.scaling import (
    MeanNormalizer,
    MinMaxScaler,
    NotFittedError,
    StandardScaler,
    mean_normalize,
    mean_unnormalize,
    min_max_scale,
    min_max_unscale,
    standardize,
    unstandardize,
)

RANGES = [(0, 1), (-1, 1), (2.0, 5.0), (-3.5, -0.5)]


def _data(seed=0, n=40):
    """Columns on very different scales, plus a constant column (index 2) of 0.1."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4)) * [1000.0, 0.01, 1.0, 3.0] + [5e3, -2.0, 0.0, 1.0]
    X[:, 2] = 0.1
    return X


@pytest.mark.parametrize("feature_range", RANGES)
def test_min_max_scaler_matches_sklearn(feature_range):
    X_train, X_new = _data(0), _data(1, n=15) * 1.5  # new data falls outside the training range
    ours = MinMaxScaler(feature_range=feature_range).fit(X_train)
    ref = skp.MinMaxScaler(feature_range=feature_range).fit(X_train)
    for name in ("data_min_", "data_max_", "data_range_", "scale_", "min_"):
        np.testing.assert_allclose(getattr(ours, name), getattr(ref, name), rtol=1e-12,
                                   err_msg=name)
    for X in (X_train, X_new):
        np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.fit_transform(X_train), ref.transform(X_train), rtol=1e-12,
                               atol=1e-12)
    Z = ours.transform(X_new)
    np.testing.assert_allclose(ours.inverse_transform(Z), ref.inverse_transform(Z), rtol=1e-12)
    np.testing.assert_allclose(ours.inverse_transform(Z), X_new, rtol=1e-12)


def test_min_max_scaler_training_data_spans_the_range_and_constant_column_sits_at_low():
    Z = MinMaxScaler(feature_range=(-1, 1)).fit_transform(_data())
    np.testing.assert_allclose(Z[:, [0, 1, 3]].min(axis=0), -1.0)
    np.testing.assert_allclose(Z[:, [0, 1, 3]].max(axis=0), 1.0)
    assert np.all(Z[:, 2] == -1.0)  # no division by zero: scale 1, shifted to low


def test_standard_scaler_matches_sklearn_including_constant_column():
    X_train, X_new = _data(0), _data(2, n=9)
    ours = StandardScaler().fit(X_train)
    ref = skp.StandardScaler().fit(X_train)
    np.testing.assert_allclose(ours.mean_, ref.mean_, rtol=1e-12)
    np.testing.assert_allclose(ours.var_, ref.var_, rtol=1e-10, atol=1e-30)
    np.testing.assert_allclose(ours.scale_, ref.scale_, rtol=1e-10)
    assert ours.scale_[2] == 1.0
    for X in (X_train, X_new):
        np.testing.assert_allclose(ours.transform(X), ref.transform(X), rtol=1e-10, atol=1e-12)
    Z = ours.fit_transform(X_train)
    assert np.all(Z[:, 2] == 0.0)
    np.testing.assert_allclose(Z[:, [0, 1, 3]].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, [0, 1, 3]].std(axis=0), 1.0, rtol=1e-12)  # ddof = 0
    np.testing.assert_allclose(ours.inverse_transform(ours.transform(X_new)), X_new, rtol=1e-12)


def test_standard_scaler_on_wine_matches_sklearn():
    X = load_wine().X
    np.testing.assert_allclose(StandardScaler().fit_transform(X),
                               skp.StandardScaler().fit_transform(X), rtol=1e-10, atol=1e-12)


def test_fit_on_train_only_uses_training_statistics_for_validation_data():
    X_train, X_val = _data(0), _data(3, n=10)
    for ours, ref in ((StandardScaler(), skp.StandardScaler()),
                      (MinMaxScaler(), skp.MinMaxScaler())):
        ours.fit(X_train)
        got = ours.transform(X_val)
        np.testing.assert_allclose(got, ref.fit(X_train).transform(X_val), rtol=1e-10, atol=1e-12)
        # fitting on the validation data instead gives different numbers
        assert not np.allclose(got, ref.fit(X_val).transform(X_val))


def test_mean_normalizer_hand_worked():
    # column 0: mean 3, range 6 - 1 = 5; column 1: mean 20, range 30 - 10 = 20
    X = np.array([[1.0, 10.0], [2.0, 20.0], [6.0, 30.0]])
    expected = np.array([[-0.4, -0.5], [-0.2, 0.0], [0.6, 0.5]])
    scaler = MeanNormalizer()
    assert scaler.fit(X) is scaler
    np.testing.assert_allclose(scaler.mean_, [3.0, 20.0])
    np.testing.assert_allclose(scaler.data_range_, [5.0, 20.0])
    np.testing.assert_allclose(scaler.transform(X), expected, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(scaler.transform([[11.0, 0.0]]), [[1.6, -1.0]], rtol=1e-14)
    np.testing.assert_allclose(scaler.inverse_transform(expected), X, rtol=1e-14)
    np.testing.assert_allclose(mean_normalize(X, [3, 20], [1, 10], [6, 30]), expected, atol=1e-15)
    np.testing.assert_allclose(mean_unnormalize(expected, [3, 20], [1, 10], [6, 30]), X)


def test_mean_normalizer_constant_column_becomes_exactly_zero():
    X = np.column_stack([np.full(7, 0.1), np.arange(7.0)])
    Z = MeanNormalizer().fit_transform(X)
    assert np.all(Z[:, 0] == 0.0)
    np.testing.assert_allclose(Z[:, 1], (np.arange(7.0) - 3.0) / 6.0)


def test_pure_functions_match_sklearn_and_leave_inputs_unchanged():
    X = _data(4)
    lo, hi, mu, sd = X.min(0), X.max(0), X.mean(0), X.std(0)
    copies = [a.copy() for a in (X, lo, hi, mu, sd)]
    np.testing.assert_allclose(min_max_scale(X, lo, hi, (-1, 1)),
                               skp.MinMaxScaler((-1, 1)).fit_transform(X), rtol=1e-12, atol=1e-12)
    sd_safe = np.where(np.ptp(X, axis=0) == 0, 0.0, sd)
    np.testing.assert_allclose(standardize(X, mu, sd_safe), skp.StandardScaler().fit_transform(X),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(min_max_unscale(min_max_scale(X, lo, hi, (2, 3)), lo, hi, (2, 3)), X,
                               rtol=1e-12)
    np.testing.assert_allclose(unstandardize(standardize(X, mu, sd_safe), mu, sd_safe), X,
                               rtol=1e-12)
    for before, after in zip(copies, (X, lo, hi, mu, sd)):
        np.testing.assert_array_equal(before, after)


def test_transform_returns_new_array_and_integer_input_is_accepted():
    X = np.array([[1, 2], [3, 5], [4, 9]])
    for scaler in (MinMaxScaler(), StandardScaler(), MeanNormalizer()):
        Z = scaler.fit_transform(X)
        assert Z.dtype == np.float64 and Z.shape == X.shape
        np.testing.assert_array_equal(X, [[1, 2], [3, 5], [4, 9]])


def test_fit_returns_self_and_learned_attributes_exist_only_after_fit():
    for scaler in (MinMaxScaler(), StandardScaler(), MeanNormalizer()):
        assert not hasattr(scaler, "n_features_in_")
        assert scaler.fit(_data()) is scaler
        assert scaler.n_features_in_ == 4 and scaler.n_samples_seen_ == 40


@pytest.mark.parametrize("cls", [MinMaxScaler, StandardScaler, MeanNormalizer])
def test_bad_inputs_give_clear_messages(cls):
    scaler = cls()
    with pytest.raises(NotFittedError, match="call fit"):
        scaler.transform([[1.0, 2.0]])
    with pytest.raises(NotFittedError, match="call fit"):
        scaler.inverse_transform([[1.0, 2.0]])
    with pytest.raises(ValueError, match="X must have 2 dimension"):
        scaler.fit([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="X must have at least 1 row"):
        scaler.fit(np.empty((0, 3)))
    with pytest.raises(ValueError, match="X must contain only finite numbers, found 1"):
        scaler.fit([[1.0, np.nan], [2.0, 3.0]])
    with pytest.raises(ValueError, match="X must contain only finite"):
        scaler.fit([[1.0, np.inf], [2.0, 3.0]])
    scaler.fit([[1.0, 2.0], [3.0, 5.0]])
    with pytest.raises(ValueError, match=r"X must have 2 feature column\(s\).*got shape \(1, 3\)"):
        scaler.transform([[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError, match=r"X_scaled must have 2 feature column"):
        scaler.inverse_transform([[1.0]])
    with pytest.raises(ValueError, match="X must contain only finite"):
        scaler.transform([[np.nan, 1.0]])


@pytest.mark.parametrize("bad", [(1, 0), (1, 1), (0,), (0, 1, 2), (0, np.nan), (0, np.inf),
                                 ("a", 1), (False, True), 1.0, None])
def test_min_max_feature_range_is_validated(bad):
    with pytest.raises(ValueError, match=r"feature_range must be a pair \(low, high\)"):
        MinMaxScaler(feature_range=bad)
    with pytest.raises(ValueError, match="feature_range must be"):
        min_max_scale([[1.0]], [0.0], [2.0], bad)


def test_pure_functions_check_statistic_shapes():
    X = np.ones((3, 2))
    with pytest.raises(ValueError, match=r"data_min must have one entry per column of X \(2\)"):
        min_max_scale(X, [0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="std must have one entry per column"):
        standardize(X, [0.0, 0.0], [1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="mean must contain only finite"):
        mean_normalize(X, [np.nan, 0.0], [0.0, 0.0], [1.0, 1.0])
    with pytest.raises(ValueError, match="X must have 2 dimension"):
        standardize([1.0, 2.0], [0.0], [1.0])
