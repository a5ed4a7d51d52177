"""Every claim the text of lesson 02 (feature scaling) makes, asserted."""
import numpy as np
import pytest

from nnlesson.datasets import load_wine
from nnlesson.course.lessons import feature_scaling as fs
from nnlesson.scaling import MeanNormalizer, MinMaxScaler, StandardScaler


@pytest.fixture(scope="module")
def two():
    return {r.scaler: r for r in fs.scaler_table()}


@pytest.fixture(scope="module")
def full():
    return {r.scaler: r for r in fs.scaler_table(features="all others", bias=True)}


def test_wine_features_differ_by_orders_of_magnitude():
    d = load_wine()
    assert d.X.shape == (178, 13) and len(np.unique(d.y)) == 3  # "178 wines, 13 measurements"
    col = dict(zip(d.feature_names, d.X.T))
    assert col["proline"].min() == 278 and col["proline"].max() == 1680
    assert col["hue"].min() == pytest.approx(0.48) and col["hue"].max() == pytest.approx(1.71)
    assert col["proline"].std() / col["hue"].std() > 1000


def test_the_tutorials_gradient_claim_is_reversed():
    """The big feature's weight ends up small, but its gradient is the LARGE one."""
    p = fs.wine_problem("none")
    g = p.grad(np.zeros(2))
    assert abs(g[0]) / abs(g[1]) > 10_000  # 327 vs 0.026
    assert abs(p.w_star[0]) < 0.01 < abs(p.w_star[1])  # 0.0017 vs -1.28


def test_scaled_ranges_as_the_formulas_say():
    X = load_wine().X
    assert np.allclose(MinMaxScaler().fit_transform(X).min(axis=0), 0)
    assert np.allclose(MinMaxScaler().fit_transform(X).max(axis=0), 1)
    Z = MinMaxScaler(feature_range=(-1, 1)).fit_transform(X)
    assert np.allclose([Z.min(), Z.max()], [-1, 1])
    S = StandardScaler().fit_transform(X)
    assert np.allclose(S.mean(axis=0), 0, atol=1e-12) and np.allclose(S.std(axis=0), 1)
    M = MeanNormalizer().fit_transform(X)
    assert np.allclose(M.mean(axis=0), 0, atol=1e-12)
    assert np.allclose(M.max(axis=0) - M.min(axis=0), 1)  # a width of exactly 1 ...
    assert M.min() >= -1 and M.max() <= 1  # ... inside [-1, 1]


def test_raw_features_need_millions_of_steps_standardized_a_handful(two):
    assert two["none"].steps_at_best_lr > 14_000_000
    assert two["standardize"].steps_at_best_lr == 5
    assert two["mean-norm"].steps_at_best_lr == 6
    assert two["min-max"].steps_at_best_lr == 33
    assert two["none"].steps_at_best_lr / two["standardize"].steps_at_best_lr > 2_000_000


def test_largest_stable_learning_rates(two):
    assert 1.5e-6 < two["none"].max_stable_lr < 1.55e-6
    assert two["standardize"].max_stable_lr == pytest.approx(0.809, abs=1e-3)
    assert two["mean-norm"].max_stable_lr == pytest.approx(18.2, abs=0.1)
    assert two["standardize"].best_lr == pytest.approx(0.5, abs=1e-3)


def test_condition_numbers(two):
    assert two["none"].condition_number > 4e6
    assert two["standardize"].condition_number < 1.7
    assert two["mean-norm"].condition_number < 1.9
    assert 9 < two["min-max"].condition_number < 10
    # the valley is sqrt(kappa) times longer than wide: about 2,000 for raw features
    assert 2000 < np.sqrt(two["none"].condition_number) < 2100


def test_no_bias_two_weight_model_fits_worse_without_centring(two):
    assert two["standardize"].min_loss == pytest.approx(two["mean-norm"].min_loss, rel=1e-10)
    assert two["none"].min_loss > two["standardize"].min_loss + 0.01
    assert two["min-max"].min_loss > two["standardize"].min_loss + 0.03


def test_whole_model_ranking_and_same_minimum(full):
    steps = {s: r.steps_at_best_lr for s, r in full.items()}
    assert steps["standardize"] == 60
    assert steps["standardize"] < steps["mean-norm"] < steps["min-max"] < steps["none"]
    assert steps["mean-norm"] == 789 and steps["min-max"] == 2382
    assert 5.5e8 < steps["none"] < 5.6e8
    losses = [r.min_loss for r in full.values()]
    assert np.ptp(losses) < 1e-9  # with a bias, scaling changes the path, not the minimum
    assert round(losses[0], 4) == 0.2664


def test_dramatic_improvement_measured(full):
    ratio_steps = full["none"].steps_at_best_lr / full["standardize"].steps_at_best_lr
    ratio_lr = full["standardize"].max_stable_lr / full["none"].max_stable_lr
    assert ratio_steps > 9e6
    assert 135_000 <= ratio_lr < 145_000  # "about 140,000 times larger"


def test_fit_on_train_only():
    s = fs.leakage_summary(seed=0)
    assert (s.n_train, s.n_test) == (124, 54)
    assert s.test_min_fit_train < 0 and s.test_max_fit_train > 1 and s.outside_fit_train == 9
    assert round(s.test_min_fit_train, 3) == -0.095 and round(s.test_max_fit_train, 3) == 1.320
    assert s.outside_fit_all == 0
    assert s.test_min_fit_all == pytest.approx(0, abs=1e-12)
    assert s.test_max_fit_all == pytest.approx(1, abs=1e-12)
    assert s.changed_train_values > 1000


def test_refitting_on_a_new_batch_breaks_the_model():
    d = fs.new_batch_demo()
    assert d.accuracy_train_stats == 1.0 and d.test_accuracy == 1.0
    assert d.accuracy_batch_stats < 0.1


def test_constant_feature_becomes_zero_not_nan():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0]])
    with np.errstate(all="ignore"):
        naive = (X - X.mean(axis=0)) / X.std(axis=0)
    assert np.all(np.isnan(naive[:, 1]))
    for scaler in (StandardScaler(), MinMaxScaler(), MeanNormalizer()):
        assert np.all(scaler.fit_transform(X)[:, 1] == 0)


def test_explorer_defaults_show_the_raw_problem_stuck():
    p = fs.wine_problem("none")
    path = p.descend(1e-6, 200)
    assert not path.diverged and p.relative_excess(path.points)[-1] > 0.5
    assert p.descend(2e-6, 200).diverged


def test_the_exercises_learning_rate_decision_on_flavanoids():
    """Solutions 02: with 2 / lambda_max of (2/n) Z^T Z, 300 steps at 0.95 times the rate
    converge and at 1.05 times diverge, raw and standardized; raw features stay far above the
    best fit, standardized ones reach it (every other wine, the 12 other measurements and a
    bias)."""
    d = load_wine()
    target = d.feature_names.index("flavanoids")
    X, y = np.delete(d.X, target, axis=1)[::2], d.X[::2, target]
    with_bias = lambda A: np.column_stack([A, np.ones(len(A))])  # noqa: E731
    standardized = StandardScaler().fit(X).transform(X)
    best = np.mean((with_bias(X) @ np.linalg.lstsq(with_bias(X), y, rcond=None)[0] - y) ** 2)
    final = {}
    for name, Z in (("raw", with_bias(X)), ("standardized", with_bias(standardized))):
        p = fs.least_squares(Z, y)
        for factor in (0.95, 1.05):
            path = p.descend(factor * p.max_stable_lr, 300, start=np.zeros(Z.shape[1]))
            final[name, factor] = path.values[-1]
            assert (path.diverged or path.values[-1] > 1e6) == (factor > 1), (name, factor)
    assert final["standardized", 0.95] < best * 1.001
    assert final["raw", 0.95] > 5 * best
