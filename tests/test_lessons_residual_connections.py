"""Lesson 12's experiments: the networks, the measurements, the sweep and the explorer."""
import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from nnlesson.gradcheck import numerical_gradient, rel_error
from nnlesson.layers import Linear, Residual, Sequential
from nnlesson.course.lessons import residual_connections as R
from nnlesson.losses import softmax_cross_entropy
from nnlesson.viz.widgets import sample_values


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
    assert s.final_loss(2, 10.0, True) == np.inf  # lr = 10 blows up
    assert s.best(2, True) == (pytest.approx(again[-1]), 0.1)
    assert s.nearest_lr(0.2) == 0.1 and s.nearest_lr(5.0) == 10.0
    g = s.grad_norms[(1, False)]
    np.testing.assert_allclose(g, R.weight_grad_norms(R.residual_network(1, skip=False, seed=3),
                                                      X, y), rtol=1e-12)


# --------------------------------------------------------------------------- explorer and widget


def test_widget_redraws_on_every_control():
    demo = R.explore_residual()
    assert demo.update_count == 1
    # the learning-rate slider steps through the precomputed rates (its step is one grid step)
    lr = demo.controls["lr"]
    grid = [float(lr.base ** e) for e in np.arange(lr.min, lr.max + lr.step / 2, lr.step)]
    np.testing.assert_allclose(grid, R.LRS, rtol=1e-12)
    moves = {"depth": sample_values(demo.controls["depth"], n=3),
             "lr": [v for v in grid if not np.isclose(v, lr.value)]}
    for name, values in moves.items():
        for value in values:
            count, png = demo.update_count, bytes(demo.image.value)
            demo.set(**{name: value})
            assert demo.update_count == count + 1, name
            assert bytes(demo.image.value) != png, (name, value)


def test_explorer_updates_artists_from_the_sweep():
    drawing = R.ResidualExplorer(bake=False)
    s = drawing.sweep
    fig = drawing.figure
    drawing.update(depth=8, lr=0.1)
    assert drawing.figure is fig
    n = 2 * 8 + 2
    np.testing.assert_allclose(drawing.grad_line[True].get_ydata()[:n], s.grad_norms[(8, True)])
    assert np.all(np.isnan(drawing.grad_line[True].get_ydata()[n:]))
    np.testing.assert_allclose(drawing.loss_line[False].get_ydata(), s.losses[(8, 0.1, False)])
    drawing.update(depth=16, lr=1.0)  # the residual network diverges there: marked, not drawn
    xs, _ = drawing.diverged_marks[True].get_data()
    assert 16 in list(xs)
    assert "diverged" in drawing.loss_text.get_text()
    drawing.update(depth=4, lr=0.09)  # between grid points: the nearest precomputed rate
    assert drawing.loss_text.get_text().startswith("lr = 0.1, 4 blocks")
    with pytest.raises(ValueError, match="depth must be one of"):
        drawing.update(depth=3)


def test_snapshots_are_figures():
    assert isinstance(R.snapshot_residual(depth=4), Figure)
    assert isinstance(R.figure_depth_sweep({"sigmoid": R.depth_sweep()}), Figure)
