"""Lesson 12's experiments: the networks, the measurements, the sweep and the explorer."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.gradcheck import numerical_gradient, rel_error
from nnlesson.layers import Linear, Residual, Sequential
from nnlesson.course.lessons import residual_connections as R
from nnlesson.losses import softmax_cross_entropy
from nnlesson.viz import plotting


@pytest.fixture(scope="module")
def data():
    return R.digits_subset(40, seed=3)


# --------------------------------------------------------------------------- networks


def test_residual_network_structure_and_shared_weights():
    plain = R.residual_network(3, skip=False, seed=5)
    res = R.residual_network(3, skip=True, seed=5)
    assert len(plain) == len(res) == 5
    assert all(isinstance(b, Sequential) and not isinstance(b, Residual) for b in plain[1:-1])
    assert all(isinstance(b, Residual) for b in res[1:-1])
    assert [p.shape for p in plain.parameters()] == [p.shape for p in res.parameters()]
    for a, b in zip(plain.parameters(), res.parameters()):
        np.testing.assert_array_equal(a.value, b.value)  # only the "+ x" differs
    assert isinstance(plain[0], Linear) and plain[0].W.shape == (64, R.WIDTH)
    assert plain[-1].W.shape == (R.WIDTH, 10)


def _torch_net(model, skip, act):
    """The same network in torch (float64); torch's weight is W transposed."""
    f = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}[act]
    Ws = [torch.tensor(p.value, requires_grad=True) for p in model.parameters()]

    def forward(x):
        it = iter(Ws)
        W, b = next(it), next(it)
        h = x @ W + b
        for _ in range(len(model) - 2):
            W1, b1, W2, b2 = next(it), next(it), next(it), next(it)
            F = f(h @ W1 + b1) @ W2 + b2
            h = h + F if skip else F
        W, b = next(it), next(it)
        return h @ W + b

    return Ws, forward


@pytest.mark.parametrize("skip", [False, True])
@pytest.mark.parametrize("act", list(R.ACTIVATIONS))
def test_weight_grad_norms_match_torch_autograd(data, skip, act):
    X, y = data
    model = R.residual_network(3, skip=skip, activation=act, seed=1)
    Ws, forward = _torch_net(model, skip, act)
    loss = torch.nn.functional.cross_entropy(forward(torch.tensor(X)), torch.tensor(y))
    loss.backward()
    expected = [w.grad.norm().item() for w in Ws if w.ndim == 2]
    np.testing.assert_allclose(R.weight_grad_norms(model, X, y), expected, rtol=1e-10)


def test_weight_grad_norms_clears_old_gradients_first(data):
    X, y = data
    model = R.residual_network(2, skip=True, seed=2)
    first = R.weight_grad_norms(model, X, y)
    np.testing.assert_allclose(R.weight_grad_norms(model, X, y), first, rtol=1e-14)


def test_residual_network_gradient_matches_finite_differences(data):
    X, y = data[0][:5], data[1][:5]
    model = R.residual_network(2, skip=True, width=4, seed=3)
    R.weight_grad_norms(model, X, y)
    W = model[1].block[0].W  # the first block's first weight matrix
    numeric = numerical_gradient(lambda _: softmax_cross_entropy(model.forward(X), y)[0], W.value)
    assert rel_error(W.grad, numeric) < 1e-7


def test_forward_scales_hand_checked(data):
    X, _ = data
    model = R.residual_network(2, skip=False, seed=0)
    scales = R.forward_scales(model, X)
    assert scales.shape == (len(model) + 1,)
    assert scales[0] == pytest.approx(np.std(X))
    assert scales[-1] == pytest.approx(np.std(model.forward(X)))


def test_train_briefly_is_full_batch_gradient_descent(data):
    X, y = data
    model = R.residual_network(1, skip=True, seed=4)
    start = softmax_cross_entropy(model.forward(X), y)[0]
    losses = R.train_briefly(model, X, y, lr=0.1, steps=5)
    assert losses.shape == (5,)
    assert losses[0] == pytest.approx(start, rel=1e-12)  # the loss of the first update's batch
    assert np.all(np.diff(losses) < 0)


def test_digits_subset_is_standardized_and_seeded():
    X, y = R.digits_subset(100, seed=1)
    X2, y2 = R.digits_subset(100, seed=1)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    assert X.shape == (100, 64) and y.shape == (100,)
    varying = X.std(axis=0) > 0
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0)[varying], 1, rtol=1e-12)
    X[0, 0] = 99.0  # a copy: the cache is untouched
    assert R.digits_subset(100, seed=1)[0][0, 0] != 99.0


def test_bad_inputs():
    with pytest.raises(ValueError, match="depth must be"):
        R.residual_network(-1, skip=True)
    with pytest.raises(TypeError, match="skip must be True or False"):
        R.residual_network(2, skip="yes")
    with pytest.raises(ValueError, match="activation must be one of"):
        R.residual_network(2, skip=True, activation="gelu")
    with pytest.raises(TypeError, match="model must be an nnlesson Module"):
        R.weight_grad_norms("net", np.zeros((2, 64)), np.zeros(2, dtype=int))
    with pytest.raises(TypeError, match="model must be a Sequential"):
        R.forward_scales(Linear(2, 2), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="lr must be"):
        R.train_briefly(R.residual_network(1, skip=True), *R.digits_subset(20), lr=0.0)
    with pytest.raises(ValueError, match="n must be"):
        R.digits_subset(5)
    with pytest.raises(ValueError, match="depths and lrs must each hold"):
        R.depth_sweep(depths=())


# --------------------------------------------------------------------------- the sweep


def test_small_sweep_is_cached_and_consistent(data):
    s = R.depth_sweep(depths=(1, 2), lrs=(0.1, 10.0), steps=4, n=40, seed=3)
    assert R.depth_sweep(depths=(1, 2), lrs=(0.1, 10.0), steps=4, n=40, seed=3) is s
    X, y = data
    again = R.train_briefly(R.residual_network(2, skip=True, seed=3), X, y, 0.1, 4)
    np.testing.assert_allclose(s.losses[(2, 0.1, True)], again, rtol=1e-12)
    assert s.final_loss(2, 0.1, True) == pytest.approx(again[-1])
    assert s.diverged_at(2, 0.1, True) is None
    assert s.final_loss(2, 10.0, True) == np.inf  # lr = 10 blows up
    assert s.diverged_at(2, 10.0, True) == len(s.losses[(2, 10.0, True)])
    assert s.best(2, True) == (pytest.approx(again[-1]), 0.1)
    g = s.grad_norms[(1, False)]
    np.testing.assert_allclose(g, R.weight_grad_norms(R.residual_network(1, skip=False, seed=3),
                                                      X, y), rtol=1e-12)
    assert s.ratio(1, False) == pytest.approx(g[1] / g[-2])


# --------------------------------------------------------------------------- scaled branches


def test_scale_residual_branches_scales_each_blocks_last_matrix_only():
    model = R.residual_network(3, skip=True, activation="relu", seed=2)
    before = [p.value.copy() for p in model.parameters()]
    assert R.scale_residual_branches(model, 0.5) is model
    after = [p.value for p in model.parameters()]
    # input layer (W, b), then per block W1, b1, W2, b2, then the output layer
    scaled = {2 + 4 * k + 2 for k in range(3)}
    for i, (a, b) in enumerate(zip(before, after)):
        np.testing.assert_array_equal(b, 0.5 * a if i in scaled else a)
    with pytest.raises(ValueError, match="model must contain residual blocks"):
        R.scale_residual_branches(R.residual_network(2, skip=False), 0.5)
    with pytest.raises(ValueError, match="alpha must be"):
        R.scale_residual_branches(model, -1.0)


def test_signal_growth_measures_the_blocks_of_each_random_seed():
    X = R.digits_subset()[0]
    growth = R.signal_growth(2, 0.3, seeds=(4, 5), X=X)
    for value, seed in zip(growth, (4, 5)):
        model = R.scale_residual_branches(
            R.residual_network(2, skip=True, activation="relu", seed=seed), 0.3)
        h0 = model[0].forward(X)
        h = model[2].forward(model[1].forward(h0))
        assert value == pytest.approx(np.mean(h ** 2) / np.mean(h0 ** 2), rel=1e-12)


# --------------------------------------------------------------------------- explorer and widget


def test_widget_redraws_on_every_control():
    demo = R.explore_residual()
    assert demo.update_count == 1
    for name, values in {"depth": [1, 4], "lr": [0.03, 1.0], "activation": ["tanh"]}.items():
        for value in values:
            count, png = demo.update_count, bytes(demo.image.value)
            demo.set(**{name: value})
            assert demo.update_count == count + 1, name
            assert bytes(demo.image.value) != png, (name, value)


def test_explorer_draws_the_sweep_of_its_setting():
    explorer = R.ResidualExplorer()
    explorer.snapshot(depth=8, lr=0.1)
    s = R.depth_sweep()
    n = 2 * 8 + 2
    np.testing.assert_allclose(explorer.grads.lines[True].get_ydata()[:n], s.grad_norms[(8, True)])
    assert np.all(np.isnan(explorer.grads.lines[True].get_ydata()[n:]))
    np.testing.assert_allclose(explorer.loss.lines[False].get_ydata(), s.losses[(8, 0.1, False)])
    assert explorer.summary.startswith(f"gradient at block 1 / last block: plain "
                                       f"{s.ratio(8, False):.1e}")


def test_a_diverged_training_is_marked_not_drawn():
    explorer = R.ResidualExplorer()
    explorer.snapshot(depth=16, lr=1.0)  # the residual network diverges there
    xs, _ = explorer.crosses[True].get_data()
    assert 16 in list(xs)
    finals = explorer.finals.lines[True].get_ydata()
    assert np.isnan(finals[R.DEPTHS.index(16)]) and np.isfinite(finals[0])
    assert explorer.summary.endswith("residual diverged")


def test_the_explorer_refuses_values_off_its_ladders():
    with pytest.raises(ValueError, match=r"depth \(depth \(blocks\)\).*nearest are 2 or 4"):
        R.ResidualExplorer().check(depth=3)
    with pytest.raises(ValueError, match=r"lr \(learning rate\).*nearest are 0.03 or 0.1"):
        R.ResidualExplorer().check(lr=0.0316)
    assert R.ResidualExplorer.precompute == ("activation",)


def test_figures_have_alt_text():
    for fig in (R.snapshot_residual(depth=4), R.figure_depth_sweep({"sigmoid": R.depth_sweep()})):
        assert isinstance(fig, Figure) and len(plotting.alt_text(fig)) > 80
