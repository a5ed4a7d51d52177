"""Lesson 12's checks: the solutions pass, stubs are "not implemented yet", the library's own
layers are refused, and the wrong answers whose *form* matters are named.

The declared mistakes of every check are tested as a table in tests/test_checks_meta.py; here
are the answers a student writes in a shape the declarations do not cover, the properties
(non-square blocks, the shape check), and the derivation behind exercise 4, confirmed by
measuring real networks.
"""
import numpy as np
import pytest

import nnlesson as nl
from nnlesson.course.checks import residual_connections as C
from nnlesson.train import residual_network


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def residual_forward(x, W1, b1, W2, b2):
    F = np.maximum(x @ W1 + b1, 0) @ W2 + b2
    if F.shape != x.shape:
        raise ValueError(f"F(x) has shape {F.shape}, x has shape {x.shape}")
    return x + F


def residual_backward(dout, x, W1, b1, W2, b2):
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0)
    dz1 = (dout @ W2.T) * (z1 > 0)
    return dout + dz1 @ W1.T, x.T @ dz1, dz1.sum(axis=0), h.T @ dout, dout.sum(axis=0)


def grad_norms_per_layer(model, X, y):
    model.zero_grad()
    model.backward(nl.softmax_cross_entropy(model.forward(X), y)[1])
    return np.array([np.linalg.norm(p.grad) for p in model.parameters() if p.value.ndim == 2])


def block_scale(depth, growth):
    return float(np.sqrt((growth ** (1 / depth) - 1) / 2))


ANSWERS = [(C.check_residual_forward, residual_forward),
           (C.check_residual_backward, residual_backward),
           (C.check_grad_norms_per_layer, grad_norms_per_layer),
           (C.check_block_scale, block_scale)]


@pytest.mark.parametrize("check, answer", ANSWERS, ids=lambda x: getattr(x, "__name__", ""))
def test_solutions_pass_and_stubs_are_not_implemented_yet(check, answer):
    result = check(answer)
    assert result.passed, str(result)
    assert check(stub).status == "todo"


def test_the_forward_check_tries_three_properties():
    assert "3 property checks" in C.check_residual_forward(residual_forward).message


# --------------------------------------------------------------------------- the library refused


def test_a_forward_built_from_the_librarys_layers_is_refused():
    def with_layers(x, W1, b1, W2, b2):
        D, H = W1.shape
        lin1, lin2 = nl.Linear(D, H), nl.Linear(H, D)
        lin1.W.value[...], lin1.b.value[...], lin2.W.value[...], lin2.b.value[...] = W1, b1, W2, b2
        return nl.Residual(nl.Sequential(lin1, nl.ReLU(), lin2)).forward(x)

    result = C.check_residual_forward(with_layers)
    assert result.mistake == "calls the library" and "nnlesson.layers" in result.message


def test_the_librarys_measurement_is_refused():
    result = C.check_grad_norms_per_layer(nl.train.weight_grad_norms)
    assert result.mistake == "calls the library" and "weight_grad_norms" in result.message


# --------------------------------------------------------------------------- forms that matter


def test_right_numbers_without_the_shape_check_are_named():
    def no_check(x, W1, b1, W2, b2):  # numpy's broadcasting silently accepts a wrong block
        return x + np.maximum(x @ W1 + b1, 0) @ W2 + b2

    result = C.check_residual_forward(no_check)
    assert result.mistake == "shape mismatch not handled" and "raise ValueError" in result.message


def test_a_shape_mismatch_refused_with_another_exception_is_told_which_one_to_raise():
    def type_error(x, W1, b1, W2, b2):
        F = np.maximum(x @ W1 + b1, 0) @ W2 + b2
        if F.shape != x.shape:
            raise TypeError("F(x) must have the shape of x")
        return x + F

    result = C.check_residual_forward(type_error)
    assert result.mistake == "another exception than ValueError", str(result)
    assert "was accepted" not in result.message


def test_an_assert_on_the_shapes_is_accepted():
    def asserting(x, W1, b1, W2, b2):
        F = np.maximum(x @ W1 + b1, 0) @ W2 + b2
        assert F.shape == x.shape, "F(x) must have the shape of x"
        return x + F

    assert C.check_residual_forward(asserting).passed


def test_a_transpose_hidden_by_square_matrices_is_found_by_the_wider_block():
    # (W1.T).T: right for square and non-square blocks alike, written the long way
    def long_way(x, W1, b1, W2, b2):
        return residual_forward(x, W1.T.T, b1, W2, b2)

    assert C.check_residual_forward(long_way).passed

    def transposed_twice(dout, x, W1, b1, W2, b2):
        dx, dW1, db1, dW2, db2 = residual_backward(dout, x, W1, b1, W2, b2)
        return dx, dW1, db1, dW2.T.T if dW2.shape[0] == dW2.shape[1] else dW2.T, db2

    result = C.check_residual_backward(transposed_twice)
    assert result.mistake == "right for a hidden width other than D"
    assert "dW2 is (H, D)" in result.message


def test_a_block_that_changes_x_in_place_is_told():
    def in_place(x, W1, b1, W2, b2):
        x += np.maximum(x @ W1 + b1, 0) @ W2 + b2
        return x

    result = C.check_residual_forward(in_place)
    assert not result.passed and "changed its input `x` in place" in result.message


def test_norms_as_a_list_are_told_to_be_an_array():
    result = C.check_grad_norms_per_layer(lambda m, X, y: list(grad_norms_per_layer(m, X, y)))
    assert not result.passed and "numpy array" in result.message


def test_norms_through_np_linalg_norm_of_the_flattened_gradient_pass():
    def flattened(model, X, y):
        model.zero_grad()
        model.backward(nl.softmax_cross_entropy(model.forward(X), y)[1])
        return np.array([np.sqrt(p.grad.ravel() @ p.grad.ravel()) for p in model.parameters()
                         if p.value.ndim == 2])

    assert C.check_grad_norms_per_layer(flattened).passed


def test_the_scale_as_a_numpy_number_passes_and_an_array_is_told():
    assert C.check_block_scale(lambda depth, growth: np.float64(block_scale(depth, growth))).passed
    result = C.check_block_scale(lambda depth, growth: np.array([block_scale(depth, growth)]))
    assert not result.passed and "single number" in result.message


# --------------------------------------------------------------------------- the derivation, measured


def _mean_square_growth(depth, alpha, seeds):
    """The blocks' factor on the mean square of a standard normal input, per random seed."""
    X = np.random.default_rng(99).normal(size=(500, 16))
    out = []
    for seed in seeds:
        model = residual_network(depth, skip=True, activation="relu", n_in=16, seed=seed)
        h = X
        for block in list(model)[1:-1]:
            block.block[2].W.value *= alpha
            h = block.forward(h)
        out.append(np.mean(h ** 2) / np.mean(X ** 2))
    return np.array(out)


def test_one_block_multiplies_the_mean_square_by_one_plus_two_alpha_squared():
    """The reference's premise, measured on 400 random blocks: E[y^2] = (1 + 2 alpha^2) E[x^2]."""
    for alpha in (1.0, 0.5, 0.2):
        growth = _mean_square_growth(1, alpha, range(400))
        assert growth.mean() == pytest.approx(1 + 2 * alpha ** 2, rel=0.06), alpha


def test_the_reference_scale_gives_the_asked_growth_through_a_stack():
    for depth, target in ((8, 2.0), (4, 10.0)):
        alpha = C._scale_ref(depth, target)
        growth = _mean_square_growth(depth, alpha, range(200))
        assert growth.mean() == pytest.approx(target, rel=0.1), (depth, target)


# --------------------------------------------------------------------------- families added from held-out answers


def _checked(x, F):
    if F.shape != x.shape:
        raise ValueError("F(x) and x differ in shape")
    return x + F


@pytest.mark.parametrize("answer, name", [
    (lambda x, W1, b1, W2, b2: x + np.dot(np.max(np.dot(x, W1) + b1, axis=0), W2) + b2,
     "np.max instead of np.maximum"),
    (lambda x, W1, b1, W2, b2: _checked(x, (np.clip(x, 0, None) @ W1 + b1) @ W2 + b2),
     "ReLU on the input instead of the hidden layer"),
    (lambda x, W1, b1, W2, b2: _checked(
        x, np.clip(np.clip(x, 0, None) @ W1 + b1, 0, None) @ W2 + b2),
     "ReLU before each layer (pre-activation block)"),
])
def test_held_out_forward_families_are_named(answer, name):
    result = C.check_residual_forward(answer)
    assert not result.passed and result.mistake == name, result


def test_a_backward_without_the_skip_and_without_the_mask_names_both():
    def neither(dout, x, W1, b1, W2, b2):
        h = np.maximum(x @ W1 + b1, 0)
        dh = dout @ W2.T
        return dh @ W1.T, x.T @ dh, dh.sum(axis=0), h.T @ dout, dout.sum(axis=0)

    result = C.check_residual_backward(neither)
    assert result.mistake == ("identity path forgotten in backward + "
                              "ReLU mask missing in backward"), result


@pytest.mark.parametrize("answer, name", [
    (lambda depth, growth: depth ** -0.5, "1 / sqrt(depth), a rule of thumb"),
    (lambda depth, growth: 1.0 / depth, "1 / depth, a rule of thumb"),
])
def test_rules_of_thumb_for_the_scale_are_named(answer, name):
    result = C.check_block_scale(answer)
    assert not result.passed and result.mistake == name, result


def test_two_mistakes_at_once_are_both_named():
    result = C.check_block_scale(lambda depth, growth: np.power(growth, 1.0 / depth) - 1.0)
    assert result.mistake == "alpha squared returned + He's factor 2 left out", result

    def stale_and_all(model, X, y):
        _, dlogits = nl.softmax_cross_entropy(model.forward(X), y)
        model.backward(dlogits)
        return np.array([np.sqrt(np.sum(p.grad ** 2)) for p in model.parameters()])

    result = C.check_grad_norms_per_layer(stale_and_all)
    assert result.mistake == "gradients not cleared first + every parameter, biases too", result
