"""The gradient-check tools against hand-worked gradients, and proof that they catch mistakes."""
import numpy as np
import pytest

from nnlesson.core import Module, Parameter
from nnlesson.gradcheck import (
    check_layer_gradients,
    check_loss_gradient,
    numerical_gradient,
    rel_error,
)
from nnlesson.layers import Linear, Sequential, Tanh
from nnlesson.losses import mse_loss


def test_numerical_gradient_hand_worked():
    x = np.array([[1.0, -2.0, 0.5], [3.0, 0.0, -1.5]])
    grad = numerical_gradient(lambda v: np.sum(v**3), x)
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-9, atol=1e-9)  # d/dx x^3 = 3x^2
    # f(A) = sum(A @ B): d/dA_ij = sum_k B_jk
    B = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    np.testing.assert_allclose(numerical_gradient(lambda A: np.sum(A @ B), x),
                               np.tile(B.sum(axis=1), (2, 1)), rtol=1e-9)


def test_numerical_gradient_restores_x_and_allows_closures():
    x = np.array([0.3, -0.7, 1.1])
    before = x.copy()
    grad = numerical_gradient(lambda _: float(np.sin(x).sum()), x)  # reads x from the closure
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(grad, np.cos(before), rtol=1e-9)


def test_numerical_gradient_restores_x_when_f_raises():
    x = np.array([1.0, 2.0])
    calls = []

    def f(v):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return v.sum()

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0])


def test_numerical_gradient_bad_inputs():
    with pytest.raises(ValueError, match="f must return a scalar, got an array of shape"):
        numerical_gradient(lambda v: v * 2, np.ones(3))
    with pytest.raises(TypeError, match="x must be a float64 numpy array.*got float32"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))
    with pytest.raises(TypeError, match="x must be a float64 numpy array.*got list"):
        numerical_gradient(np.sum, [1.0, 2.0])
    with pytest.raises(ValueError, match="h must be a finite number > 0, got 0.0"):
        numerical_gradient(np.sum, np.ones(3), h=0)


def test_rel_error_hand_worked():
    assert rel_error([1.0, 2.0], [1.0, 2.1]) == pytest.approx(0.1 / 4.1, rel=1e-12)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([0.0], [1e-13]) == pytest.approx(0.1, rel=1e-12)  # floor 1e-12
    assert rel_error([0.0], [1e-13], floor=1e-6) == pytest.approx(1e-7, rel=1e-12)
    assert rel_error([3.0, -1.0], [1.0, 2.0]) == rel_error([1.0, 2.0], [3.0, -1.0])
    assert rel_error(np.ones((2, 2)), np.ones((2, 2))) == 0.0
    # a tiny entry with a tiny absolute error does not dominate
    assert rel_error([1.0, 1e-9], [1.0, 1.1e-9]) < 1e-9


def test_rel_error_bad_inputs():
    with pytest.raises(ValueError, match=r"a and b must have the same shape, got \(2,\) and \(3,\)"):
        rel_error(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match="floor must be a finite number > 0"):
        rel_error(np.ones(2), np.ones(2), floor=0)


class Square(Module):
    """out = w * x**2 with a scalar weight; ``wrong`` drops the factor 2 in dx."""

    def __init__(self, wrong=False):
        self.w = Parameter(np.array([1.5]), name="w")
        self.wrong = wrong
        self._x = None

    def forward(self, x):
        self._x = x
        return self.w.value * x**2

    def backward(self, dout):
        self.w.grad += np.sum(dout * self._x**2, keepdims=True).reshape(1)
        return dout * self.w.value * self._x * (1 if self.wrong else 2)


def test_check_layer_gradients_passes_right_and_catches_wrong():
    x = np.random.default_rng(0).normal(size=(3, 4))
    good = check_layer_gradients(Square(), x)
    assert set(good) == {"x", "w"} and max(good.values()) < 1e-8
    bad = check_layer_gradients(Square(wrong=True), x)
    assert bad["x"] > 0.1 and bad["w"] < 1e-8  # the mistake is located in dx, not in dw


def test_check_layer_gradients_names_restores_grads_and_uses_dout():
    net = Sequential(Linear(3, 4, rng=0), Tanh(), Linear(4, 2, rng=1))
    net[0].W.grad[:] = 7.0
    x = np.random.default_rng(1).normal(size=(5, 3))
    errors = check_layer_gradients(net, x, dout=np.ones((5, 2)))
    assert list(errors) == ["x", "W", "b", "W_1", "b_1"]
    assert max(errors.values()) < 1e-7
    assert np.all(net[0].W.grad == 7.0) and not net[2].W.grad.any()
    # input_grad=False: backward returns no dx, so only the parameters are checked
    errors = check_layer_gradients(Linear(3, 2, rng=2, input_grad=False), x)
    assert list(errors) == ["W", "b"] and max(errors.values()) < 1e-7


def test_check_layer_gradients_bad_inputs():
    with pytest.raises(TypeError, match="layer must be a Module"):
        check_layer_gradients(np.tanh, np.ones((2, 2)))
    with pytest.raises(TypeError, match="layer parameters must be float64.*W is float32"):
        check_layer_gradients(Linear(2, 2, dtype=np.float32), np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"dout must have the shape of layer\(x\) \(2, 2\), got \(2, 3\)"):
        check_layer_gradients(Linear(2, 2), np.ones((2, 2)), dout=np.ones((2, 3)))
    with pytest.raises(ValueError, match="h must be"):
        check_layer_gradients(Linear(2, 2), np.ones((2, 2)), h=-1e-6)


def test_check_loss_gradient_passes_right_and_catches_wrong():
    rng = np.random.default_rng(2)
    pred, target = rng.normal(size=(4, 3)), rng.normal(size=(4, 3))
    assert check_loss_gradient(mse_loss, pred, target) < 1e-8

    def mse_forgot_mean(p, t):  # the gradient of the sum, not of the mean
        return np.mean((p - t) ** 2), 2 * (p - t)

    assert check_loss_gradient(mse_forgot_mean, pred, target) > 0.5
