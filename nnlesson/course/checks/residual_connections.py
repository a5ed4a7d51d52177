"""Checks for lesson 12: a residual block's forward and backward pass, and the gradient norm of
every layer of a network.

The block is ``y = x + F(x)`` with ``F(x) = relu(x @ W1 + b1) @ W2 + b2``; x (N, D), W1 (D, H),
b1 (H,), W2 (H, D), b2 (D,). The reference is the library's
``Residual(Sequential(Linear(D, H), ReLU(), Linear(H, D)))`` (its backward is checked against
PyTorch and finite differences in the suite), and :func:`nnlesson.train.weight_grad_norms` for
the norms.

As in lesson 01's linear checks, the cases with ``H == D`` run first (there a transposed
weight gives wrong numbers that can be named instead of a shape error), then all cases.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, Property, run_check
from nnlesson.layers import Linear, ReLU, Residual, Sequential
from nnlesson.losses import softmax_cross_entropy
from nnlesson.train import residual_network, weight_grad_norms

__all__ = ["check_residual_forward", "check_residual_backward", "check_grad_norms_per_layer"]


def _block(W1, b1, W2, b2):
    """The library's residual block holding these weights."""
    D, H = np.shape(W1)
    lin1, lin2 = Linear(D, H), Linear(H, D)
    lin1.W.value[...], lin1.b.value[...] = W1, b1
    lin2.W.value[...], lin2.b.value[...] = W2, b2
    return Residual(Sequential(lin1, ReLU(), lin2))


def _forward_ref(x, W1, b1, W2, b2):
    return _block(W1, b1, W2, b2).forward(x)


def _backward_ref(dout, x, W1, b1, W2, b2):
    block = _block(W1, b1, W2, b2)
    block.forward(x)
    dx = block.backward(dout)
    lin1, _, lin2 = block.block.layers
    return dx, lin1.W.grad.copy(), lin1.b.grad.copy(), lin2.W.grad.copy(), lin2.b.grad.copy()


def _weights(r, D, H):
    return r.normal(size=(D, H)), r.normal(size=H), r.normal(size=(H, D)), r.normal(size=D)


def _block_cases(seed, with_dout):
    r = np.random.default_rng(seed)

    def case(label, N, D, H):
        x = r.normal(size=(N, D))
        args = (x, *_weights(r, D, H))
        return Case(label, ((r.normal(size=(N, D)),) + args) if with_dout else args)

    square = [
        case("a batch of 4, D = 3 features, H = 3 hidden units", 4, 3, 3),
        case("a batch of one", 1, 3, 3),
        case("a batch of 6, D = H = 2", 6, 2, 2),
    ]
    other = [case("a wider hidden layer: D = 3, H = 5", 5, 3, 5)]
    return square, other


def _two_rounds(name, student_fn, square, other, reference, mistakes, **kwargs):
    first = run_check(name, student_fn, square, reference, mistakes, **kwargs)
    if not first.passed:
        return first
    return run_check(name, student_fn, square + other, reference, mistakes, **kwargs)


# --------------------------------------------------------------------------- forward


def _F(x, W1, b1, W2, b2):
    return np.maximum(x @ W1 + b1, 0) @ W2 + b2


def _shape_mismatch_raises(student_fn):
    """A block whose output has 3 columns for an input of 1 column must raise ValueError (or
    fail an ``assert``).

    numpy would broadcast ``x + F(x)`` from (4, 1) and (4, 3) to (4, 3) without a word.
    """
    r = np.random.default_rng(9)
    x, W1, b1 = r.normal(size=(4, 1)), r.normal(size=(1, 2)), r.normal(size=2)
    W2, b2 = r.normal(size=(2, 3)), r.normal(size=3)
    try:
        student_fn(x, W1, b1, W2, b2)
    except (ValueError, AssertionError):  # an assert on the shapes is fine too
        return True
    except NotImplementedError:
        raise
    except Exception:
        return False
    return False


def check_residual_forward(student_fn):
    """Check ``residual_forward(x, W1, b1, W2, b2) -> y = x + relu(x @ W1 + b1) @ W2 + b2``,
    and that a block whose output does not have the shape of ``x`` raises ValueError."""
    mistakes = [
        Mistake("skip connection missing",
                "You returned F(x) only: a residual block adds its input back, y = x + F(x).",
                _F),
        Mistake("relu after the sum",
                "You applied the ReLU after adding x, y = relu(x + F(x)) (the first ResNet "
                "paper's order). Here the block is y = x + F(x) with nothing after the +, so "
                "the identity path stays a pure identity (also for its gradient).",
                lambda x, W1, b1, W2, b2: np.maximum(x + _F(x, W1, b1, W2, b2), 0)),
        Mistake("relu missing",
                "Your F has no ReLU between the two linear layers: F(x) = relu(x @ W1 + b1) @ W2 "
                "+ b2. Without it the two layers collapse into one linear map.",
                lambda x, W1, b1, W2, b2: x + (x @ W1 + b1) @ W2 + b2),
        Mistake("W1 transposed",
                "The first layer uses W1 transposed: with x of shape (N, D) and W1 of shape "
                "(D, H), the hidden pre-activation is x @ W1 + b1.",
                lambda x, W1, b1, W2, b2: x + np.maximum(x @ W1.T + b1, 0) @ W2 + b2),
    ]
    shape_check = Property(
        "shape mismatch not handled",
        "Every case matched, but a block whose output F(x) has 3 columns for an input x of 1 "
        "column was accepted: numpy broadcast x + F(x) from (N, 1) and (N, 3) to (N, 3) without "
        "a word. A skip connection needs F(x) to have exactly the shape of x: compare the "
        "shapes and raise ValueError (a real network would use a projection, x @ Ws, instead).",
        _shape_mismatch_raises)
    square, other = _block_cases(11, with_dout=False)
    first = run_check("check_residual_forward", student_fn, square, _forward_ref, mistakes)
    if not first.passed:
        return first
    return run_check("check_residual_forward", student_fn, square + other, _forward_ref,
                     mistakes, properties=[shape_check])


# --------------------------------------------------------------------------- backward


def _backward_parts(dout, x, W1, b1, W2, b2, *, dx_rule, mask=True, W1_T=True, sum_b2=True):
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0)
    dF = dout  # the gradient at the block's output reaches F's output unchanged
    dW2 = h.T @ dF
    db2 = dF.sum(axis=0) if sum_b2 else dF
    dh = dF @ W2.T
    dz1 = dh * (z1 > 0) if mask else dh
    dW1 = x.T @ dz1
    db1 = dz1.sum(axis=0)
    dx_F = dz1 @ (W1.T if W1_T else W1)
    return dx_rule(dout, dx_F), dW1, db1, dW2, db2


def check_residual_backward(student_fn):
    """Check ``residual_backward(dout, x, W1, b1, W2, b2) -> (dx, dW1, db1, dW2, db2)`` for
    ``y = x + relu(x @ W1 + b1) @ W2 + b2``: ``dx = dout + (gradient through F)``."""
    mistakes = [
        Mistake("identity path forgotten in backward",
                "dx misses the skip connection: x reaches the output twice, through the "
                "identity and through F, so the two gradients add: dx = dout + (gradient "
                "through F). This `dout +` term is what keeps deep residual networks trainable.",
                lambda *a: _backward_parts(*a, dx_rule=lambda dout, dxF: dxF)),
        Mistake("dout added twice",
                "dx has the identity's gradient twice: dx = dout + (gradient through F), with "
                "dout counted once. (The F path already starts from dout; do not add it to the "
                "F path's result a second time.)",
                lambda *a: _backward_parts(*a, dx_rule=lambda dout, dxF: 2 * dout + dxF)),
        Mistake("ReLU mask missing in backward",
                "The gradient went through the ReLU unchanged. relu'(z) is 1 where z = x @ W1 "
                "+ b1 > 0 and 0 elsewhere: dz1 = dh * (z1 > 0).",
                lambda *a: _backward_parts(*a, dx_rule=lambda dout, dxF: dout + dxF,
                                           mask=False)),
        Mistake("W1 instead of W1.T",
                "The gradient to x through the first layer goes back through the transpose: "
                "dx_F = dz1 @ W1.T (shapes: dz1 is (N, H), W1 is (D, H)).",
                lambda *a: _backward_parts(*a, dx_rule=lambda dout, dxF: dout + dxF,
                                           W1_T=False)),
        Mistake("bias gradient not summed over the batch",
                "db2 has one row per example: a bias is shared by the N rows, so its gradient is "
                "the sum over the batch, dF.sum(axis=0).",
                lambda *a: _backward_parts(*a, dx_rule=lambda dout, dxF: dout + dxF,
                                           sum_b2=False)),
    ]
    square, other = _block_cases(12, with_dout=True)
    return _two_rounds("check_residual_backward", student_fn, square, other, _backward_ref,
                       mistakes, output_names=("dx", "dW1", "db1", "dW2", "db2"))


# --------------------------------------------------------------------------- norms per layer


def _data(seed, n):
    r = np.random.default_rng(seed)
    return r.normal(size=(n, 5)), r.integers(0, 3, size=n)


def _model(depth, skip, activation, seed, dirty=False):
    model = residual_network(depth, skip=skip, activation=activation, width=4, n_in=5, n_out=3,
                             seed=seed)
    if dirty:  # gradients left over from an earlier backward, as after a training step
        X, y = _data(seed + 100, 6)
        model.backward(softmax_cross_entropy(model.forward(X), y)[1])
    return model


def _Ws(model):
    return [p for p in model.parameters() if p.value.ndim == 2]


def _not_cleared(model, X, y):
    model.backward(softmax_cross_entropy(model.forward(X), y)[1])
    return np.array([np.sqrt(np.sum(p.grad**2)) for p in _Ws(model)])


def _weight_values(model, X, y):
    return np.array([np.sqrt(np.sum(p.value**2)) for p in _Ws(model)])


def _squared(model, X, y):
    return weight_grad_norms(model, X, y) ** 2


def _with_biases(model, X, y):
    weight_grad_norms(model, X, y)
    params = model.parameters()
    out = []
    for i, p in enumerate(params):
        if p.value.ndim == 2:
            total = np.sum(p.grad**2)
            if i + 1 < len(params) and params[i + 1].value.ndim == 1:
                total += np.sum(params[i + 1].grad ** 2)
            out.append(np.sqrt(total))
    return np.array(out)


def _reversed(model, X, y):
    return weight_grad_norms(model, X, y)[::-1]


def check_grad_norms_per_layer(student_fn):
    """Check ``grad_norms_per_layer(model, X, y) -> norms``: after clearing the gradients, one
    forward and backward pass of ``softmax_cross_entropy``; ``norms[k] = ||dL/dW_k||`` for every
    weight matrix from the input to the output, as a numpy array."""
    cases = []
    for label, depth, skip, act, seed, dirty, n in [
        ("a plain network of 2 blocks", 2, False, "tanh", 1, False, 8),
        ("a residual network of 3 blocks whose .grad still holds an earlier backward", 3, True,
         "sigmoid", 2, True, 8),
        ("a plain network of 1 block, a batch of one", 1, False, "relu", 3, True, 1),
    ]:
        X, y = _data(seed, n)
        cases.append(Case(label, (_model(depth, skip, act, seed, dirty), X, y)))
    mistakes = [
        Mistake("gradients not cleared first",
                "Right on a fresh network, wrong when .grad already holds something: backward "
                "ADDS into .grad, so call model.zero_grad() before the forward pass, or you "
                "measure the sum of this gradient and the last one.",
                _not_cleared),
        Mistake("norm of the weights, not of the gradients",
                "You measured the weights themselves (p.value). The question is how much "
                "gradient reaches each layer: use p.grad after the backward pass.",
                _weight_values),
        Mistake("squared norm",
                "Your numbers are squared norms: ||g|| = sqrt(sum(g ** 2)), "
                "np.linalg.norm(g) does it.",
                _squared),
        Mistake("biases included",
                "You added the bias gradients in. Report the weight matrices only (the "
                "parameters with 2 dimensions), one number per linear layer.",
                _with_biases),
        Mistake("layers in reverse order",
                "The order is reversed: norms[0] must be the layer next to the input, the "
                "order of model.parameters().",
                _reversed),
    ]
    return run_check("check_grad_norms_per_layer", student_fn, cases, weight_grad_norms,
                     mistakes)
