"""Mini-batches, splits and synthetic data of nnlesson.data."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnlesson.data import (
    iterations_per_epoch,
    make_ill_conditioned_regression,
    make_spirals,
    minibatches,
    train_val_split,
)


def _indexed(n):
    """X holds each sample's index (so batches can be traced back), y the same as ints."""
    return np.arange(n, dtype=np.float64).reshape(n, 1) * np.ones((1, 3)), np.arange(n)


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 120), batch_size=st.integers(1, 150), shuffle=st.booleans(),
       drop_last=st.booleans(), seed=st.integers(0, 2**32 - 1))
def test_every_sample_once_per_epoch_and_batch_count(n, batch_size, shuffle, drop_last, seed):
    if drop_last and batch_size > n:
        batch_size = n
    X, y = _indexed(n)
    batches = list(minibatches(X, y, batch_size, shuffle=shuffle, rng=seed, drop_last=drop_last))
    assert len(batches) == iterations_per_epoch(n, batch_size, drop_last=drop_last)
    seen = np.concatenate([yb for _, yb in batches])
    for xb, yb in batches:
        np.testing.assert_array_equal(xb[:, 0], yb)  # rows of X and y stay paired
        assert xb.shape[1:] == (3,)
    sizes = [len(yb) for _, yb in batches]
    if drop_last:
        assert sizes == [batch_size] * (n // batch_size)
        assert len(np.unique(seen)) == len(seen) == (n // batch_size) * batch_size
    else:
        assert sizes[:-1] == [batch_size] * (len(sizes) - 1)
        assert sizes[-1] == n - batch_size * (len(sizes) - 1)  # the partial last batch is kept
        np.testing.assert_array_equal(np.sort(seen), np.arange(n))  # each sample exactly once
    if not shuffle:
        np.testing.assert_array_equal(seen, np.arange(len(seen)))


@pytest.mark.parametrize("n,b,drop_last", [
    (n, b, drop_last)
    for n, b in [(1000, 100), (1000, 300), (5, 10), (1, 1), (10, 3), (33, 32)]
    for drop_last in (False, True)
    if not (drop_last and b > n)  # an error here, tested below
])
def test_iterations_per_epoch_matches_torch_dataloader(n, b, drop_last):
    loader = torch.utils.data.DataLoader(range(n), batch_size=b, drop_last=drop_last)
    assert iterations_per_epoch(n, b, drop_last=drop_last) == len(loader)
    X, _ = _indexed(n)
    ours = [len(xb) for xb, _ in minibatches(X, None, b, shuffle=False, drop_last=drop_last)]
    assert ours == [len(batch) for batch in loader]


def test_iterations_per_epoch_hand_worked():
    assert iterations_per_epoch(1000, 100) == 10  # the seed's example
    assert iterations_per_epoch(5000, 1000) == 5
    assert iterations_per_epoch(1000, 300) == 4 == math.ceil(1000 / 300)
    assert iterations_per_epoch(1000, 300, drop_last=True) == 3
    assert iterations_per_epoch(7, 7) == 1 and iterations_per_epoch(7, 1) == 7


def test_seeded_rng_is_deterministic_and_epochs_differ():
    X, y = _indexed(50)
    a = [yb for _, yb in minibatches(X, y, 8, rng=123)]
    b = [yb for _, yb in minibatches(X, y, 8, rng=np.random.default_rng(123))]
    for ya, yb in zip(a, b):
        np.testing.assert_array_equal(ya, yb)
    gen = np.random.default_rng(5)
    epoch1 = np.concatenate([yb for _, yb in minibatches(X, y, 8, rng=gen)])
    epoch2 = np.concatenate([yb for _, yb in minibatches(X, y, 8, rng=gen)])
    assert not np.array_equal(epoch1, epoch2)  # the generator moved on: a new order each epoch
    assert not np.array_equal(epoch1, np.arange(50))  # and it is shuffled


def test_y_none_and_image_shaped_x():
    X = np.arange(5 * 8 * 8, dtype=float).reshape(5, 8, 8)
    batches = list(minibatches(X, None, 2, shuffle=False))
    assert [xb.shape for xb, _ in batches] == [(2, 8, 8), (2, 8, 8), (1, 8, 8)]
    assert all(yb is None for _, yb in batches)
    np.testing.assert_array_equal(batches[2][0][0], X[4])


def test_batches_are_copies():
    X, y = _indexed(6)
    xb, _ = next(minibatches(X, y, 3, shuffle=False))
    xb[:] = -1.0
    assert X.min() == 0.0


def test_minibatches_bad_inputs_raise_at_call_time():
    X, y = _indexed(10)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got 0"):
        minibatches(X, y, 0)
    with pytest.raises(TypeError, match="batch_size must be an integer >= 1, got 2.5"):
        minibatches(X, y, 2.5)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        minibatches(X, y, True)
    with pytest.raises(ValueError, match=r"batch_size must be <= the number of samples \(10\) "
                                         r"when drop_last=True, got 11"):
        minibatches(X, y, 11, drop_last=True)
    with pytest.raises(ValueError,
                       match=r"X and y must have the same number of samples.*\(10, 3\).*\(9,\)"):
        minibatches(X, y[:9], 2)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X must contain only finite numbers, found 1"):
        minibatches(bad, y, 2)
    with pytest.raises(ValueError, match="y must contain only finite"):
        minibatches(X, np.where(y == 2, np.inf, y), 2)
    with pytest.raises(ValueError, match="X must have at least 1 row"):
        minibatches(np.empty((0, 3)), None, 2)
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        minibatches(X, y, 2, shuffle="yes")
    with pytest.raises(TypeError, match="drop_last must be True or False"):
        minibatches(X, y, 2, drop_last=None)
    with pytest.raises(TypeError, match="rng must be None, an integer seed"):
        minibatches(X, y, 2, rng=0.5)


def test_minibatches_larger_than_n_is_one_full_batch():
    X, y = _indexed(4)
    batches = list(minibatches(X, y, 100, rng=0))
    assert len(batches) == 1 == iterations_per_epoch(4, 100)
    np.testing.assert_array_equal(np.sort(batches[0][1]), np.arange(4))


def test_iterations_per_epoch_bad_inputs():
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1, got 0"):
        iterations_per_epoch(0, 5)
    with pytest.raises(ValueError, match="batch_size must be an integer >= 1, got -2"):
        iterations_per_epoch(10, -2)
    with pytest.raises(TypeError, match="batch_size must be an integer"):
        iterations_per_epoch(10, 2.0)
    with pytest.raises(ValueError, match="batch_size must be <= the number of samples"):
        iterations_per_epoch(10, 20, drop_last=True)


def test_train_val_split_sizes_disjoint_and_paired():
    X, y = _indexed(103)
    X_tr, X_va, y_tr, y_va = train_val_split(X, y, val_fraction=0.2, rng=0)
    assert len(X_va) == math.ceil(0.2 * 103) == 21 and len(X_tr) == 82
    np.testing.assert_array_equal(X_tr[:, 0], y_tr)
    np.testing.assert_array_equal(X_va[:, 0], y_va)
    np.testing.assert_array_equal(np.sort(np.concatenate([y_tr, y_va])), np.arange(103))
    again = train_val_split(X, y, val_fraction=0.2, rng=0)
    np.testing.assert_array_equal(again[3], y_va)
    X_tr2, X_va2, none1, none2 = train_val_split(X, None, val_fraction=0.5, rng=1)
    assert none1 is None and none2 is None and len(X_va2) == 52


def test_stratified_split_keeps_class_proportions():
    # the class counts of UCI Wine: 59, 71, 48
    y = np.repeat([0, 1, 2], [59, 71, 48])
    X = np.arange(len(y), dtype=float).reshape(-1, 1)
    X_tr, X_va, y_tr, y_va = train_val_split(X, y, val_fraction=0.2, rng=3, stratify=True)
    assert len(y_va) == math.ceil(0.2 * 178) == 36
    exact = 36 * np.array([59, 71, 48]) / 178
    counts = np.bincount(y_va, minlength=3)
    assert np.all(np.abs(counts - exact) < 1.0), counts
    np.testing.assert_array_equal(np.bincount(y_tr) + counts, [59, 71, 48])
    np.testing.assert_array_equal(y[X_va[:, 0].astype(int)], y_va)
    assert not np.all(np.diff(y_va) >= 0)  # shuffled, not grouped by class


def test_train_val_split_bad_inputs():
    X, y = _indexed(10)
    for bad in (0, 1, 1.5, -0.1):
        with pytest.raises(ValueError, match=r"val_fraction must be a finite number in \(0, 1\)"):
            train_val_split(X, y, val_fraction=bad)
    with pytest.raises(ValueError, match="val_fraction must leave at least one training sample"):
        train_val_split(X[:2], y[:2], val_fraction=0.9)
    with pytest.raises(ValueError, match="y must be given"):
        train_val_split(X, None, stratify=True)
    with pytest.raises(ValueError, match="at least 2 samples of every class"):
        train_val_split(X, np.array([0] * 9 + [1]), stratify=True)
    with pytest.raises(ValueError, match="X and y must have the same number of samples"):
        train_val_split(X, y[:3])
    with pytest.raises(ValueError, match="X must contain only finite"):
        train_val_split(np.full((4, 2), np.nan), None)


def test_make_spirals_geometry():
    X, y = make_spirals(n_per_class=50, n_classes=4, noise=0.0, rng=0)
    assert X.shape == (200, 2) and X.dtype == np.float64 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50] * 4)
    r = np.linspace(0, 1, 50)
    for k in range(4):
        arm = X[y == k]
        np.testing.assert_allclose(np.hypot(arm[:, 0], arm[:, 1]), r, atol=1e-15)
        theta = np.arctan2(arm[1:, 1], arm[1:, 0])
        expected = 2 * np.pi * k / 4 + 4 * r[1:]
        np.testing.assert_allclose(np.angle(np.exp(1j * (theta - expected))), 0, atol=1e-12)
    X1, y1 = make_spirals(noise=0.3, rng=7)
    X2, _ = make_spirals(noise=0.3, rng=7)
    np.testing.assert_array_equal(X1, X2)
    assert X1.shape == (300, 2) and set(y1) == {0, 1, 2}


def test_make_spirals_bad_inputs():
    with pytest.raises(ValueError, match="n_classes must be an integer >= 2, got 1"):
        make_spirals(n_classes=1)
    with pytest.raises(ValueError, match="n_per_class must be an integer >= 1, got 0"):
        make_spirals(n_per_class=0)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0, got -0.1"):
        make_spirals(noise=-0.1)


def test_make_ill_conditioned_regression_scales_and_targets():
    X, y = make_ill_conditioned_regression(4000, n_features=3, condition=100.0, noise=0.1, rng=0)
    assert X.shape == (4000, 3) and y.shape == (4000,)
    scales = X.std(axis=0)
    np.testing.assert_allclose(scales / scales[0], [1.0, 10.0, 100.0], rtol=0.08)
    # least squares recovers w_true = 1 / s_j, and the residual is the noise
    w, *_ = np.linalg.lstsq(X, y, rcond=None)
    np.testing.assert_allclose(w * np.array([1.0, 10.0, 100.0]), 1.0, rtol=0.02)
    assert abs(np.std(y - X @ w) - 0.1) < 0.01
    # curvature of the mean squared error: condition number about condition ** 2
    eig = np.linalg.eigvalsh(X.T @ X / len(X))
    assert 0.8e4 < eig.max() / eig.min() < 1.25e4
    X2, y2 = make_ill_conditioned_regression(4000, n_features=3, condition=100.0, noise=0.1, rng=0)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)


def test_make_ill_conditioned_regression_bad_inputs():
    with pytest.raises(ValueError, match="n_features must be an integer >= 2, got 1"):
        make_ill_conditioned_regression(10, n_features=1)
    with pytest.raises(ValueError, match="condition must be a finite number >= 1, got 0.5"):
        make_ill_conditioned_regression(10, condition=0.5)
    with pytest.raises(ValueError, match="n_samples must be an integer >= 1, got 0"):
        make_ill_conditioned_regression(0)
    with pytest.raises(ValueError, match="noise must be a finite number >= 0"):
        make_ill_conditioned_regression(10, noise=float("nan"))
