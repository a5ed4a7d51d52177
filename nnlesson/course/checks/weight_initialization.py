"""Checks for lesson 09, weight initialization: Xavier uniform and He normal.

The student writes an initializer ``f(shape, ..., rng)`` that draws from the ``rng`` it is
given, exactly as :mod:`nnlesson.init` does: ``rng.uniform(-a, a, size=shape)`` or
``rng.normal(0.0, std, size=shape)``. The same generator state then gives the same numbers,
so the check compares values (on copies of the generator). A student who draws the right
distribution another way is told so.

Weights have shape ``(n_in, n_out)``: ``fan_in = shape[0]``, ``fan_out = shape[1]``.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson import init as _init
from nnlesson.course.checks._core import Case, Mistake, compare_outputs, run_check

__all__ = ["check_xavier_uniform", "check_he_normal"]


def _compare_draws(how):
    """Compare values; when they differ but the spread is right, say how to draw them."""

    def compare(expected, received):
        diff = compare_outputs(expected, received)
        if diff is None:
            return None
        if (isinstance(received, np.ndarray) and isinstance(expected, np.ndarray)
                and received.shape == expected.shape and received.dtype.kind == "f"
                and expected.size >= 1000 and np.all(np.isfinite(received))
                and expected.std() > 0 and abs(received.std() / expected.std() - 1) < 0.03):
            return (f"{diff}. The spread is right (std {received.std():.4g}, expected "
                    f"{expected.std():.4g}), so your formula may be fine, but the numbers are not "
                    f"the ones `{how}` draws from the `rng` you were given: draw them with exactly "
                    f"that call, from that generator (not np.random)")
        return diff

    return compare


# --------------------------------------------------------------------------- Xavier uniform


def _xavier_uniform(shape, gain=1.0, rng=None):
    """The library's Xavier uniform: ``U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``."""
    return _init.xavier_uniform(shape, gain=gain, rng=rng)


def _xavier_mistakes():
    def draw(bound):
        def wrong(shape, gain=1.0, rng=None):
            fan_in, fan_out = shape
            a = bound(fan_in, fan_out, gain)
            return rng.uniform(-a, a, size=shape)
        return wrong

    def transposed(shape, gain=1.0, rng=None):
        fan_in, fan_out = shape
        a = gain * math.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-a, a, size=(fan_out, fan_in))

    def normal_instead(shape, gain=1.0, rng=None):
        fan_in, fan_out = shape
        return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)

    return [
        Mistake("std used as the uniform bound",
                "Your weights are too small by a factor sqrt(3): you used the standard deviation "
                "gain * sqrt(2 / (fan_in + fan_out)) as the bound a. A uniform U(-a, a) has "
                "variance a^2 / 3, so to get that standard deviation the bound must be sqrt(3) "
                "times larger: a = gain * sqrt(6 / (fan_in + fan_out)).",
                draw(lambda fi, fo, g: g * math.sqrt(2.0 / (fi + fo)))),
        Mistake("no square root in the bound",
                "The bound is missing its square root: you used a = gain * 6 / (fan_in + fan_out), "
                "a variance-like number. Xavier's bound is "
                "a = gain * sqrt(6 / (fan_in + fan_out)).",
                draw(lambda fi, fo, g: g * 6.0 / (fi + fo))),
        Mistake("gain missing",
                "Your result ignores `gain`: it is right for gain = 1 only. Multiply the bound by "
                "the gain: a = gain * sqrt(6 / (fan_in + fan_out)) (gain sqrt(2) for ReLU, 5/3 "
                "for tanh).",
                draw(lambda fi, fo, g: math.sqrt(6.0 / (fi + fo)))),
        Mistake("fan_in only",
                "You used fan_in only, a = gain * sqrt(6 / fan_in). Xavier/Glorot averages the two "
                "fans, so that both the forward activations and the backward gradients keep their "
                "scale: a = gain * sqrt(6 / (fan_in + fan_out)).",
                draw(lambda fi, fo, g: g * math.sqrt(6.0 / fi))),
        Mistake("fan_out only",
                "You used fan_out only, a = gain * sqrt(6 / fan_out). Xavier/Glorot uses both "
                "fans: a = gain * sqrt(6 / (fan_in + fan_out)).",
                draw(lambda fi, fo, g: g * math.sqrt(6.0 / fo))),
        Mistake("shape transposed",
                "Your array has shape (n_out, n_in), PyTorch's layout. In nnlesson a layer "
                "computes x @ W, so W has shape (n_in, n_out) = `shape`: draw with size=shape.",
                transposed),
        Mistake("normal instead of uniform",
                "You drew from a normal distribution N(0, std^2). Xavier *uniform* draws from "
                "U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)): use "
                "rng.uniform(-a, a, size=shape).",
                normal_instead),
    ]


def check_xavier_uniform(student_xavier_uniform):
    """Check ``xavier_uniform(shape, gain=1.0, rng=None)`` against the library's.

    The reference is :func:`nnlesson.init.xavier_uniform`.

    Cases: a large layer (so the spread can be judged), a small one, a non-square layer with
    gain sqrt(2), a 1 x 1 layer and a very wide one with the tanh gain 5/3.
    """
    cases = [
        Case("a 300 x 100 layer", ((300, 100),), {"rng": np.random.default_rng(1)}),
        Case("a 4 x 3 layer", ((4, 3),), {"rng": np.random.default_rng(0)}),
        Case("a 50 x 20 layer with gain sqrt(2)", ((50, 20),),
             {"gain": math.sqrt(2.0), "rng": np.random.default_rng(2)}),
        Case("a 1 x 1 layer", ((1, 1),), {"rng": np.random.default_rng(3)}),
        Case("a 2 x 500 layer with gain 5/3", ((2, 500),),
             {"gain": 5.0 / 3.0, "rng": np.random.default_rng(4)}),
    ]
    return run_check("check_xavier_uniform", student_xavier_uniform, cases, _xavier_uniform,
                     _xavier_mistakes(), compare=_compare_draws("rng.uniform(-a, a, size=shape)"))


# --------------------------------------------------------------------------- He normal


def _he_normal(shape, rng=None):
    """The library's He normal: ``N(0, std^2)``, ``std = sqrt(2 / fan_in)``."""
    return _init.he_normal(shape, rng=rng)


def _he_mistakes():
    def draw(std_of):
        def wrong(shape, rng=None):
            fan_in, fan_out = shape
            return rng.normal(0.0, std_of(fan_in, fan_out), size=shape)
        return wrong

    def transposed(shape, rng=None):
        fan_in, fan_out = shape
        return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in))

    return [
        Mistake("fan_out instead of fan_in",
                "You divided by fan_out = shape[1]. He initialization keeps the forward signal's "
                "scale, which depends on how many inputs each unit sums: std = sqrt(2 / fan_in) "
                "with fan_in = shape[0] (nnlesson weights are (n_in, n_out); PyTorch stores "
                "(out, in) and reads fan_in from shape[1]).",
                draw(lambda fi, fo: math.sqrt(2.0 / fo))),
        Mistake("variance used as the standard deviation",
                "You passed the variance 2 / fan_in where numpy expects the standard deviation: "
                "rng.normal(0.0, scale, ...) takes scale = std = sqrt(2 / fan_in).",
                draw(lambda fi, fo: 2.0 / fi)),
        Mistake("ReLU gain missing",
                "Your std is sqrt(1 / fan_in) (LeCun's initialization). ReLU sets half of its "
                "inputs to zero, so He doubles the variance: std = sqrt(2 / fan_in).",
                draw(lambda fi, fo: math.sqrt(1.0 / fi))),
        Mistake("Xavier's formula",
                "You used Xavier's std sqrt(2 / (fan_in + fan_out)). He's std uses fan_in only, "
                "with the ReLU gain: std = sqrt(2 / fan_in).",
                draw(lambda fi, fo: math.sqrt(2.0 / (fi + fo)))),
        Mistake("shape transposed",
                "Your array has shape (n_out, n_in), PyTorch's layout. In nnlesson a layer "
                "computes x @ W, so W has shape (n_in, n_out) = `shape`: draw with size=shape.",
                transposed),
    ]


def check_he_normal(student_he_normal):
    """Check ``he_normal(shape, rng=None)`` against :func:`nnlesson.init.he_normal`.

    Cases: a large layer (so the spread can be judged), non-square layers in both directions,
    and a layer with a single input (fan_in = 1).
    """
    cases = [
        Case("a 400 x 100 layer", ((400, 100),), {"rng": np.random.default_rng(1)}),
        Case("a 3 x 7 layer", ((3, 7),), {"rng": np.random.default_rng(0)}),
        Case("a 64 x 16 layer", ((64, 16),), {"rng": np.random.default_rng(2)}),
        Case("a 1 x 5 layer (one input)", ((1, 5),), {"rng": np.random.default_rng(3)}),
    ]
    return run_check("check_he_normal", student_he_normal, cases, _he_normal, _he_mistakes(),
                     compare=_compare_draws("rng.normal(0.0, std, size=shape)"))
