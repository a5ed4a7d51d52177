"""Checks for lesson 12, residual connections, declared as data: a residual block's forward and
backward pass, the gradient norm of every layer of a network, and the scale that keeps a deep
ReLU residual stack's signal in check.

* The block is ``y = x + F(x)`` with ``F(x) = relu(x @ W1 + b1) @ W2 + b2``; x (N, D), W1 (D, H),
  b1 (H,), W2 (H, D), b2 (D,). The reference is the library's
  ``Residual(Sequential(Linear(D, H), ReLU(), Linear(H, D)))`` (its backward is checked against
  PyTorch and finite differences in the suite). The cases have ``H == D``, where a transposed
  weight gives wrong numbers that can be named instead of a shape error; a :class:`Property`
  then tries a block whose hidden width differs from D.
* The norms' reference is :func:`nnlesson.train.weight_grad_norms`.
* ``block_scale(depth, growth)``: with He initialization, one residual branch
  ``alpha * W2 relu(W1 x)`` adds ``2 alpha^2`` times the mean square of ``x`` to it, so a block
  multiplies the mean square by ``1 + 2 alpha^2`` and ``depth`` blocks by its power ``depth``:
  ``alpha = sqrt((growth^(1/depth) - 1) / 2)`` (tests/test_checks_residual_connections.py
  confirms it by measuring networks over many random seeds).

Every mistake is written in plain numpy: the meta-test hands each one to its check as a
student's answer, and a student's answer must not call the library's layers.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Check, Mistake, Property, compare_outputs
from nnlesson.layers import Linear, ReLU, Residual, Sequential
from nnlesson.losses import softmax_cross_entropy
from nnlesson.train import residual_network, weight_grad_norms

__all__ = ["RESIDUAL_FORWARD", "RESIDUAL_BACKWARD", "GRAD_NORMS", "BLOCK_SCALE", "CHECKS",
           "check_residual_forward", "check_residual_backward", "check_grad_norms_per_layer",
           "check_block_scale"]

HINTS = ("the idea", "the formula", "a partial line")
_LAYERS = ("nnlesson.layers.Residual.*", "nnlesson.layers.Linear.*", "nnlesson.layers.ReLU.*",
           "nnlesson.layers.Sequential.*", "nnlesson.layers.relu*")


# --------------------------------------------------------------------------- the block


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


def _block_cases(seed, with_dout, shapes=((4, 3, 3), (1, 3, 3), (6, 2, 2), (5, 4, 4))):
    r = np.random.default_rng(seed)
    labels = {(4, 3, 3): "a batch of 4, D = 3 features, H = 3 hidden units",
              (1, 3, 3): "a batch of one", (6, 2, 2): "a batch of 6, D = H = 2",
              (5, 4, 4): "D = H = 4", (5, 3, 5): "a wider hidden layer: D = 3, H = 5"}
    cases = []
    for N, D, H in shapes:
        x = r.normal(size=(N, D))
        args = (x, *_weights(r, D, H))
        if with_dout:
            args = (r.normal(size=(N, D)), *args)
        cases.append(Case(labels[(N, D, H)], args))
    return cases


def _non_square(reference, seed, with_dout, explanation):
    (case,) = _block_cases(seed, with_dout, shapes=((5, 3, 5),))

    def holds(student_fn):
        import copy

        args = copy.deepcopy(case.args)
        return compare_outputs(reference(*copy.deepcopy(case.args)), student_fn(*args)) is None

    return Property("right for a hidden width other than D", explanation, holds)


def _F(x, W1, b1, W2, b2, *, relu=True, T1=False, T2=False, bias1=True, bias2=True,
       sigmoid=False):
    z = x @ (W1.T if T1 else W1) + (b1 if bias1 else 0)
    h = np.maximum(z, 0) if relu else z
    if sigmoid:
        h = 1 / (1 + np.exp(-z))
    return h @ (W2.T if T2 else W2) + (b2 if bias2 else 0)


def _on_mismatch(student_fn):
    """What the student's block does with a block whose output has 3 columns for an input of
    1 column (numpy would broadcast ``x + F(x)`` from (4, 1) and (4, 3) to (4, 3)): the
    exception it raises, or None if it returns."""
    r = np.random.default_rng(9)
    x, W1, b1 = r.normal(size=(4, 1)), r.normal(size=(1, 2)), r.normal(size=2)
    W2, b2 = r.normal(size=(2, 3)), r.normal(size=3)
    try:
        student_fn(x, W1, b1, W2, b2)
    except NotImplementedError:
        raise
    except Exception as exc:
        return exc
    return None


def _shape_mismatch_refused(student_fn):
    return _on_mismatch(student_fn) is not None


def _shape_mismatch_raises(student_fn):
    """The refusal is a ValueError (or a failed ``assert``, fine too)."""
    return isinstance(_on_mismatch(student_fn), (ValueError, AssertionError))


RESIDUAL_FORWARD = Check(
    name="check_residual_forward",
    function="residual_forward",
    reference=_forward_ref,
    cases=lambda: _block_cases(11, with_dout=False),
    mistakes=(
        Mistake("skip connection missing",
                "You returned F(x) only: a residual block adds its input back, y = x + F(x).",
                lambda x, W1, b1, W2, b2: _F(x, W1, b1, W2, b2), hint=1),
        Mistake("relu after the sum",
                "You applied the ReLU after adding x, y = relu(x + F(x)) (the first ResNet "
                "paper's order). Here the block is y = x + F(x) with nothing after the +, so "
                "the identity path stays a pure identity (also for its gradient).",
                lambda x, W1, b1, W2, b2: np.maximum(x + _F(x, W1, b1, W2, b2), 0), hint=2),
        Mistake("relu missing",
                "Your F has no ReLU between the two linear layers. Without it the two layers "
                "collapse into one linear map.",
                lambda x, W1, b1, W2, b2: x + _F(x, W1, b1, W2, b2, relu=False), hint=2),
        Mistake("relu on the output of F",
                "You put the ReLU after the second linear layer, relu(h @ W2 + b2); it belongs "
                "between the two: relu(x @ W1 + b1) @ W2 + b2.",
                lambda x, W1, b1, W2, b2: x + np.maximum(_F(x, W1, b1, W2, b2, relu=False), 0),
                hint=2),
        Mistake("ReLU after the second layer too",
                "You put a second ReLU on the branch's output, relu(relu(x @ W1 + b1) @ W2 + "
                "b2): the branch ends with the second linear layer, so that F(x) can be "
                "negative and correct x in both directions.",
                lambda x, W1, b1, W2, b2: x + np.maximum(_F(x, W1, b1, W2, b2), 0), hint=2),
        Mistake("W1 transposed",
                "The first layer uses W1 transposed: with x of shape (N, D) and W1 of shape "
                "(D, H), the hidden pre-activation is x @ W1 + b1.",
                lambda x, W1, b1, W2, b2: x + _F(x, W1, b1, W2, b2, T1=True), hint=3),
        Mistake("W2 transposed",
                "The second layer uses W2 transposed: h of shape (N, H) times W2 of shape "
                "(H, D) gives the (N, D) output, h @ W2 + b2.",
                lambda x, W1, b1, W2, b2: x + _F(x, W1, b1, W2, b2, T2=True), hint=3),
        Mistake("b1 missing",
                "The first layer has no bias: its pre-activation is x @ W1 + b1.",
                lambda x, W1, b1, W2, b2: x + _F(x, W1, b1, W2, b2, bias1=False), hint=2),
        Mistake("b2 missing",
                "The second layer has no bias: F(x) = relu(x @ W1 + b1) @ W2 + b2.",
                lambda x, W1, b1, W2, b2: x + _F(x, W1, b1, W2, b2, bias2=False), hint=2),
        Mistake("np.max instead of np.maximum",
                "Your ReLU is np.max(z, 0): that is the largest entry of each COLUMN of z, one "
                "number per hidden unit for the whole batch, and numpy then broadcast it to "
                "every example. The ReLU compares each entry with 0: np.maximum(z, 0).",
                lambda x, W1, b1, W2, b2: x + np.max(x @ W1 + b1, 0) @ W2 + b2, hint=3),
        Mistake("ReLU on the input instead of the hidden layer",
                "You applied the ReLU to x before the first layer, (relu(x) @ W1 + b1) @ W2 + "
                "b2; it belongs between the two layers, on the hidden pre-activation: "
                "relu(x @ W1 + b1) @ W2 + b2.",
                lambda x, W1, b1, W2, b2: x + _F(np.maximum(x, 0), W1, b1, W2, b2, relu=False),
                hint=2),
        Mistake("ReLU before each layer (pre-activation block)",
                "Your branch is relu(relu(x) @ W1 + b1) @ W2 + b2, the pre-activation block of "
                "He et al. 2016 (ReLU before each layer, there with batch norm too). This "
                "exercise's branch has one ReLU, between the two layers: relu(x @ W1 + b1) @ W2 "
                "+ b2.",
                lambda x, W1, b1, W2, b2: x + _F(np.maximum(x, 0), W1, b1, W2, b2), hint=2),
        Mistake("sigmoid instead of ReLU",
                "Your branch uses a sigmoid between the two linear layers (the lesson's "
                "experiment does); this exercise's block has a ReLU there: "
                "np.maximum(x @ W1 + b1, 0).",
                lambda x, W1, b1, W2, b2: x + _F(x, W1, b1, W2, b2, sigmoid=True), hint=2),
    ),
    properties=(
        _non_square(_forward_ref, 31, False,
                    "Right when the hidden width equals D, wrong for a block with D = 3 and "
                    "H = 5: a weight is used transposed, which a square matrix hides. x (N, D) "
                    "@ W1 (D, H) gives the hidden layer, and h (N, H) @ W2 (H, D) the output."),
        Property(
            "shape mismatch not handled",
            "Every case matched, but a block whose output F(x) has 3 columns for an input x of "
            "1 column was accepted: numpy broadcast x + F(x) from (N, 1) and (N, 3) to (N, 3) "
            "without a word. A skip connection needs F(x) to have exactly the shape of x: "
            "compare the shapes and raise ValueError (a real network would use a projection, "
            "x @ Ws, instead).",
            _shape_mismatch_refused),
        Property(
            "another exception than ValueError",
            "Every case matched, and a block whose output F(x) has another shape than x was "
            "refused, but not with a ValueError: the contract asks for ValueError, Python's "
            "exception for an argument of the right type with a wrong value (here, a wrong "
            "shape).",
            _shape_mismatch_raises),
    ),
    forbidden=_LAYERS,
    hints=HINTS,
    doc="``y = x + relu(x @ W1 + b1) @ W2 + b2``, a ValueError when F(x) and x differ in shape",
)


def _backward(dout, x, W1, b1, W2, b2, *, identity=1.0, mask="z1", W1_T=True, W2_T=True,
              sum_b2=True, sum_b1=True, dW2_T=False, bias_axis=0, masked="all", dW2_from="h"):
    """The block's backward pass with switches for the typical mistakes (plain numpy)."""
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0)
    dW2 = (dout.T @ h) if dW2_T else ({"h": h, "z1": z1}[dW2_from].T @ dout)
    db2 = dout.sum(axis=bias_axis) if sum_b2 else dout.copy()
    dh = dout @ (W2.T if W2_T else W2)
    gate = {"z1": z1 > 0, "none": np.ones_like(z1, dtype=bool), "no bias": x @ W1 > 0}[mask]
    dz1 = dh * gate
    to_weights = dz1 if masked in ("all", "weights") else dh  # what dW1 and db1 are made of
    to_x = dz1 if masked in ("all", "x") else dh
    dW1 = x.T @ to_weights
    db1 = to_weights.sum(axis=bias_axis) if sum_b1 else to_weights.copy()
    dx = identity * dout + to_x @ (W1.T if W1_T else W1)
    return dx, dW1, db1, dW2, db2


RESIDUAL_BACKWARD = Check(
    name="check_residual_backward",
    function="residual_backward",
    reference=_backward_ref,
    cases=lambda: _block_cases(12, with_dout=True),
    mistakes=(
        Mistake("identity path forgotten in backward",
                "dx misses the skip connection: x reaches the output twice, through the "
                "identity and through F, so the two gradients add. This `dout +` term is what "
                "keeps deep residual networks trainable.",
                lambda *a: _backward(*a, identity=0.0), hint=1),
        Mistake("dout added twice",
                "dx has the identity's gradient twice: dx = dout + (gradient through F), with "
                "dout counted once.",
                lambda *a: _backward(*a, identity=2.0), hint=2),
        Mistake("ReLU mask missing in backward",
                "The gradient went through the ReLU unchanged. relu'(z) is 1 where z = x @ W1 "
                "+ b1 > 0 and 0 elsewhere: the gradient is gated by that mask.",
                lambda *a: _backward(*a, mask="none"), hint=2),
        Mistake("ReLU mask without the bias",
                "Your ReLU mask tests x @ W1 > 0; the ReLU saw x @ W1 + b1, so the mask is "
                "where x @ W1 + b1 > 0 (keep z1 from the forward pass).",
                lambda *a: _backward(*a, mask="no bias"), hint=3),
        Mistake("W1 instead of W1.T",
                "The gradient to x through the first layer goes back through the transpose: "
                "(N, H) gradients times W1.T (H, D).",
                lambda *a: _backward(*a, W1_T=False), hint=3),
        Mistake("W2 instead of W2.T",
                "The gradient to the hidden layer goes back through the transpose of W2: "
                "(N, D) gradients times W2.T (D, H).",
                lambda *a: _backward(*a, W2_T=False), hint=3),
        Mistake("dW2 transposed",
                "Your dW2 is dout.T @ h, the transpose of the gradient: dW2 has the shape of "
                "W2, (H, D), and is h.T @ dout.",
                lambda *a: _backward(*a, dW2_T=True), hint=3),
        Mistake("bias gradient not summed over the batch",
                "db2 has one row per example: a bias is shared by the N rows, so its gradient "
                "is the sum over the batch (axis 0).",
                lambda *a: _backward(*a, sum_b2=False), hint=2),
        Mistake("db1 not summed over the batch",
                "db1 has one row per example: the first layer's bias is shared by the N rows, "
                "so its gradient is the sum of the masked gradients over the batch.",
                lambda *a: _backward(*a, sum_b1=False), hint=2),
        Mistake("bias gradients summed over the wrong axis",
                "db1 and db2 are summed over axis 1, the features: a bias has one entry per "
                "feature and is shared by the N examples, so its gradient sums over the "
                "batch, axis 0.",
                lambda *a: _backward(*a, bias_axis=1), hint=2),
        Mistake("ReLU mask missing from dx only",
                "dW1 and db1 are right, but dx goes back through the first layer without the "
                "ReLU's mask: use the same masked gradient dz1 for dx as for dW1, "
                "dx = dout + dz1 @ W1.T.",
                lambda *a: _backward(*a, masked="weights"), hint=2),
        Mistake("ReLU mask missing from dW1 and db1",
                "dx is right, but dW1 and db1 are made of the gradient BEFORE the ReLU's mask: "
                "the first layer's weights only influenced the units whose pre-activation was "
                "positive, so use the masked dz1 for them too.",
                lambda *a: _backward(*a, masked="x"), hint=2),
        Mistake("dW2 from the pre-activation",
                "dW2 is z1.T @ dout: the second layer multiplies the ReLU's OUTPUT h = relu(z1), "
                "so dW2 = h.T @ dout.",
                lambda *a: _backward(*a, dW2_from="z1"), hint=2),
        Mistake("identity path forgotten in backward + ReLU mask missing in backward",
                "Two things: dx misses the skip connection (x reaches the output through the "
                "identity too, so dx = dout + the gradient through F), and the gradient went "
                "through the ReLU unchanged (it must be gated by the mask z1 > 0, where "
                "z1 = x @ W1 + b1).",
                lambda *a: _backward(*a, identity=0.0, mask="none"), hint=2),
    ),
    properties=(
        _non_square(_backward_ref, 32, True,
                    "Right when the hidden width equals D, wrong for a block with D = 3 and "
                    "H = 5: a weight or a gradient is transposed, which a square matrix hides. "
                    "Check every shape: dW1 is (D, H), dW2 is (H, D)."),
    ),
    output_names=("dx", "dW1", "db1", "dW2", "db2"),
    forbidden=_LAYERS,
    hints=HINTS,
    doc="``(dx, dW1, db1, dW2, db2)`` of ``y = x + relu(x @ W1 + b1) @ W2 + b2``",
)


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


def _norms_cases():
    cases = []
    for label, depth, skip, act, seed, dirty, n in [
        ("a plain network of 2 blocks", 2, False, "tanh", 1, False, 8),
        ("a residual network of 3 blocks whose .grad still holds an earlier backward", 3, True,
         "sigmoid", 2, True, 8),
        ("a plain network of 1 block, a batch of one, old gradients", 1, False, "relu", 3, True,
         1),
    ]:
        X, y = _data(seed, n)
        cases.append(Case(label, (_model(depth, skip, act, seed, dirty), X, y)))
    return cases


def _norms(model, X, y, *, clear=True, what="grad", power=1, biases=False, order=1,
           inner_only=False, spectral=False, every=False, size="norm"):
    """The norms with switches for the typical mistakes (the model's own forward and backward)."""
    if clear:
        model.zero_grad()
    model.backward(softmax_cross_entropy(model.forward(X), y)[1])
    if clear == "after":
        model.zero_grad()
    if size == "mean |g|":
        return np.array([np.mean(np.abs(p.grad)) for p in model.parameters()
                         if p.value.ndim == 2])
    if size == "relative":
        return np.array([np.linalg.norm(p.grad) / np.linalg.norm(p.value)
                         for p in model.parameters() if p.value.ndim == 2])
    params = model.parameters()
    out = []
    for i, p in enumerate(params):
        if p.value.ndim != 2 and not every:
            continue
        total = np.sum(getattr(p, what) ** 2)
        if spectral:  # the largest singular value, squared
            total = np.linalg.svd(getattr(p, what), compute_uv=False)[0] ** 2
        if biases and i + 1 < len(params) and params[i + 1].value.ndim == 1:
            total += np.sum(params[i + 1].grad ** 2)
        out.append(np.sqrt(total) ** power)
    out = np.array(out)
    if inner_only:
        out = out[1:-1]
    return out[::order]


GRAD_NORMS = Check(
    name="check_grad_norms_per_layer",
    function="grad_norms_per_layer",
    reference=weight_grad_norms,
    cases=_norms_cases,
    mistakes=(
        Mistake("gradients not cleared first",
                "Right on a fresh network, wrong when .grad already holds something: backward "
                "ADDS into .grad, so clear the gradients (model.zero_grad()) before the forward "
                "pass, or you measure the sum of this gradient and the last one.",
                lambda model, X, y: _norms(model, X, y, clear=False), hint=1),
        Mistake("norm of the weights, not of the gradients",
                "You measured the weights themselves (p.value). The question is how much "
                "gradient reaches each layer: use p.grad after the backward pass.",
                lambda model, X, y: _norms(model, X, y, what="value"), hint=1),
        Mistake("squared norm",
                "Your numbers are squared norms: the norm is the square root of the sum of "
                "squares (np.linalg.norm does it).",
                lambda model, X, y: _norms(model, X, y, power=2), hint=2),
        Mistake("biases included",
                "You added the bias gradients in. Report the weight matrices only (the "
                "parameters with 2 dimensions), one number per linear layer.",
                lambda model, X, y: _norms(model, X, y, biases=True), hint=2),
        Mistake("gradients not cleared first + every parameter, biases too",
                "Two things: backward ADDS into .grad, so clear the gradients "
                "(model.zero_grad()) before the forward pass, or you measure this gradient "
                "plus the last one; and keep the weight matrices only (p.value.ndim == 2), "
                "one number per linear layer, not the biases too.",
                lambda model, X, y: _norms(model, X, y, clear=False, every=True), hint=2),
        Mistake("every parameter, biases too",
                "You returned a norm for every parameter, biases included, so there are twice "
                "as many numbers as linear layers. Keep the weight matrices only (the "
                "parameters whose value has 2 dimensions).",
                lambda model, X, y: _norms(model, X, y, every=True), hint=2),
        Mistake("layers in reverse order",
                "The order is reversed: the first number must be the layer next to the input, "
                "the order of model.parameters().",
                lambda model, X, y: _norms(model, X, y, order=-1), hint=3),
        Mistake("the matrix 2-norm",
                "Your numbers are the largest singular value of each gradient: for a matrix, "
                "np.linalg.norm(g, 2) is the spectral norm. The gradient's size here is the "
                "square root of the sum of all its squared entries (np.linalg.norm(g) with no "
                "second argument, the Frobenius norm).",
                lambda model, X, y: _norms(model, X, y, spectral=True), hint=2),
        Mistake("the blocks' layers only",
                "You left out the input layer and the output layer: report every weight "
                "matrix of the model, from the input to the output.",
                lambda model, X, y: _norms(model, X, y, inner_only=True), hint=3),
        Mistake("a list, not an array",
                "Your numbers are right, but in a Python list: return a numpy array, "
                "np.array([...]), so that the result can be plotted and computed with.",
                lambda model, X, y: [float(v) for v in _norms(model, X, y)], hint=None),
        Mistake("gradients cleared after the backward pass",
                "Every number is 0: you cleared the gradients (zero_grad) AFTER the backward "
                "pass, which erases what you then measure. Clear them first, then forward, "
                "backward, and read p.grad.",
                lambda model, X, y: _norms(model, X, y, clear="after"), hint=1),
        Mistake("mean absolute gradient",
                "Your numbers are the mean |g| of each gradient; the norm is the square root "
                "of the SUM of the squared entries, np.linalg.norm(p.grad), so a larger layer "
                "with the same entries has a larger norm.",
                lambda model, X, y: _norms(model, X, y, size="mean |g|"), hint=2),
        Mistake("divided by the weights' norm",
                "Your numbers are ||dL/dW|| / ||W||, the gradient relative to the weights; the "
                "exercise asks for the gradient's norm itself.",
                lambda model, X, y: _norms(model, X, y, size="relative"), hint=2),
    ),
    forbidden=("nnlesson.train.weight_grad_norms",),
    hints=HINTS,
    doc="``||dL/dW_k||`` of every weight matrix from the input to the output, after clearing "
        "the gradients and one forward and backward pass of the softmax cross-entropy",
)


# --------------------------------------------------------------------------- the branch scale


def _scale_ref(depth, growth):
    return float(np.sqrt((growth ** (1.0 / depth) - 1.0) / 2.0))


def _scale_cases():
    return [
        Case("16 blocks, the mean square may double", (16, 2.0)),
        Case("8 blocks, growth 4", (8, 4.0)),
        Case("one block that may triple it: nothing to scale", (1, 3.0)),
        Case("32 blocks, growth 1.5", (32, 1.5)),
        Case("4 blocks, growth 10", (4, 10.0)),
    ]


def _per_block(depth, growth):
    return growth ** (1.0 / depth)


BLOCK_SCALE = Check(
    name="check_block_scale",
    function="block_scale",
    reference=_scale_ref,
    cases=_scale_cases,
    mistakes=(
        Mistake("growth taken as a ratio of standard deviations",
                "Your alpha makes the STANDARD DEVIATION grow by `growth`; the contract asks "
                "for the mean square (the variance of a zero-mean signal), which grows by the "
                "square of the standard deviation's factor.",
                lambda depth, growth: float(np.sqrt((growth ** (2 / depth) - 1) / 2)), hint=1),
        Mistake("He's factor 2 left out",
                "Your branch adds alpha^2 times the mean square, as if each linear layer kept "
                "it. He initialization doubles it in each linear layer and the ReLU halves it "
                "once: the branch adds 2 alpha^2.",
                lambda depth, growth: float(np.sqrt(_per_block(depth, growth) - 1)), hint=2),
        Mistake("ReLU's halving left out",
                "Your alpha is sqrt((growth^(1/depth) - 1) / 4): either the branch was taken "
                "to add 4 alpha^2 times the mean square (two He-initialized layers double it "
                "twice, but the ReLU between them zeroes half of a symmetric signal and halves "
                "it once, so the branch adds 2 alpha^2), or the division by 2 landed outside "
                "the square root.",
                lambda depth, growth: float(np.sqrt((_per_block(depth, growth) - 1) / 4)),
                hint=2),
        Mistake("the identity path forgotten",
                "Your block multiplies the mean square by 2 alpha^2 alone: the skip adds x "
                "back, and x and the branch are uncorrelated at initialization, so their mean "
                "squares add: 1 + 2 alpha^2 per block.",
                lambda depth, growth: float(np.sqrt(_per_block(depth, growth) / 2)), hint=2),
        Mistake("growth shared out by depth",
                "You divided the growth among the blocks, 1 + 2 alpha^2 depth = growth: but "
                "each block MULTIPLIES the mean square, so the factors multiply, (1 + 2 "
                "alpha^2)^depth = growth, and each block gets the depth-th root.",
                lambda depth, growth: float(np.sqrt((growth - 1) / (2 * depth))), hint=2),
        Mistake("depth ignored",
                "Your alpha lets ONE block grow the mean square by `growth`; the whole stack "
                "of `depth` blocks may grow it by that much, so each block gets the depth-th "
                "root of it.",
                lambda depth, growth: float(np.sqrt((growth - 1) / 2)), hint=2),
        Mistake("growth raised to the depth",
                "You raised the growth to the power depth; each block may grow the mean square "
                "by the depth-th ROOT of the growth, since the blocks' factors multiply: "
                "(1 + 2 alpha^2)^depth = growth.",
                lambda depth, growth: float(np.sqrt((growth ** depth - 1) / 2)), hint=2),
        Mistake("alpha squared returned",
                "You returned alpha^2: the branch's mean square scales with alpha^2, and the "
                "weights with alpha itself. Take the square root at the end.",
                lambda depth, growth: float((_per_block(depth, growth) - 1) / 2), hint=3),
        Mistake("alpha squared returned + He's factor 2 left out",
                "Your alpha is growth^(1/depth) - 1: two steps are missing. The branch adds "
                "2 alpha^2 times the mean square (He initialization doubles it in each linear "
                "layer, the ReLU halves it once), so 1 + 2 alpha^2 = growth^(1/depth); and that "
                "gives alpha^2, whose square root is the factor for the weights.",
                lambda depth, growth: float(_per_block(depth, growth) - 1), hint=2),
        Mistake("integer division 1 // depth",
                "Your alpha is 0 for every depth above 1: 1 // depth is an integer division, "
                "0, so growth ** (1 // depth) is 1. Write 1 / depth.",
                lambda depth, growth: float(np.sqrt((growth ** (1 // depth) - 1) / 2)), hint=3),
        Mistake("standard deviations added",
                "You added the standard deviations of x and of the branch, (1 + sqrt(2) alpha)^2 "
                "per block, as if the two were perfectly correlated. At initialization they are "
                "uncorrelated (the branch's last weights have zero mean), so their mean SQUARES "
                "add: 1 + 2 alpha^2 per block.",
                lambda depth, growth: float((growth ** (1 / (2 * depth)) - 1) / np.sqrt(2)),
                hint=1),
        Mistake("1 / sqrt(depth), a rule of thumb",
                "Your alpha is 1 / sqrt(depth), a rule of thumb that ignores `growth`: it keeps "
                "the sum of the branches' variances bounded only to first order, and the "
                "blocks' factors multiply. Derive the alpha for which (1 + 2 alpha^2)^depth "
                "equals growth.",
                lambda depth, growth: float(1 / np.sqrt(depth)), hint=1),
        Mistake("1 / depth, a rule of thumb",
                "Your alpha is 1 / depth, a rule of thumb that ignores `growth`. Derive the "
                "alpha for which the stack multiplies the mean square by exactly growth: "
                "(1 + 2 alpha^2)^depth = growth.",
                lambda depth, growth: float(1 / depth), hint=1),
        Mistake("a first-order approximation",
                "Your alpha is sqrt(ln(growth) / (2 depth)): (1 + 2 alpha^2)^depth = growth "
                "approximated with ln(1 + u) = u. Close for a small growth, but the contract "
                "asks for the exact alpha: solve 1 + 2 alpha^2 = growth^(1/depth).",
                lambda depth, growth: float(np.sqrt(np.log(growth) / (2 * depth))), hint=2),
    ),
    hints=HINTS,
    doc="``alpha = sqrt((growth^(1/depth) - 1) / 2)``: the factor for each block's last weight "
        "matrix (He init, ReLU) that makes ``depth`` blocks multiply the mean square of the "
        "signal by ``growth``",
)

CHECKS = (RESIDUAL_FORWARD, RESIDUAL_BACKWARD, GRAD_NORMS, BLOCK_SCALE)

check_residual_forward = RESIDUAL_FORWARD.check_function()
check_residual_backward = RESIDUAL_BACKWARD.check_function()
check_grad_norms_per_layer = GRAD_NORMS.check_function()
check_block_scale = BLOCK_SCALE.check_function()
