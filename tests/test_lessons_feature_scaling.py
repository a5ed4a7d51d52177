"""Lesson 02's experiment code: the least-squares analysis, the descent, the figures, the widget.

References: numpy's least squares and scikit-learn's scalers for the problem, PyTorch (autograd
and torch.optim.SGD, float64) for the loss, its gradient and the descent path, and gradient
descent run step by step for the step counts.
"""
import numpy as np
import pytest
import torch

from nnlesson.datasets import load_wine
from nnlesson.course.lessons import feature_scaling as fs
from nnlesson.losses import mse_loss
from nnlesson.optim import gd_update


@pytest.fixture(scope="module")
def wine():
    return load_wine()


def _random_problem(seed, bias=False, n=40, scales=(1.0, 30.0)):
    rng = np.random.default_rng(seed)
    Z = rng.standard_normal((n, len(scales))) * np.array(scales) + 2.0
    y = Z @ rng.standard_normal(len(scales)) + 0.3 * rng.standard_normal(n)
    return fs.least_squares(Z, y, bias=bias)


# --------------------------------------------------------------------------- LeastSquares


@pytest.mark.parametrize("bias", [False, True])
def test_loss_and_gradient_match_torch(bias):
    p = _random_problem(0, bias)
    rng = np.random.default_rng(1)
    for _ in range(3):
        w = rng.standard_normal(p.n_weights)
        wt = torch.tensor(w, requires_grad=True)
        loss = torch.nn.functional.mse_loss(torch.tensor(p.Z) @ wt, torch.tensor(p.y))
        loss.backward()
        np.testing.assert_allclose(p.loss(w), loss.item(), rtol=1e-10)
        np.testing.assert_allclose(p.grad(w), wt.grad.numpy(), rtol=1e-9, atol=1e-12)
        # and the library's loss
        np.testing.assert_allclose(p.loss(w), mse_loss(p.Z @ w, p.y)[0], rtol=1e-10)


def test_gradient_matches_finite_differences():
    p = _random_problem(2)
    w = np.array([0.3, -0.7])
    h = 1e-6
    fd = np.array([(p.loss(w + h * e) - p.loss(w - h * e)) / (2 * h) for e in np.eye(2)])
    assert np.max(np.abs(fd - p.grad(w)) / np.maximum(np.abs(fd), 1e-8)) < 1e-7


def test_minimum_matches_numpy_least_squares():
    p = _random_problem(3, bias=True)
    w_ls = np.linalg.lstsq(p.Z, p.y, rcond=None)[0]
    np.testing.assert_allclose(p.w_star, w_ls, rtol=1e-9)
    assert p.names[-1] == "bias"
    assert p.excess(p.w_star) == 0.0
    np.testing.assert_allclose(p.loss(p.w_star), np.mean((p.Z @ w_ls - p.y) ** 2), rtol=1e-12)


def test_curvature_numbers_hand_worked():
    # Z = diag-like columns: H = (2 / n) Z^T Z = diag(2 * 4 / 2, 2 * 1 / 2) = diag(4, 1)
    Z = np.array([[2.0, 0.0], [0.0, 1.0]])
    p = fs.least_squares(Z, np.array([1.0, 1.0]))
    np.testing.assert_allclose(p.eigenvalues, [1.0, 4.0])
    assert p.condition_number == pytest.approx(4.0)
    assert p.max_stable_lr == pytest.approx(0.5)
    assert p.best_lr == pytest.approx(0.4)
    # from 0, w* = (0.5, 1); with lr = 0.25 the error along H = 4 vanishes in one step and
    # the other shrinks by 0.75 per step: excess = 1/2 * 1 * 1^2 * 0.75^(2t) vs 1/2 (4 * 0.25 + 1)
    # t steps until 0.5 * 0.5625^t <= 1e-6 * 1.0: t = ceil(log(2e-6) / log(0.5625)) = 23
    assert p.steps_to_converge(0.25) == 23


def test_one_step_when_lr_is_one_over_the_curvature():
    # n = 2 rows: H = (2 / 2) Z^T Z = I, so lr = 1 lands on w* in one step ...
    p = fs.least_squares(np.eye(2), np.array([3.0, -1.0]))
    assert p.steps_to_converge(1.0) == 1
    assert p.excess(p.descend(1.0, 1).points[-1]) == 0.0
    # ... and lr = 1/2 halves the error every step: 0.25^t <= 1e-6 from t = 10
    assert p.steps_to_converge(0.5) == 10


@pytest.mark.parametrize("scaler, lr", [("standardize", 0.1), ("standardize", 0.5),
                                        ("min-max", 1.0), ("mean-norm", 5.0),
                                        ("mean-norm", 15.0)])
def test_steps_to_converge_matches_running_gradient_descent(scaler, lr):
    """Count the steps by running gradient descent with the library's update, measuring the
    loss with mse_loss, without using the analysis under test."""
    p = fs.wine_problem(scaler)
    w = np.zeros(2)
    L0 = mse_loss(p.Z @ w, p.y)[0]
    L_star = mse_loss(p.Z @ np.linalg.lstsq(p.Z, p.y, rcond=None)[0], p.y)[0]
    steps = 0
    while mse_loss(p.Z @ w, p.y)[0] - L_star > 1e-6 * (L0 - L_star):
        w = gd_update(w, 2 / len(p.y) * p.Z.T @ (p.Z @ w - p.y), lr=lr)
        steps += 1
        assert steps < 10_000
    assert p.steps_to_converge(lr) == steps


def test_steps_to_converge_edge_cases():
    p = fs.wine_problem("standardize")
    assert p.steps_to_converge(p.max_stable_lr * 1.01) is None  # diverges
    assert p.steps_to_converge(p.max_stable_lr) is None  # oscillates forever
    assert p.steps_to_converge(0.0) is None  # never moves
    assert p.steps_to_converge(0.3, start=p.w_star) == 0
    assert p.steps_to_converge(0.3, tol=0.999) == 1


def test_best_lr_is_fastest():
    p = fs.wine_problem("min-max")
    best = p.steps_to_converge(p.best_lr)
    for lr in np.linspace(0.05, 0.99, 25) * p.max_stable_lr:
        assert p.steps_to_converge(lr) >= best


def test_max_stable_lr_separates_convergence_from_divergence():
    p = fs.wine_problem("mean-norm")
    below = p.descend(0.99 * p.max_stable_lr, 3000)
    above = p.descend(1.01 * p.max_stable_lr, 3000)
    assert not below.diverged and p.relative_excess(below.points)[-1] < 1e-6
    assert above.diverged


def test_descend_matches_torch_sgd():
    p = fs.wine_problem("min-max")
    path = p.descend(0.8, 50)
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.8)
    Z, y = torch.tensor(p.Z), torch.tensor(p.y)
    points = [w.detach().numpy().copy()]
    for _ in range(50):
        opt.zero_grad()
        torch.nn.functional.mse_loss(Z @ w, y).backward()
        opt.step()
        points.append(w.detach().numpy().copy())
    np.testing.assert_allclose(path.points, np.array(points), rtol=1e-10, atol=1e-13)
    assert path.points.shape == (51, 2) and path.values.shape == (51,)
    np.testing.assert_allclose(path.values, [mse_loss(p.Z @ w, p.y)[0] for w in path.points],
                               rtol=1e-12)
    assert p.relative_excess(path.points)[0] == 1.0


def test_descend_stops_when_diverging():
    p = fs.wine_problem("none")
    path = p.descend(1e-3, 100)
    assert path.diverged and path.diverged_at == len(path.points)
    assert np.all(np.isfinite(path.points))


def test_descend_does_not_change_start():
    p = fs.wine_problem("standardize")
    start = np.array([0.1, 0.2])
    p.descend(0.3, 5, start=start)
    np.testing.assert_array_equal(start, [0.1, 0.2])


# --------------------------------------------------------------------------- the wine problem


@pytest.mark.parametrize("name, sk", [("min-max", "MinMaxScaler"),
                                      ("standardize", "StandardScaler")])
def test_wine_problem_uses_the_scalers_as_scikit_learn(wine, name, sk):
    import sklearn.preprocessing as skp

    p = fs.wine_problem(name)
    names = list(wine.feature_names)
    X = wine.X[:, [names.index("proline"), names.index("hue")]]
    np.testing.assert_allclose(p.Z, getattr(skp, sk)().fit_transform(X), rtol=1e-12, atol=1e-12)
    alcohol = wine.X[:, names.index("alcohol")]
    np.testing.assert_allclose(p.y, alcohol - alcohol.mean(), rtol=1e-12, atol=1e-12)


def test_wine_problem_mean_norm_and_raw(wine):
    names = list(wine.feature_names)
    X = wine.X[:, [names.index("proline"), names.index("hue")]]
    np.testing.assert_array_equal(fs.wine_problem("none").Z, X)
    expected = (X - X.mean(axis=0)) / (X.max(axis=0) - X.min(axis=0))
    np.testing.assert_allclose(fs.wine_problem("mean-norm").Z, expected, rtol=1e-12, atol=1e-15)


def test_wine_problem_all_features_with_bias():
    p = fs.wine_problem("standardize", features="all others", bias=True)
    assert p.Z.shape == (178, 13) and p.names[-1] == "bias"
    assert "w_alcohol" not in p.names


def test_scale_split_fits_on_the_first_array_only():
    X_train = np.array([[0.0, 10.0], [2.0, 30.0]])
    X_test = np.array([[4.0, 20.0]])
    a, b = fs.scale_split("min-max", X_train, X_test)
    np.testing.assert_array_equal(a, [[0.0, 0.0], [1.0, 1.0]])
    np.testing.assert_array_equal(b, [[2.0, 0.5]])


def test_scaler_table_rows():
    rows = fs.scaler_table()
    assert [r.scaler for r in rows] == list(fs.SCALERS)
    for r in rows:
        p = fs.wine_problem(r.scaler)
        assert r.steps_at_best_lr == p.steps_to_converge(p.best_lr)
    text = fs.format_scaler_table(rows)
    assert "raw features" in text and "standardized" in text and len(text.splitlines()) == 5


# --------------------------------------------------------------------------- fit on train only


def test_leakage_summary_against_a_direct_computation(wine):
    from sklearn.preprocessing import MinMaxScaler as SkMinMax

    from nnlesson.data import train_val_split

    s = fs.leakage_summary(seed=0)
    X_train, X_test, _, _ = train_val_split(wine.X, wine.y, val_fraction=0.3, rng=0, stratify=True)
    t = SkMinMax().fit(X_train).transform(X_test)
    assert (s.n_train, s.n_test) == (len(X_train), len(X_test))
    assert s.test_min_fit_train == pytest.approx(t.min())
    assert s.test_max_fit_train == pytest.approx(t.max())
    assert s.outside_fit_train == int(np.sum((t < 0) | (t > 1)))
    assert s.test_min_fit_all >= -1e-12 and s.test_max_fit_all <= 1 + 1e-12


def test_new_batch_demo_fields():
    d = fs.new_batch_demo()
    assert d.n_batch == 15 and d.cultivar == 2
    for acc in (d.accuracy_train_stats, d.accuracy_batch_stats, d.test_accuracy):
        assert 0.0 <= acc <= 1.0


# --------------------------------------------------------------------------- bad inputs


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match="name must be one of"):
        fs.make_scaler("robust")
    with pytest.raises(ValueError, match="scaler must be one of"):
        fs.wine_problem("robust")
    with pytest.raises(ValueError, match="target must be one of"):
        fs.wine_problem(target="price")
    with pytest.raises(ValueError, match="features must not contain the target"):
        fs.wine_problem(features=("alcohol", "hue"))
    with pytest.raises(ValueError, match="Z and y must have the same number of rows"):
        fs.least_squares(np.ones((3, 2)), np.ones(4))
    with pytest.raises(ValueError, match="linearly independent columns"):
        fs.least_squares(np.ones((3, 1)), np.ones(3), bias=True)
    p = fs.wine_problem()
    with pytest.raises(ValueError, match="lr must be a finite number >= 0"):
        p.steps_to_converge(-0.1)
    with pytest.raises(ValueError, match="tol must be a finite number in"):
        p.steps_to_converge(0.1, tol=1.5)
    with pytest.raises(ValueError, match="start must have shape"):
        p.descend(0.1, 5, start=np.zeros(3))
    with pytest.raises(ValueError, match="n_steps must be an integer >= 0"):
        p.descend(0.1, -1)
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        fs.ScalingExplorer(n_steps=0)


# --------------------------------------------------------------------------- figures and widget


def test_widget_redraws_when_a_control_moves():
    demo = fs.explore_scaling()
    count, image = demo.update_count, demo.image.value
    demo.set(lr=1.5e-6)
    assert demo.update_count == count + 1 and demo.image.value != image
    image = demo.image.value
    demo.set(scaler="standardize")
    assert demo.update_count == count + 2 and demo.image.value != image
    image = demo.image.value
    demo.set(lr=0.5)
    assert demo.update_count == count + 3 and demo.image.value != image


def test_the_ladder_lands_on_the_rates_the_lesson_names():
    for lr in (1e-6, 1.5e-6, 2e-6, 0.5, 0.8, 0.9, 1.0, 10.0):
        assert lr in fs.SCALING_LRS


def test_explorer_update_changes_artists_not_the_figure():
    explorer = fs.ScalingExplorer(n_steps=50)
    demo = explorer.explore(scaler="min-max", lr=1.0)
    fig, line = explorer.figure, explorer.path_line
    expected = explorer.problems["min-max"].descend(1.0, 50).points
    np.testing.assert_allclose(line.get_xydata(), expected)
    # 100: counted by running gradient descent in test_steps_to_converge_matches_running_...
    assert explorer.summary.startswith("lr = 1: converges in 100 steps. Min-max to [0, 1]:")
    demo.set(scaler="standardize", lr=0.9)
    assert explorer.figure is fig and explorer.path_line is line
    assert "diverges" in explorer.summary


def test_the_summary_says_diverges_before_the_run_leaves_the_runners_bound():
    """lr = 0.9 on standardized features: 0.9 > 2/lambda_max = 0.81, so the analysis says it
    diverges even where the first steps have not yet passed ||w|| > 1e6."""
    explorer = fs.ScalingExplorer(n_steps=20)
    explorer.explore(scaler="standardize", lr=0.9)
    assert not explorer.result[0].diverged
    assert "diverges: the loss grows every step" in explorer.summary


def test_each_scaling_is_a_scene_with_its_own_contours_and_window():
    for scaler in fs.SCALERS:
        explorer = fs.ScalingExplorer()
        explorer.snapshot(scaler=scaler)  # a plain figure: nothing painted into a backdrop
        shown = [s for s, artists in explorer.static.items() if artists[0].get_visible()]
        assert shown == [scaler]
        assert explorer.axes[0].get_title().startswith(fs.SCALER_LABELS[scaler])
        (x0, x1), (y0, y1) = explorer.boxes[scaler]
        assert explorer.axes[0].get_xlim() == pytest.approx((x0, x1))


def test_snapshots_are_described_figures_with_text_a_projector_shows():
    from matplotlib.figure import Figure

    from nnlesson.viz.plotting import alt_text, smallest_text_px

    for fig in (fs.snapshot_scaling(scaler="min-max", lr=1.0), fs.figure_scaler_paths(),
                fs.figure_before_after(np.eye(2), np.eye(2))):
        assert isinstance(fig, Figure) and smallest_text_px(fig) >= 14
        assert len(alt_text(fig)) > 80
    fig = fs.figure_scaler_paths()
    assert len(fig.axes) == 4
    assert all(ax.get_title() and ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert "14.9 million steps" in alt_text(fig)
