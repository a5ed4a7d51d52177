"""Losses and penalties against torch autograd (float64), finite differences and hand values."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.metrics import accuracy_score

from nnlesson.core import Parameter
from nnlesson.gradcheck import check_loss_gradient, numerical_gradient
from nnlesson.losses import (
    accuracy,
    add_penalty_grad,
    binary_cross_entropy_with_logits,
    l1_penalty,
    l2_penalty,
    mse_loss,
    softmax_cross_entropy,
)

TOL = dict(rtol=1e-12, atol=1e-15)


def torch_loss_and_grad(fn, pred, *args):
    """Loss value and d loss / d pred from torch autograd, float64."""
    p = torch.tensor(pred, dtype=torch.float64, requires_grad=True)
    loss = fn(p, *[torch.as_tensor(a) for a in args])
    loss.backward()
    return loss.item(), p.grad.numpy()


# --------------------------------------------------------------------- against torch


@pytest.mark.parametrize("shape", [(7,), (5, 3)])
def test_mse_matches_torch(shape):
    rng = np.random.default_rng(0)
    pred, target = rng.normal(size=shape), rng.normal(size=shape)
    loss, grad = mse_loss(pred, target)
    ref_loss, ref_grad = torch_loss_and_grad(F.mse_loss, pred, target)
    assert isinstance(loss, float)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, **TOL)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_cross_entropy_matches_torch(scale):
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(8, 5)) * scale  # scale 1000: exp would overflow without the shift
    labels = rng.integers(0, 5, size=8)
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, grad = softmax_cross_entropy(logits, labels)
    ref_loss, ref_grad = torch_loss_and_grad(F.cross_entropy, logits, labels)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, **TOL)


@pytest.mark.parametrize("scale", [1.0, 1000.0])
def test_bce_with_logits_matches_torch(scale):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(6, 3)) * scale
    targets = rng.random(size=(6, 3))
    targets[0] = [0.0, 1.0, 0.5]
    with np.errstate(over="raise", divide="raise", invalid="raise"):
        loss, grad = binary_cross_entropy_with_logits(logits, targets)
    ref_loss, ref_grad = torch_loss_and_grad(F.binary_cross_entropy_with_logits, logits, targets)
    assert loss == pytest.approx(ref_loss, rel=1e-13)
    np.testing.assert_allclose(grad, ref_grad, **TOL)


def test_cross_entropy_hand_worked():
    # equal logits: p = 1/C for every class, loss = log C, grad = (1/C - onehot) / N
    loss, grad = softmax_cross_entropy(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(math.log(4), rel=1e-15)
    np.testing.assert_allclose(grad, [[-0.375, 0.125, 0.125, 0.125], [0.125, 0.125, 0.125, -0.375]])
    # a confident wrong answer costs its margin: -log softmax = 1000 exactly
    loss, _ = softmax_cross_entropy(np.array([[1000.0, 0.0]]), np.array([1]))
    assert loss == 1000.0


def test_mse_hand_worked():
    loss, grad = mse_loss(np.array([1.0, 2.0]), np.array([0.0, 4.0]))
    assert loss == 2.5  # (1 + 4) / 2
    np.testing.assert_array_equal(grad, [1.0, -2.0])  # 2 * (pred - target) / 2


def test_l2_penalty_matches_torch_and_sgd_weight_decay():
    rng = np.random.default_rng(3)
    ws = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    lam = 0.1
    penalty, grads = l2_penalty(ws, lam)
    wt = [torch.tensor(w, requires_grad=True) for w in ws]
    ref = lam / 2 * sum((w**2).sum() for w in wt)
    ref.backward()
    assert penalty == pytest.approx(ref.item(), rel=1e-13)
    for g, w in zip(grads, wt):
        np.testing.assert_allclose(g, w.grad.numpy(), **TOL)

    # lam is SGD's weight_decay: a torch SGD step with weight_decay=lam on the data gradient
    # equals a plain step on data gradient + l2 gradient
    g_data = rng.normal(size=(3, 4))
    w = torch.tensor(ws[0], requires_grad=True)
    w.grad = torch.tensor(g_data)
    torch.optim.SGD([w], lr=0.5, weight_decay=lam).step()
    np.testing.assert_allclose(ws[0] - 0.5 * (g_data + grads[0]), w.detach().numpy(), **TOL)


def test_l1_penalty_matches_torch_including_zero_weights():
    w = np.array([[-2.0, 0.0, 0.5], [0.0, 3.0, -0.1]])
    lam = 0.3
    penalty, (grad,) = l1_penalty([Parameter(w)], lam)
    wt = torch.tensor(w, requires_grad=True)
    ref = lam * wt.abs().sum()
    ref.backward()
    assert penalty == pytest.approx(ref.item(), rel=1e-14)
    np.testing.assert_allclose(grad, wt.grad.numpy(), **TOL)
    assert grad[0, 1] == 0.0  # subgradient 0 at 0


def test_penalties_accept_parameters_arrays_and_a_single_weight():
    w = np.array([1.0, -2.0])
    assert l2_penalty([Parameter(w)], 2.0)[0] == l2_penalty([w], 2.0)[0] == l2_penalty(w, 2.0)[0] == 5.0
    assert l1_penalty(Parameter(w), 2.0)[0] == 6.0
    assert l2_penalty([], 1.0) == (0, [])


@pytest.mark.parametrize("kind, value", [("l2", 0.5 * 0.2 * 14.0), ("l1", 0.2 * 6.0)])
def test_add_penalty_grad_adds_into_grad(kind, value):
    p1, p2 = Parameter(np.array([1.0, -2.0])), Parameter(np.array([[3.0]]))
    p1.grad[:] = [10.0, 10.0]
    penalty = add_penalty_grad([p1, p2], 0.2, kind=kind)
    assert penalty == pytest.approx(value, rel=1e-15)
    if kind == "l2":
        np.testing.assert_allclose(p1.grad, [10.2, 9.6])
        np.testing.assert_allclose(p2.grad, [[0.6]])
    else:
        np.testing.assert_allclose(p1.grad, [10.2, 9.8])
        np.testing.assert_allclose(p2.grad, [[0.2]])


def test_accuracy():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.5, 0.1], [1.0, 3.0, 2.0], [0.0, 0.0, 9.0]])
    labels = np.array([0, 2, 1, 2])
    assert accuracy(logits, labels) == 0.75
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    assert accuracy(probs, labels) == 0.75
    rng = np.random.default_rng(4)
    scores, y = rng.normal(size=(50, 4)), rng.integers(0, 4, size=50)
    assert accuracy(scores, y) == pytest.approx(accuracy_score(y, scores.argmax(axis=1)), rel=1e-15)


# --------------------------------------------------------------------- finite differences


def test_losses_finite_differences():
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 3))
    assert check_loss_gradient(mse_loss, x, rng.normal(size=(4, 3))) < 1e-7
    assert check_loss_gradient(softmax_cross_entropy, x, np.array([0, 2, 1, 2])) < 1e-7
    assert check_loss_gradient(binary_cross_entropy_with_logits, x, rng.random((4, 3))) < 1e-7


@pytest.mark.parametrize("penalty", [l1_penalty, l2_penalty])
def test_penalties_finite_differences(penalty):
    rng = np.random.default_rng(6)
    ws = [rng.normal(size=(3, 2)), rng.normal(size=4)]
    ws = [w + np.sign(w) * 0.1 for w in ws]  # away from |w|'s kink
    _, grads = penalty(ws, 0.7)
    for i, w in enumerate(ws):
        numeric = numerical_gradient(lambda _: penalty(ws, 0.7)[0], w)
        np.testing.assert_allclose(grads[i], numeric, rtol=1e-7, atol=1e-9)


# --------------------------------------------------------------------- dtype


def test_float32_gradients_stay_float32():
    x = np.random.default_rng(7).normal(size=(4, 3)).astype(np.float32)
    assert mse_loss(x, np.zeros((4, 3)))[1].dtype == np.float32
    assert softmax_cross_entropy(x, np.array([0, 1, 2, 0]))[1].dtype == np.float32
    assert binary_cross_entropy_with_logits(x, np.ones((4, 3)))[1].dtype == np.float32
    assert l2_penalty([x], 0.1)[1][0].dtype == np.float32
    loss64, grad64 = softmax_cross_entropy(x.astype(np.float64), np.array([0, 1, 2, 0]))
    loss32, grad32 = softmax_cross_entropy(x, np.array([0, 1, 2, 0]))
    assert loss32 == pytest.approx(loss64, rel=1e-6)
    np.testing.assert_allclose(grad32, grad64, rtol=1e-5, atol=1e-7)


# --------------------------------------------------------------------- properties


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(2, 5)),
              elements=st.floats(-500, 500)), st.data())
def test_cross_entropy_properties(logits, data):
    n, c = logits.shape
    labels = np.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    loss, grad = softmax_cross_entropy(logits, labels)
    assert loss >= 0 and math.isfinite(loss)
    np.testing.assert_allclose(grad.sum(axis=1), 0.0, atol=1e-12)  # softmax and onehot both sum to 1
    shifted, _ = softmax_cross_entropy(logits + 7.0, labels)
    assert shifted == pytest.approx(loss, rel=1e-9, abs=1e-9)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.integers(1, 10), elements=st.floats(-1e3, 1e3)), st.data())
def test_bce_and_mse_are_nonnegative(z, data):
    t = data.draw(arrays(np.float64, z.shape, elements=st.floats(0, 1)))
    loss, _ = binary_cross_entropy_with_logits(z, t)
    assert loss >= 0 and math.isfinite(loss)
    assert mse_loss(z, t)[0] >= 0
    assert mse_loss(z, z) == (0.0, pytest.approx(np.zeros_like(z)))


# --------------------------------------------------------------------- bad inputs


def test_cross_entropy_bad_inputs():
    logits = np.zeros((3, 4))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\] \(C = 4 classes\), got 4"):
        softmax_cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\].*got -1"):
        softmax_cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) = \(3,\).*got \(2,\)"):
        softmax_cross_entropy(logits, np.array([0, 1]))
    with pytest.raises(
        TypeError, match="labels must be an array of integer class indices, got dtype float64"
    ):
        softmax_cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
    with pytest.raises(ValueError, match=r"logits must have 2 dimension\(s\), got shape \(4,\)"):
        softmax_cross_entropy(np.zeros(4), np.array([0]))
    with pytest.raises(ValueError, match="logits must contain only finite numbers, found 1 NaN"):
        softmax_cross_entropy(np.array([[0.0, np.nan]]), np.array([0]))
    with pytest.raises(ValueError, match=r"logits must have at least 1 row"):
        softmax_cross_entropy(np.zeros((0, 3)), np.array([], dtype=int))


def test_mse_and_bce_bad_inputs():
    with pytest.raises(
        ValueError, match=r"pred and target must have the same shape, got \(3,\) and \(3, 1\)"
    ):
        mse_loss(np.zeros(3), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="target must contain only finite numbers"):
        mse_loss(np.zeros(2), np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="pred must contain at least one element"):
        mse_loss(np.zeros(0), np.zeros(0))
    with pytest.raises(ValueError, match=r"logits and targets must have the same shape"):
        binary_cross_entropy_with_logits(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match=r"targets must be in \[0, 1\], got values from -0.5 to 1.0"):
        binary_cross_entropy_with_logits(np.zeros(2), np.array([-0.5, 1.0]))
    with pytest.raises(ValueError, match="logits must contain only finite numbers"):
        binary_cross_entropy_with_logits(np.array([np.nan]), np.array([1.0]))


def test_penalty_bad_inputs():
    with pytest.raises(ValueError, match="lam must be a finite number >= 0, got -0.1"):
        l2_penalty([np.ones(2)], -0.1)
    with pytest.raises(ValueError, match="lam must be"):
        l1_penalty([np.ones(2)], float("inf"))
    with pytest.raises(TypeError, match="weights must be a list of arrays or Parameters, got dict"):
        l2_penalty({"W": np.ones(2)}, 0.1)
    with pytest.raises(ValueError, match=r"weights\[1\] must contain only finite numbers"):
        l1_penalty([np.ones(2), np.array([np.nan])], 0.1)
    with pytest.raises(ValueError, match="kind must be one of 'l2', 'l1'; got 'l3'"):
        add_penalty_grad([Parameter(np.ones(2))], 0.1, kind="l3")
    with pytest.raises(TypeError, match="params must be a list of Parameters"):
        add_penalty_grad([np.ones(2)], 0.1)
    with pytest.raises(ValueError, match="lam must be"):
        add_penalty_grad([Parameter(np.ones(2))], -1.0)


def test_accuracy_bad_inputs():
    with pytest.raises(ValueError, match="logits_or_probs must have C >= 2 columns"):
        accuracy(np.zeros((3, 1)), np.zeros(3, dtype=int))
    with pytest.raises(ValueError, match=r"labels must have shape \(N,\) = \(3,\)"):
        accuracy(np.zeros((3, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 1\]"):
        accuracy(np.zeros((3, 2)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match="logits_or_probs must contain only finite numbers"):
        accuracy(np.array([[np.nan, 0.0]]), np.array([0]))
