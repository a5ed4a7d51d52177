"""Numerical gradient checks (lesson 01): is my backward pass right?

Nudge one number up and down by ``h``, see how the loss changes, and compare that slope with
the gradient the backward pass computed. Central differences have an error of order ``h^2``,
so in float64 with ``h = 1e-6`` a correct backward agrees to about 1e-8 or better; a wrong one
is off by far more. Always check in float64: in float32 the rounding error of each function
value (about 1e-7 relative) divided by ``h`` swamps the slope.
"""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_array, check_number, check_rng
from nnlesson.core import Module

__all__ = ["numerical_gradient", "rel_error", "check_layer_gradients", "check_loss_gradient"]


def numerical_gradient(f, x, h=1e-6):
    """Central-difference gradient of a scalar function at ``x``.

    Equations (``e_i`` is the i-th unit vector)::

        grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2 h)

    Args:
        f: function of ``x`` returning a scalar; it may also ignore its argument and read
            ``x`` from a closure, since ``x`` is changed in place.
        x: float64 array, any shape; each entry is nudged in place and restored afterwards
            (also when ``f`` raises).
        h: step, a finite number > 0.

    Returns:
        grad, a float64 array with the shape of ``x``.

    Raises:
        TypeError: ``x`` is not a float64 array. ValueError: a bad ``h``, or ``f`` returned an
        array.
    """
    h = check_number("h", h, low=0, low_open=True)
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"x must be a float64 numpy array (it is changed in place, and float32 differences "
            f"are rounding noise), got {kind}"
        )
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        try:
            x[i] = old + h
            f_plus = _scalar(f(x))
            x[i] = old - h
            f_minus = _scalar(f(x))
        finally:
            x[i] = old
        grad[i] = (f_plus - f_minus) / (2 * h)
    return grad


def _scalar(value):
    if np.ndim(value) != 0:
        raise ValueError(f"f must return a scalar, got an array of shape {np.shape(value)}")
    return float(value)


def rel_error(a, b, floor=1e-12):
    """Relative error between two arrays of the same shape, one number.

    Equations::

        rel_error = max|a - b| / max(max(|a| + |b|), floor)

    The largest difference is compared with the largest magnitude, so an entry that is tiny
    (a gradient component of 1e-9) does not produce a huge ratio on its own; ``floor`` keeps
    the ratio finite when both are zero. (cs231n divides entry by entry instead, which is
    stricter on tiny entries.) Below 1e-7 in float64: the gradients agree.

    Args:
        a: array of any shape.
        b: array of the shape of ``a``.
        floor: > 0, the smallest denominator.

    Returns:
        float (0.0 for empty arrays).

    Raises:
        ValueError: the shapes differ, or a bad ``floor``.
    """
    a = check_array("a", a, allow_nan=True)
    b = check_array("b", b, allow_nan=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    floor = check_number("floor", floor, low=0, low_open=True)
    if a.size == 0:
        return 0.0
    a = a.astype(np.float64)
    b = b.astype(np.float64)
    return float(np.max(np.abs(a - b)) / max(float(np.max(np.abs(a) + np.abs(b))), floor))


def check_layer_gradients(layer, x, dout=None, h=1e-6):
    """Compare a layer's backward pass with finite differences.

    The scalar checked is ``L = sum(layer(x) * dout)``, whose gradient with respect to the
    output is exactly ``dout``. The layer's gradients are restored afterwards.

    Args:
        layer: a Module with float64 parameters; it must be deterministic (fix a dropout mask,
            for example by giving the layer a fresh generator with the same seed before each
            call).
        x: the input batch (converted to a float64 copy).
        dout: dL/d(out), the shape of ``layer(x)``; by default random normal (random seed 0).
        h: finite-difference step, > 0.

    Returns:
        dict ``{name: rel_error}``: ``"x"`` for the input (left out when backward returns
        None, see ``Linear(input_grad=False)``), then each parameter in ``layer.parameters()``
        order under its ``name`` (a repeated name gets a suffix ``_1``, ``_2``, ...).

    Raises:
        TypeError: not a Module, or parameters that are not float64. ValueError: ``dout`` of
        the wrong shape, or a bad ``h``.
    """
    if not isinstance(layer, Module):
        raise TypeError(f"layer must be a Module, got {type(layer).__name__}")
    h = check_number("h", h, low=0, low_open=True)
    params = layer.parameters()
    for p in params:
        if p.dtype != np.float64:
            raise TypeError(
                f"layer parameters must be float64 for a gradient check, {p.name} is {p.dtype}"
            )
    x = np.array(check_array("x", x), dtype=np.float64)
    out = np.asarray(layer.forward(x.copy()))
    if dout is None:
        dout = check_rng(0).normal(size=out.shape)
    dout = np.array(check_array("dout", dout), dtype=np.float64)
    if dout.shape != out.shape:
        raise ValueError(f"dout must have the shape of layer(x) {out.shape}, got {dout.shape}")

    saved = [p.grad.copy() for p in params]
    try:
        for p in params:
            p.zero_grad()
        dx = layer.backward(dout)
        analytic = {} if dx is None else {"x": np.asarray(dx)}  # None: input_grad=False
        names = _unique_names(params)
        for name, p in zip(names, params):
            analytic[name] = p.grad.copy()
    finally:
        for p, g in zip(params, saved):
            p.grad[...] = g

    def loss(_):
        return np.sum(layer.forward(x) * dout)

    errors = {}
    if "x" in analytic:
        errors["x"] = rel_error(analytic["x"], numerical_gradient(loss, x, h))
    for name, p in zip(names, params):
        errors[name] = rel_error(analytic[name], numerical_gradient(loss, p.value, h))
    return errors


def _unique_names(params):
    names, counts = [], {}
    for p in params:
        k = counts.get(p.name, 0)
        names.append(p.name if k == 0 else f"{p.name}_{k}")
        counts[p.name] = k + 1
    return names


def check_loss_gradient(loss_fn, pred, target, h=1e-6):
    """Compare the gradient a loss returns with finite differences.

    Args:
        loss_fn: ``loss_fn(pred, target) -> (loss, dpred)``, like every loss in
            ``nnlesson.losses``.
        pred: predictions (converted to a float64 copy).
        target: targets or labels, passed through unchanged.
        h: finite-difference step, > 0.

    Returns:
        float, ``rel_error(dpred, numerical dloss/dpred)``.

    Raises:
        ValueError: a bad ``h`` or ``pred``.
    """
    h = check_number("h", h, low=0, low_open=True)
    pred = np.array(check_array("pred", pred), dtype=np.float64)
    _, analytic = loss_fn(pred.copy(), target)
    numeric = numerical_gradient(lambda p: loss_fn(p, target)[0], pred, h)
    return rel_error(analytic, numeric)
