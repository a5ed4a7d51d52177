"""Layers against torch autograd (float64) and finite differences; accumulation; bad inputs."""
import functools
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnlesson.core import Module
from nnlesson.gradcheck import check_layer_gradients
from nnlesson.init import normal
from nnlesson.layers import (
    DropConnect,
    Dropout,
    Identity,
    Linear,
    ReLU,
    Residual,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    log_softmax,
    relu,
    sigmoid,
    softmax,
    tanh,
)

TOL = dict(rtol=1e-12, atol=1e-14)


def close(a, b, **kw):
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else b
    np.testing.assert_allclose(a, b, **(kw or TOL))


def leaf(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def torch_linear(layer):
    """A torch.nn.Linear holding the same numbers (torch's weight is W transposed)."""
    ref = torch.nn.Linear(layer.n_in, layer.n_out, bias=layer.b is not None, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.W.value.T))
        if layer.b is not None:
            ref.bias.copy_(torch.from_numpy(layer.b.value))
    return ref


def random_bias(layer, rng):
    layer.b.value[:] = rng.normal(size=layer.b.shape)  # the default zeros would test nothing
    return layer


class Reseeded(Module):
    """Gives a random layer the same generator before every forward: a fixed mask."""

    def __init__(self, layer, seed=0):
        self.layer = layer
        self.seed = seed

    def forward(self, x):
        self.layer.rng = np.random.default_rng(self.seed)
        return self.layer.forward(x)

    def backward(self, dout):
        return self.layer.backward(dout)


# --------------------------------------------------------------------- Linear vs torch


@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(bias):
    rng = np.random.default_rng(0)
    layer = Linear(5, 3, bias=bias, rng=1)
    if bias:
        random_bias(layer, rng)
    ref = torch_linear(layer)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))

    xt = leaf(x)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    out = layer.forward(x)
    dx = layer.backward(dout)

    close(out, out_t)
    close(dx, xt.grad)
    close(layer.W.grad, ref.weight.grad.T)
    if bias:
        close(layer.b.grad, ref.bias.grad)
    else:
        assert layer.b is None and len(layer.parameters()) == 1


def test_linear_input_grad_false_skips_dx_only():
    rng = np.random.default_rng(1)
    full, first = Linear(4, 3, rng=2), Linear(4, 3, rng=2, input_grad=False)
    x, dout = rng.normal(size=(5, 4)), rng.normal(size=(5, 3))
    full.forward(x), first.forward(x)
    assert full.backward(dout) is not None
    assert first.backward(dout) is None
    close(first.W.grad, full.W.grad, rtol=0, atol=0)
    close(first.b.grad, full.b.grad, rtol=0, atol=0)
    # as the first layer of a network it is fine; anywhere else the next layer says why it fails
    Sequential(first, ReLU()).forward(x)
    net = Sequential(Linear(4, 4, rng=3), Linear(4, 3, rng=4, input_grad=False))
    net.forward(x)
    with pytest.raises(ValueError, match="dout is None.*input_grad=False"):
        net.backward(dout)


def test_linear_float32_keeps_dtype_and_agrees_with_float64():
    rng = np.random.default_rng(2)
    l64, l32 = Linear(6, 4, rng=3), Linear(6, 4, rng=3, dtype=np.float32)
    assert l32.W.dtype == np.float32 and l32.b.dtype == np.float32
    x, dout = rng.normal(size=(5, 6)), rng.normal(size=(5, 4))
    out32 = l32.forward(x.astype(np.float32))
    dx32 = l32.backward(dout.astype(np.float32))
    assert out32.dtype == dx32.dtype == l32.W.grad.dtype == np.float32
    close(out32, l64.forward(x), rtol=1e-5, atol=1e-5)
    close(dx32, l64.backward(dout), rtol=1e-5, atol=1e-5)
    close(l32.W.grad, l64.W.grad, rtol=1e-5, atol=1e-5)
    # a float64 input to a float32 layer gives a float32 output
    assert l32.forward(x).dtype == np.float32


def test_linear_init_names_callable_and_defaults():
    for name, check in [
        ("zeros", lambda W: not W.any()),
        ("he_uniform", lambda W: np.abs(W).max() <= math.sqrt(6 / 50)),
        ("he_normal", lambda W: W.std() > 0),
        ("xavier_uniform", lambda W: np.abs(W).max() <= math.sqrt(6 / 80)),
        ("xavier_normal", lambda W: W.std() > 0),
        ("normal", lambda W: abs(W.std() - 0.01) < 0.002),
    ]:
        layer = Linear(50, 30, init=name, rng=0)
        assert layer.W.shape == (50, 30) and check(layer.W.value), name
        assert layer.b.shape == (30,) and not layer.b.value.any()
    # the default is He uniform: U(-sqrt(6 / n_in), sqrt(6 / n_in))
    W = Linear(300, 200, rng=1).W.value
    assert np.abs(W).max() <= math.sqrt(6 / 300) < 1.001 * np.abs(W).max()
    # a callable initializer, e.g. a partial of an nnlesson one
    W = Linear(200, 100, init=functools.partial(normal, std=0.5), rng=2).W.value
    assert abs(W.std() - 0.5) < 0.01
    # seeded layers are reproducible
    np.testing.assert_array_equal(Linear(4, 3, rng=5).W.value, Linear(4, 3, rng=5).W.value)


def test_linear_accepts_integer_input():
    layer = Linear(2, 1, rng=0)
    out = layer.forward(np.array([[1, 2]]))
    close(out, np.array([[1.0, 2.0]]) @ layer.W.value)


# --------------------------------------------------------------------- activations vs torch

ACTIVATIONS = [
    (ReLU, torch.relu),
    (Sigmoid, torch.sigmoid),
    (Tanh, torch.tanh),
    (Identity, lambda t: t * 1),
    (Softmax, lambda t: F.softmax(t, dim=-1)),
]


@pytest.mark.parametrize("cls, ref", ACTIVATIONS, ids=[c.__name__ for c, _ in ACTIVATIONS])
def test_activation_layer_matches_torch(cls, ref):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(6, 7)) * 4
    x[0, :4] = [0.0, -800.0, 800.0, 1e-300]  # ReLU's kink, sigmoid's overflow zone
    dout = rng.normal(size=x.shape)
    xt = leaf(x)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    layer = cls()
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        out = layer.forward(x)
        dx = layer.backward(dout)
    close(out, out_t)
    close(dx, xt.grad)


@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh, Identity, Softmax])
def test_activation_float32(cls):
    x = np.random.default_rng(4).normal(size=(3, 5)).astype(np.float32)
    layer = cls()
    out = layer.forward(x)
    dx = layer.backward(np.ones_like(x))
    assert out.dtype == dx.dtype == np.float32


def test_functions_match_torch_and_are_stable():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(5, 6)) * 3
    x[0] = [1000.0, -1000.0, 0.0, 999.0, -5.0, 3.0]
    xt = torch.from_numpy(x)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        close(relu(x), torch.relu(xt))
        close(sigmoid(x), torch.sigmoid(xt))
        close(tanh(x), torch.tanh(xt))
        close(softmax(x), F.softmax(xt, dim=-1))
        close(log_softmax(x), F.log_softmax(xt, dim=-1))
        close(softmax(x, axis=0), F.softmax(xt, dim=0))
        close(log_softmax(x, axis=0), F.log_softmax(xt, dim=0))
    assert sigmoid(np.float32(2.0)).dtype == np.float32
    assert softmax(x.astype(np.float32)).dtype == np.float32


@settings(max_examples=40, deadline=None)
@given(
    arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)),
           elements=st.floats(-300, 300)),
    st.floats(-1e3, 1e3),
)
def test_softmax_properties(x, c):
    p = softmax(x)
    assert np.all(p >= 0) and np.all(p <= 1)
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(softmax(x + c), p, rtol=1e-9, atol=1e-12)  # shift invariance
    ls = log_softmax(x)
    assert np.all(ls <= 1e-15)
    np.testing.assert_allclose(np.exp(ls), p, rtol=1e-12, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(1, 20), elements=st.floats(-1e4, 1e4)))
def test_sigmoid_and_relu_properties(x):
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        s = sigmoid(x)
    assert np.all((s >= 0) & (s <= 1))
    np.testing.assert_allclose(sigmoid(-x), 1 - s, atol=1e-15)
    np.testing.assert_array_equal(relu(x) - relu(-x), x)


# --------------------------------------------------------------------- Sequential / Residual


def test_sequential_matches_torch():
    rng = np.random.default_rng(6)
    l1, l2, l3 = (random_bias(Linear(a, b, rng=i), rng) for i, (a, b) in enumerate([(5, 8), (8, 6), (6, 4)]))
    net = Sequential(l1, ReLU(), l2, Tanh(), l3, Sigmoid())
    ref = torch.nn.Sequential(torch_linear(l1), torch.nn.ReLU(), torch_linear(l2), torch.nn.Tanh(),
                              torch_linear(l3), torch.nn.Sigmoid())
    x, dout = rng.normal(size=(7, 5)), rng.normal(size=(7, 4))
    xt = leaf(x)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    close(net.forward(x), out_t)
    close(net.backward(dout), xt.grad)
    for ours, theirs in zip([l1, l2, l3], [ref[0], ref[2], ref[4]]):
        close(ours.W.grad, theirs.weight.grad.T)
        close(ours.b.grad, theirs.bias.grad)


def test_residual_matches_torch():
    rng = np.random.default_rng(7)
    l1, l2 = random_bias(Linear(5, 5, rng=1), rng), random_bias(Linear(5, 5, rng=2), rng)
    block = Residual(Sequential(l1, ReLU(), l2))
    t1, t2 = torch_linear(l1), torch_linear(l2)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    xt = leaf(x)
    out_t = xt + t2(torch.relu(t1(xt)))
    out_t.backward(torch.from_numpy(dout))
    close(block.forward(x), out_t)
    close(block.backward(dout), xt.grad)
    close(l1.W.grad, t1.weight.grad.T)
    close(l2.W.grad, t2.weight.grad.T)
    close(l2.b.grad, t2.bias.grad)


def test_residual_gradient_passes_straight_through():
    # a block whose output ignores x (zero weights) still lets dout reach x unchanged
    block = Residual(Linear(3, 3, bias=False, init="zeros"))
    x, dout = np.ones((2, 3)), np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(block.forward(x), x)
    np.testing.assert_array_equal(block.backward(dout), dout)


def test_residual_shape_mismatch_is_a_clear_error():
    block = Residual(Linear(4, 3, rng=0))
    with pytest.raises(ValueError, match=r"block\(x\) to have the shape of x: x has shape \(2, 4\), "
                                         r"block\(x\) has shape \(2, 3\)"):
        block.forward(np.ones((2, 4)))
    with pytest.raises(TypeError, match="block must be a Module"):
        Residual(np.tanh)


def test_sequential_container_protocol():
    l1, act, l2 = Linear(3, 4, rng=0), ReLU(), Linear(4, 2, rng=1)
    net = Sequential(l1, act, l2)
    assert len(net) == 3 and net[0] is l1 and net[-1] is l2
    assert list(net) == [l1, act, l2]
    head = net[:2]
    assert isinstance(head, Sequential) and len(head) == 2 and head[0] is l1
    params = net.parameters()
    assert [id(p) for p in params] == [id(l1.W), id(l1.b), id(l2.W), id(l2.b)]
    assert "Linear(n_in=3, n_out=4, bias=True)" in repr(net) and "ReLU()" in repr(net)
    assert Sequential().forward(np.ones(2)).shape == (2,)  # empty: identity
    with pytest.raises(TypeError, match=r"layers\[1\] must be a Module"):
        Sequential(l1, np.tanh)


def test_train_eval_reach_nested_layers():
    drop = Dropout(0.5, rng=0)
    net = Sequential(Linear(2, 2, rng=0), Residual(Sequential(drop)))
    net.eval()
    assert drop.training is False
    net.train()
    assert drop.training is True


# --------------------------------------------------------------------- finite differences

def _linear():
    return random_bias(Linear(4, 3, rng=0), np.random.default_rng(0))


LAYERS = {
    "linear": _linear,
    "linear_no_bias": lambda: Linear(4, 3, bias=False, rng=1),
    "relu": ReLU,
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "identity": Identity,
    "softmax": Softmax,
    "dropout": lambda: Reseeded(Dropout(0.4)),
    "dropconnect": lambda: Reseeded(DropConnect(4, 3, p=0.3, rng=2)),
    "residual": lambda: Residual(Sequential(Linear(4, 4, rng=3), Tanh(), Linear(4, 4, rng=4))),
    "sequential": lambda: Sequential(Linear(4, 6, rng=5), ReLU(), Reseeded(Dropout(0.3), 1),
                                     Residual(Sequential(Linear(6, 6, rng=6), Sigmoid())),
                                     DropConnect(6, 3, p=0.0, rng=7), Softmax()),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_finite_differences(name):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(5, 4))
    x += np.sign(x) * 0.1  # keep ReLU inputs away from the kink
    errors = check_layer_gradients(LAYERS[name](), x)
    expected_keys = {"x"} | {p.name for p in LAYERS[name]().parameters()}
    assert expected_keys <= set(errors)
    assert max(errors.values()) < 1e-7, errors


# --------------------------------------------------------------------- accumulation

ACCUMULATING = {
    "linear": _linear,
    "dropconnect": lambda: DropConnect(4, 3, p=0.5, rng=0),
    "sequential": lambda: Sequential(Linear(4, 5, rng=1), Tanh(), Linear(5, 3, rng=2)),
    "residual": lambda: Residual(Sequential(Linear(4, 4, rng=3), ReLU(), Linear(4, 4, rng=4))),
}


@pytest.mark.parametrize("name", sorted(ACCUMULATING))
def test_gradients_accumulate_and_zero_grad_clears(name):
    layer = ACCUMULATING[name]()
    rng = np.random.default_rng(9)
    x = rng.normal(size=(3, 4))
    out = layer.forward(x)
    dout = rng.normal(size=out.shape)
    dx1 = layer.backward(dout)
    once = [p.grad.copy() for p in layer.parameters()]
    assert any(g.any() for g in once)
    dx2 = layer.backward(dout)
    np.testing.assert_array_equal(dx1, dx2)  # same cache, same mask
    for p, g in zip(layer.parameters(), once):
        np.testing.assert_allclose(p.grad, 2 * g, rtol=1e-15)
    layer.zero_grad()
    assert not any(p.grad.any() for p in layer.parameters())


# --------------------------------------------------------------------- Dropout


def test_dropout_keep_rate_scaling_and_mean():
    p, shape = 0.3, (200, 500)
    n = shape[0] * shape[1]
    layer = Dropout(p, rng=0)
    x = np.full(shape, 2.0)
    out = layer.forward(x)
    kept = layer.mask
    assert kept.dtype == bool and kept.shape == shape
    # keep rate 1 - p within 5 binomial standard errors
    assert abs(kept.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    # kept units scaled by 1 / (1 - p), dropped ones exactly zero
    np.testing.assert_allclose(out[kept], 2.0 / (1 - p), rtol=1e-15)
    assert not out[~kept].any()
    # the expected value is preserved: mean(out) = mean(x) within 5 standard errors
    se = 2.0 * math.sqrt(p / (1 - p) / n)
    assert abs(out.mean() - 2.0) < 5 * se


def test_dropout_scaling_convention_is_torchs():
    p = 0.25
    ours = np.unique(Dropout(p, rng=1).forward(np.ones((50, 50))))
    torch.manual_seed(0)
    theirs = np.unique(F.dropout(torch.ones(50, 50, dtype=torch.float64), p=p, training=True).numpy())
    np.testing.assert_allclose(ours, theirs, rtol=1e-15)  # {0, 1 / (1 - p)}


def test_dropout_backward_uses_the_same_mask_as_torch_autograd():
    p = 0.5
    rng = np.random.default_rng(2)
    x, dout = rng.normal(size=(6, 8)), rng.normal(size=(6, 8))
    layer = Dropout(p, rng=3)
    out = layer.forward(x)
    dx = layer.backward(dout)
    mask = torch.from_numpy(layer.mask.astype(np.float64))
    xt = leaf(x)
    out_t = xt * mask / (1 - p)
    out_t.backward(torch.from_numpy(dout))
    close(out, out_t)
    close(dx, xt.grad)
    assert np.array_equal(dx != 0, layer.mask)  # gradient exactly where a unit was kept


def test_dropout_draws_new_masks_and_is_reproducible():
    x = np.ones((20, 20))
    a = Dropout(0.5, rng=4)
    m1 = a.forward(x), a.mask.copy()
    a.forward(x)
    assert not np.array_equal(m1[1], a.mask)
    np.testing.assert_array_equal(Dropout(0.5, rng=4).forward(x), m1[0])


def test_dropout_eval_and_p_zero_are_identity():
    rng = np.random.default_rng(5)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 5))
    layer = Dropout(0.9, rng=0).eval()
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(dout), dout)
    assert layer.mask is None
    layer = Dropout(0.0, rng=0)
    np.testing.assert_array_equal(layer.forward(x), x)
    np.testing.assert_array_equal(layer.backward(dout), dout)


def test_dropout_float32():
    x = np.ones((3, 4), dtype=np.float32)
    layer = Dropout(0.5, rng=0)
    assert layer.forward(x).dtype == layer.backward(x).dtype == np.float32


# --------------------------------------------------------------------- DropConnect


def test_dropconnect_matches_torch_with_its_mask():
    p = 0.4
    rng = np.random.default_rng(6)
    layer = random_bias(DropConnect(5, 4, p=p, rng=7), rng)
    x, dout = rng.normal(size=(3, 5)), rng.normal(size=(3, 4))
    out = layer.forward(x)
    dx = layer.backward(dout)
    assert 0 < layer.mask.sum() < layer.mask.size
    W = leaf(layer.W.value)
    b = leaf(layer.b.value)
    xt = leaf(x)
    out_t = xt @ (W * torch.from_numpy(layer.mask.astype(np.float64)) / (1 - p)) + b
    out_t.backward(torch.from_numpy(dout))
    close(out, out_t)
    close(dx, xt.grad)
    close(layer.W.grad, W.grad)
    close(layer.b.grad, b.grad)
    assert not layer.W.grad[~layer.mask].any()  # a dropped weight gets no gradient


def test_dropconnect_eval_is_plain_linear():
    rng = np.random.default_rng(8)
    layer = random_bias(DropConnect(5, 4, p=0.5, rng=9), rng).eval()
    ref = torch_linear(layer)
    x, dout = rng.normal(size=(3, 5)), rng.normal(size=(3, 4))
    xt = leaf(x)
    out_t = ref(xt)
    out_t.backward(torch.from_numpy(dout))
    close(layer.forward(x), out_t)
    close(layer.backward(dout), xt.grad)
    close(layer.W.grad, ref.weight.grad.T)
    assert layer.mask is None


def test_dropconnect_keep_rate_and_float32():
    p = 0.2
    layer = DropConnect(400, 250, p=p, rng=10, dtype=np.float32)
    out = layer.forward(np.ones((2, 400), dtype=np.float32))
    n = layer.mask.size
    assert abs(layer.mask.mean() - (1 - p)) < 5 * math.sqrt(p * (1 - p) / n)
    assert out.dtype == layer.backward(np.ones_like(out)).dtype == layer.W.grad.dtype == np.float32


# --------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("cls", [Linear, DropConnect])
def test_linear_bad_sizes(cls):
    with pytest.raises(ValueError, match="n_in must be an integer >= 1, got 0"):
        cls(0, 3)
    with pytest.raises(ValueError, match="n_out must be an integer >= 1, got -2"):
        cls(3, -2)
    with pytest.raises(TypeError, match="n_in must be an integer >= 1, got 2.5"):
        cls(2.5, 3)
    with pytest.raises(TypeError, match="n_out must be an integer >= 1, got True"):
        cls(3, True)
    with pytest.raises(TypeError, match="bias must be True or False"):
        cls(3, 2, bias="yes")
    with pytest.raises(TypeError, match="input_grad must be True or False"):
        cls(3, 2, input_grad=None)


def test_linear_bad_init_dtype_rng():
    with pytest.raises(
        ValueError, match="init must be one of 'zeros', .*'he_normal' or a callable; got 'glorot'"
    ):
        Linear(3, 2, init="glorot")
    with pytest.raises(TypeError, match="init must be an initializer name or a callable"):
        Linear(3, 2, init=0.1)
    with pytest.raises(
        ValueError, match=r"init must return an array of shape \(n_in, n_out\) = \(3, 2\), got \(2, 3\)"
    ):
        Linear(3, 2, init=lambda shape, rng: np.zeros(shape[::-1]))
    with pytest.raises(TypeError, match="dtype must be a floating dtype"):
        Linear(3, 2, dtype=np.int32)
    with pytest.raises(TypeError, match="rng must be"):
        Linear(3, 2, rng="0")


@pytest.mark.parametrize("cls", [Linear, DropConnect])
def test_linear_input_shape_mismatch(cls):
    layer = cls(5, 2, rng=0)
    with pytest.raises(ValueError, match=r"x must have shape \(N, n_in\) with n_in = 5, got \(4, 3\)"):
        layer.forward(np.ones((4, 3)))
    with pytest.raises(ValueError, match=r"x must have shape \(N, n_in\) with n_in = 5, got \(5,\)"):
        layer.forward(np.ones(5))
    layer.forward(np.ones((4, 5)))
    with pytest.raises(
        ValueError, match=r"dout must have the shape of the forward output \(4, 2\), got \(4, 3\)"
    ):
        layer.backward(np.ones((4, 3)))


@pytest.mark.parametrize(
    "make", [lambda: Linear(2, 2), lambda: DropConnect(2, 2), ReLU, Sigmoid, Tanh, Identity, Softmax,
             Dropout, lambda: Residual(Identity())],
)
def test_backward_before_forward(make):
    layer = make()
    with pytest.raises(RuntimeError, match=r"backward was called before forward: call forward\(x\) first"):
        layer.backward(np.ones((2, 2)))


@pytest.mark.parametrize("make", [ReLU, Sigmoid, Tanh, Identity, Softmax, Dropout,
                                  lambda: Residual(Identity())])
def test_elementwise_dout_shape_mismatch(make):
    layer = make()
    layer.forward(np.ones((2, 3)))
    with pytest.raises(
        ValueError, match=r"dout must have the shape of the forward output \(2, 3\), got \(3, 2\)"
    ):
        layer.backward(np.ones((3, 2)))


@pytest.mark.parametrize("cls", [Dropout, lambda p: DropConnect(2, 2, p=p)])
def test_drop_probability_range(cls):
    for bad in [-0.1, 1.0, 1.5]:
        with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\), got"):
            cls(bad)
    with pytest.raises(TypeError, match="p must be"):
        cls("0.5")


def test_activation_rejects_non_numeric():
    with pytest.raises(TypeError, match="x must be a numeric array"):
        ReLU().forward(np.array(["a", "b"]))
