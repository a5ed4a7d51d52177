"""Checks for lesson 09, weight initialization, declared as data (see :mod:`._core`).

* ``xavier_uniform(shape, gain=1.0, rng=None)`` and ``he_normal(shape, rng=None)``: the student
  draws from the ``rng`` given, exactly as :mod:`nnlesson.init` does
  (``rng.uniform(-a, a, size=shape)``, ``rng.normal(0.0, std, size=shape)``), so the same
  generator state gives the same numbers and the check compares values (on copies of the
  generator). A student who draws the right distribution another way is told so.
* ``gain_for(activation, z)``: the gain that keeps the variance of the pre-activations from one
  layer to the next, measured on a sample ``z`` of standardized pre-activations (the student
  derives it from ``Var(z_next) = n_in Var(W) E[h^2]``).

Weights have shape ``(n_in, n_out)``: ``fan_in = shape[0]``, ``fan_out = shape[1]``.
"""
from __future__ import annotations

import math

import numpy as np

from nnlesson import init as _init
from nnlesson.course.checks._core import Case, Check, Mistake, compare_outputs

__all__ = ["XAVIER", "HE", "GAIN", "CHECKS", "check_xavier_uniform", "check_he_normal",
           "check_gain_for"]

HINTS = ("the idea", "the formula", "a partial line")
FORBIDDEN = ("nnlesson.init.*",)


def _compare_draws(how):
    """Compare values; when they differ but the spread is right, say how to draw them."""

    def compare(expected, received):
        diff = compare_outputs(expected, received)
        if diff is None:
            return None
        if (isinstance(received, np.ndarray) and isinstance(expected, np.ndarray)
                and received.shape == expected.shape and received.dtype == expected.dtype
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


def _uniform_with(bound):
    def wrong(shape, gain=1.0, rng=None):
        fan_in, fan_out = shape
        a = bound(fan_in, fan_out, gain)
        return rng.uniform(-a, a, size=shape)
    return wrong


def _xavier_transposed(shape, gain=1.0, rng=None):
    fan_in, fan_out = shape
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in))


def _xavier_drawn_transposed(shape, gain=1.0, rng=None):
    # drawn in PyTorch's (out, in) layout, then turned with .T: the right shape, other numbers
    fan_in, fan_out = shape
    a = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_out, fan_in)).T


def _xavier_normal_instead(shape, gain=1.0, rng=None):
    fan_in, fan_out = shape
    return rng.normal(0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), size=shape)


def _xavier_from_zero(shape, gain=1.0, rng=None):
    fan_in, fan_out = shape
    return rng.uniform(0.0, gain * math.sqrt(6.0 / (fan_in + fan_out)), size=shape)


def _xavier_cases():
    return [
        Case("a 300 x 100 layer", ((300, 100),), {"rng": np.random.default_rng(1)}),
        Case("a 4 x 3 layer", ((4, 3),), {"rng": np.random.default_rng(0)}),
        Case("a 50 x 20 layer with gain sqrt(2)", ((50, 20),),
             {"gain": math.sqrt(2.0), "rng": np.random.default_rng(2)}),
        Case("a 1 x 1 layer", ((1, 1),), {"rng": np.random.default_rng(3)}),
        Case("a 2 x 500 layer with gain 5/3", ((2, 500),),
             {"gain": 5.0 / 3.0, "rng": np.random.default_rng(4)}),
        Case("a 30 x 7 layer with gain 0.5", ((30, 7),),
             {"gain": 0.5, "rng": np.random.default_rng(5)}),
    ]


XAVIER = Check(
    name="check_xavier_uniform",
    function="xavier_uniform",
    reference=_xavier_uniform,
    cases=_xavier_cases,
    mistakes=(
        Mistake("std used as the uniform bound",
                "Your weights are too small by a factor sqrt(3): you used the standard deviation "
                "gain * sqrt(2 / (fan_in + fan_out)) as the bound a. A uniform U(-a, a) has "
                "variance a^2 / 3, so to get that standard deviation the bound must be sqrt(3) "
                "times larger.", _uniform_with(lambda fi, fo, g: g * math.sqrt(2.0 / (fi + fo))),
                hint=2),
        Mistake("no square root in the bound",
                "The bound is missing its square root: you used gain * 6 / (fan_in + fan_out), a "
                "variance-like number. A bound has the units of a weight: "
                "a = gain * sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: g * 6.0 / (fi + fo)), hint=2),
        Mistake("square root of 6 only",
                "Only the 6 is under your square root: sqrt(6) / (fan_in + fan_out). The whole "
                "fraction belongs under it, a = gain * sqrt(6 / (fan_in + fan_out)); dividing "
                "by the sum of the fans without the root makes the weights far too small.",
                _uniform_with(lambda fi, fo, g: g * math.sqrt(6.0) / (fi + fo)), hint=2),
        Mistake("3 instead of 6",
                "Your bound is sqrt(3 / (fan_in + fan_out)), which gives the variance "
                "1 / (fan_in + fan_out): half of Xavier's. Xavier's variance is "
                "2 / (fan_in + fan_out) (the average of 1/fan_in and 1/fan_out), and the bound "
                "of a uniform is sqrt(3) times the std: a = gain * sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: g * math.sqrt(3.0 / (fi + fo))), hint=2),
        Mistake("3 times the std",
                "Your bound is 3 times the standard deviation, 3 * gain * sqrt(2 / (fan_in + "
                "fan_out)), which makes the weights sqrt(3) times too large. A uniform U(-a, a) "
                "has variance a^2 / 3, so a = sqrt(3) * std = gain * sqrt(6 / (fan_in + "
                "fan_out)).", _uniform_with(lambda fi, fo, g: 3.0 * g * math.sqrt(2.0 / (fi + fo))),
                hint=1),
        Mistake("the 6 missing",
                "Your bound is gain / sqrt(fan_in + fan_out): the 6 under the square root is "
                "missing (2 for Xavier's variance, times 3 for a uniform's). "
                "a = gain * sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: g / math.sqrt(fi + fo)), hint=2),
        Mistake("6 over the average fan",
                "Your bound is sqrt(6 / ((fan_in + fan_out) / 2)), sqrt(2) times too large. "
                "Xavier's variance is 1 / fan_avg = 2 / (fan_in + fan_out), so the bound is "
                "sqrt(3 / fan_avg) = gain * sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: g * math.sqrt(12.0 / (fi + fo))), hint=2),
        Mistake("the variance as the bound",
                "Your bound is a variance, gain * 2 / (fan_in + fan_out), with no square root. "
                "The bound has the units of a weight: a = gain * sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: g * 2.0 / (fi + fo)), hint=2),
        Mistake("interval from 0",
                "Your weights are all positive: you drew from U(0, a). Xavier uniform draws from "
                "an interval centred on 0, U(-a, a), so that the weights have mean 0: "
                "rng.uniform(-a, a, size=shape).", _xavier_from_zero, hint=3),
        Mistake("gain missing",
                "Your result ignores `gain`: it is right for gain = 1 only. The gain multiplies "
                "the bound (and so the standard deviation).",
                _uniform_with(lambda fi, fo, g: math.sqrt(6.0 / (fi + fo))), hint=2),
        Mistake("gain inside the square root",
                "You put the gain under the square root, sqrt(6 gain / (fan_in + fan_out)). The "
                "gain multiplies the standard deviation, so it stands outside: "
                "a = gain * sqrt(6 / (fan_in + fan_out)) (gain^2 multiplies the variance).",
                _uniform_with(lambda fi, fo, g: math.sqrt(6.0 * g / (fi + fo))), hint=2),
        Mistake("fan_in only",
                "You used fan_in only, sqrt(6 / fan_in). Xavier/Glorot averages the two fans, so "
                "that both the forward activations and the backward gradients keep their scale.",
                _uniform_with(lambda fi, fo, g: g * math.sqrt(6.0 / fi)), hint=1),
        Mistake("fan_out only",
                "You used fan_out only, sqrt(6 / fan_out). Xavier/Glorot uses both fans, their "
                "sum under the square root.",
                _uniform_with(lambda fi, fo, g: g * math.sqrt(6.0 / fo)), hint=1),
        Mistake("fans multiplied",
                "You multiplied the fans, sqrt(6 / (fan_in * fan_out)). Xavier/Glorot adds them: "
                "sqrt(6 / (fan_in + fan_out)) (the average of the forward and backward needs).",
                _uniform_with(lambda fi, fo, g: g * math.sqrt(6.0 / (fi * fo))), hint=2),
        Mistake("shape transposed",
                "Your array has shape (n_out, n_in), PyTorch's layout. In nnlesson a layer "
                "computes x @ W, so W has shape (n_in, n_out) = `shape`: draw with size=shape.",
                _xavier_transposed, hint=3),
        Mistake("drawn transposed",
                "Your spread is right, but you drew a (n_out, n_in) array and turned it with .T "
                "(PyTorch's layout): the same numbers land in other places. In nnlesson W has "
                "shape (n_in, n_out) = `shape`: draw it directly with "
                "rng.uniform(-a, a, size=shape).", _xavier_drawn_transposed, hint=3),
        Mistake("parentheses missing",
                "Your bound is sqrt(6 / fan_in + fan_out): without parentheses Python divides 6 "
                "by fan_in first and then adds fan_out. The sum of the fans is the divisor: "
                "a = gain * math.sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: g * math.sqrt(6.0 / fi + fo)), hint=2),
        Mistake("std used as the uniform bound + gain missing",
                "Two mistakes. You used the standard deviation sqrt(2 / (fan_in + fan_out)) as "
                "the bound (a uniform U(-a, a) has variance a^2 / 3, so the bound is sqrt(3) "
                "times the std), and your result ignores `gain`, which multiplies the bound: "
                "a = gain * sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: math.sqrt(2.0 / (fi + fo))), hint=2),
        Mistake("fan_in only + gain missing",
                "Two mistakes. You used fan_in only, sqrt(6 / fan_in): Xavier/Glorot uses the "
                "sum of the two fans. And your result ignores `gain`, which multiplies the "
                "bound: a = gain * sqrt(6 / (fan_in + fan_out)).",
                _uniform_with(lambda fi, fo, g: math.sqrt(6.0 / fi)), hint=2),
        Mistake("normal instead of uniform",
                "You drew from a normal distribution N(0, std^2). Xavier *uniform* draws from "
                "U(-a, a): use rng.uniform(-a, a, size=shape).", _xavier_normal_instead, hint=3),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    compare=_compare_draws("rng.uniform(-a, a, size=shape)"),
    doc="``xavier_uniform(shape, gain=1.0, rng=None)``: ``U(-a, a)`` with "
        "``a = gain * sqrt(6 / (fan_in + fan_out))``, drawn as ``rng.uniform(-a, a, size=shape)``",
)
check_xavier_uniform = XAVIER.check_function()


# --------------------------------------------------------------------------- He normal


def _he_normal(shape, rng=None):
    """The library's He normal: ``N(0, std^2)``, ``std = sqrt(2 / fan_in)``."""
    return _init.he_normal(shape, rng=rng)


def _normal_with(std_of):
    def wrong(shape, rng=None):
        fan_in, fan_out = shape
        return rng.normal(0.0, std_of(fan_in, fan_out), size=shape)
    return wrong


def _he_transposed(shape, rng=None):
    fan_in, fan_out = shape
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in))


def _he_drawn_transposed(shape, rng=None):
    fan_in, fan_out = shape
    return rng.normal(0.0, math.sqrt(2.0 / fan_in), size=(fan_out, fan_in)).T


def _he_uniform_instead(shape, rng=None):
    std = math.sqrt(2.0 / shape[0])
    return rng.uniform(-std, std, size=shape)


def _he_std_as_mean(shape, rng=None):
    return rng.normal(math.sqrt(2.0 / shape[0]), size=shape)


def _he_uniform_instead_of_normal(shape, rng=None):
    a = math.sqrt(6.0 / shape[0])
    return rng.uniform(-a, a, size=shape)


def _he_cases():
    return [
        Case("a 400 x 100 layer", ((400, 100),), {"rng": np.random.default_rng(1)}),
        Case("a 3 x 7 layer", ((3, 7),), {"rng": np.random.default_rng(0)}),
        Case("a 64 x 16 layer", ((64, 16),), {"rng": np.random.default_rng(2)}),
        Case("a 1 x 5 layer (one input)", ((1, 5),), {"rng": np.random.default_rng(3)}),
    ]


HE = Check(
    name="check_he_normal",
    function="he_normal",
    reference=_he_normal,
    cases=_he_cases,
    mistakes=(
        Mistake("fan_out instead of fan_in",
                "You divided by fan_out = shape[1]. He initialization keeps the forward signal's "
                "scale, which depends on how many inputs each unit sums: the fan-in, shape[0] "
                "(nnlesson weights are (n_in, n_out); PyTorch stores (out, in) and reads the "
                "fan-in from shape[1]).", _normal_with(lambda fi, fo: math.sqrt(2.0 / fo)),
                hint=1),
        Mistake("variance used as the standard deviation",
                "You passed the variance 2 / fan_in where numpy expects the standard deviation: "
                "rng.normal(0.0, scale, ...) takes scale = std, the square root of the "
                "variance.", _normal_with(lambda fi, fo: 2.0 / fi), hint=2),
        Mistake("ReLU gain missing",
                "Your std is sqrt(1 / fan_in) (LeCun's initialization). ReLU sets half of its "
                "inputs to zero, so He doubles the variance: the 2 in 2 / fan_in is ReLU's gain "
                "squared.", _normal_with(lambda fi, fo: math.sqrt(1.0 / fi)), hint=1),
        Mistake("He uniform instead of He normal",
                "You drew He *uniform*, U(-a, a) with a = sqrt(6 / fan_in): the right variance, "
                "the wrong distribution. He *normal* draws from N(0, std^2) with "
                "std = sqrt(2 / fan_in): rng.normal(0.0, std, size=shape).",
                _he_uniform_instead_of_normal, hint=3),
        Mistake("square root of 2 only",
                "Only the 2 is under your square root: sqrt(2) / fan_in. The whole fraction "
                "belongs under it: std = sqrt(2 / fan_in).",
                _normal_with(lambda fi, fo: math.sqrt(2.0) / fi), hint=2),
        Mistake("ReLU gain applied twice",
                "Your std is sqrt(2) * sqrt(2 / fan_in) = 2 / sqrt(fan_in): ReLU's gain sqrt(2) "
                "is counted twice. The 2 in 2 / fan_in already is the gain squared: "
                "std = sqrt(2 / fan_in).", _normal_with(lambda fi, fo: 2.0 / math.sqrt(fi)),
                hint=2),
        Mistake("fans multiplied",
                "You multiplied the fans, sqrt(2 / (fan_in * fan_out)). He's std uses the fan-in "
                "alone: std = sqrt(2 / fan_in).",
                _normal_with(lambda fi, fo: math.sqrt(2.0 / (fi * fo))), hint=2),
        Mistake("the uniform bound as the std",
                "Your std is sqrt(6 / fan_in), the BOUND of He *uniform*: sqrt(3) times too "
                "large. For the normal distribution use the std itself, sqrt(2 / fan_in).",
                _normal_with(lambda fi, fo: math.sqrt(6.0 / fi)), hint=2),
        Mistake("Xavier's formula",
                "You used Xavier's std sqrt(2 / (fan_in + fan_out)). He's std uses the fan-in "
                "only.", _normal_with(lambda fi, fo: math.sqrt(2.0 / (fi + fo))), hint=2),
        Mistake("shape transposed",
                "Your array has shape (n_out, n_in), PyTorch's layout. In nnlesson a layer "
                "computes x @ W, so W has shape (n_in, n_out) = `shape`: draw with size=shape.",
                _he_transposed, hint=3),
        Mistake("drawn transposed",
                "Your spread is right, but you drew a (n_out, n_in) array and turned it with .T "
                "(PyTorch's layout): the same numbers land in other places. In nnlesson W has "
                "shape (n_in, n_out) = `shape`: draw it directly with "
                "rng.normal(0.0, std, size=shape).", _he_drawn_transposed, hint=3),
        Mistake("fan_out instead of fan_in + variance used as the standard deviation",
                "Two mistakes. You divided by fan_out = shape[1]: He uses the fan-in, shape[0] "
                "(nnlesson weights are (n_in, n_out)). And you passed the variance 2 / fan where "
                "numpy expects the standard deviation: std = sqrt(2 / fan_in).",
                _normal_with(lambda fi, fo: 2.0 / fo), hint=2),
        Mistake("Xavier's formula + variance used as the standard deviation",
                "Two mistakes. You used Xavier's fans, 2 / (fan_in + fan_out): He uses the "
                "fan-in only. And you passed that variance where numpy expects the standard "
                "deviation: std = sqrt(2 / fan_in).",
                _normal_with(lambda fi, fo: 2.0 / (fi + fo)), hint=2),
        Mistake("ReLU gain missing + variance used as the standard deviation",
                "Two mistakes. Your 1 / fan_in is LeCun's variance: ReLU zeroes half of its "
                "inputs, so He doubles it, 2 / fan_in. And you passed a variance where numpy "
                "expects the standard deviation: std = sqrt(2 / fan_in).",
                _normal_with(lambda fi, fo: 1.0 / fi), hint=2),
        Mistake("fan_out instead of fan_in + ReLU gain missing",
                "Two mistakes. You divided by fan_out = shape[1]: He uses the fan-in, shape[0]. "
                "And sqrt(1 / fan) is LeCun's std: ReLU zeroes half of its inputs, so He "
                "doubles the variance: std = sqrt(2 / fan_in).",
                _normal_with(lambda fi, fo: math.sqrt(1.0 / fo)), hint=2),
        Mistake("uniform instead of normal",
                "You drew from a uniform distribution. He *normal* draws from N(0, std^2): "
                "rng.normal(0.0, std, size=shape).", _he_uniform_instead, hint=3),
        Mistake("std passed as the mean",
                "Your weights are centred on the std instead of 0: rng.normal(std, size=shape) "
                "sets the MEAN (loc) to std and the spread to 1. Give both: rng.normal(0.0, std, "
                "size=shape).", _he_std_as_mean, hint=3),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    compare=_compare_draws("rng.normal(0.0, std, size=shape)"),
    doc="``he_normal(shape, rng=None)``: ``N(0, std^2)`` with ``std = sqrt(2 / fan_in)``, drawn "
        "as ``rng.normal(0.0, std, size=shape)``",
)
check_he_normal = HE.check_function()


# --------------------------------------------------------------------------- the gain


def _gain_for(activation, z):
    """``1 / sqrt(mean(f(z)^2))``: the gain ``g`` with ``g^2 E[f(z)^2] = E[z^2] = 1``."""
    h = activation(np.asarray(z, dtype=np.float64))
    return float(1.0 / np.sqrt(np.mean(h * h)))


def _standardized(seed, n):
    """``n`` pre-activations with mean exactly 0 and variance exactly 1 (up to rounding)."""
    z = np.random.default_rng(seed).standard_normal(n)
    z = z - z.mean()
    return z / np.sqrt(np.mean(z * z))


def _relu(x):
    return np.maximum(x, 0.0)


def _identity(x):
    return x


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _twice(x):
    return 2.0 * x


def _gain_wrong_z(measure):
    def wrong(activation, z):
        return float(measure(activation, np.asarray(z, dtype=np.float64)))
    return wrong


def _gain_cases():
    return [
        Case("tanh, 20000 samples", (np.tanh, _standardized(90, 20000))),
        Case("ReLU, 20000 samples", (_relu, _standardized(91, 20000))),
        Case("a linear layer (the identity), 500 samples", (_identity, _standardized(92, 500))),
        Case("sigmoid, 20000 samples", (_sigmoid, _standardized(93, 20000))),
        Case("f(x) = 2x, 50 samples", (_twice, _standardized(94, 50))),
    ]


def _gain_wrong(measure):
    def wrong(activation, z):
        h = activation(np.asarray(z, dtype=np.float64))
        return float(measure(h))
    return wrong


def _compare_gain(expected, received):
    """Compare; a gain within 3 % of the right one may have been measured on other samples."""
    diff = compare_outputs(expected, received)
    if diff is None or not isinstance(received, (float, int, np.floating)) or \
            isinstance(received, bool):
        return diff
    if math.isfinite(received) and abs(received / expected - 1) < 0.03:
        return (f"{diff}. That is within 3 % of the right gain, close but not the same: if you "
                "drew new random numbers, measure on the sample z you are given instead, so "
                "that the check can compare exactly; otherwise look for a small difference in "
                "the formula")
    return diff


def _slope_gain(activation, z):
    # the gain of the backward pass: 1 / sqrt(E[f'(z)^2]), the slope by central differences
    z = np.asarray(z, dtype=np.float64)
    h = 1e-5
    slope = (activation(z + h) - activation(z - h)) / (2 * h)
    return float(1.0 / np.sqrt(np.mean(slope * slope)))


def _tanh_slope_gain(squared):
    # tanh's derivative written from its output, 1 - f(z)^2, used as if it were f(z)
    def wrong(activation, z):
        h = activation(np.asarray(z, dtype=np.float64))
        slope = 1.0 - h * h
        with np.errstate(divide="ignore"):
            return float(1.0 / (np.sqrt(np.mean(slope * slope)) if squared else np.mean(slope)))
    return wrong


def _mean_slope_gain(activation, z):
    # 1 / E[f'(z)], the slope by central differences
    z = np.asarray(z, dtype=np.float64)
    h = 1e-5
    with np.errstate(divide="ignore"):
        return float(1.0 / np.mean((activation(z + h) - activation(z - h)) / (2 * h)))


GAIN = Check(
    name="check_gain_for",
    function="gain_for",
    reference=_gain_for,
    cases=_gain_cases,
    mistakes=(
        Mistake("square root missing",
                "You returned 1 / mean(f(z)^2): that is the gain SQUARED, the factor on the "
                "variance. The gain multiplies the weights' standard deviation, so take the "
                "square root.", _gain_wrong(lambda h: 1.0 / np.mean(h * h)), hint=2),
        Mistake("not inverted",
                "You returned sqrt(mean(f(z)^2)), the factor by which the activation SHRINKS the "
                "signal. The gain has to make up for it: it is the inverse, so that "
                "gain^2 * E[f(z)^2] = 1.", _gain_wrong(lambda h: np.sqrt(np.mean(h * h))),
                hint=2),
        Mistake("variance instead of the mean square",
                "You used the variance of f(z) (np.std or np.var). The next layer's pre-activation "
                "is a sum of h * W with zero-mean weights, and its variance is n_in Var(W) E[h^2]: "
                "the mean of the SQUARES of h, its mean included. The two differ when f(z) is not "
                "centred, as for ReLU or sigmoid.", _gain_wrong(lambda h: 1.0 / np.std(h)),
                hint=1),
        Mistake("variance instead of the mean square",
                "You used the standard deviation of f(z) with N - 1 (np.std(..., ddof=1)). The "
                "next layer's pre-activation has variance n_in Var(W) E[h^2]: the mean of the "
                "SQUARES of h over the sample, its mean included, divided by N.",
                _gain_wrong(lambda h: 1.0 / np.std(h, ddof=1)), hint=1),
        Mistake("variance without the square root",
                "You returned 1 / Var(f(z)), with two mistakes: the variance (np.var) instead of "
                "the mean of the squares E[f(z)^2], and no square root. The gain multiplies the "
                "weights' standard deviation: gain = 1 / sqrt(E[f(z)^2]).",
                _gain_wrong(lambda h: 1.0 / np.var(h)), hint=2),
        Mistake("slope instead of the output",
                "You measured the activation's slope f'(z), which is what a gradient meets going "
                "BACK through the layer. The rule Var(z_next) = n_in Var(W) E[h^2] is about the "
                "forward pass: what goes into the next layer is the output h = f(z), so measure "
                "E[f(z)^2].", _slope_gain, hint=1),
        Mistake("f applied to z squared",
                "You computed f(z ** 2): the square went inside the activation. Apply the "
                "activation first, then square its output: E[f(z)^2] = np.mean(f(z) ** 2).",
                _gain_wrong_z(lambda f, z: 1.0 / np.sqrt(np.mean(f(z ** 2)))), hint=3),
        Mistake("the median instead of the mean",
                "You used the median of f(z)^2. The rule needs the expectation E[f(z)^2], the "
                "MEAN over the sample (for ReLU, half the values are 0, and the median hides "
                "the other half).", _gain_wrong(lambda h: 1.0 / np.sqrt(np.median(h * h))),
                hint=2),
        Mistake("the activation ignored",
                "Your gain is tanh's for every activation: you called np.tanh instead of the "
                "`activation` you are given. Measure h = activation(z).",
                _gain_wrong_z(lambda f, z: 1.0 / np.sqrt(np.mean(np.tanh(z) ** 2))), hint=3),
        Mistake("mean of f(z), not of its square",
                "You averaged f(z) itself; the rule needs the mean of its SQUARE, E[f(z)^2] "
                "(for tanh the mean of f(z) is about 0).",
                _gain_wrong(lambda h: 1.0 / np.sqrt(np.mean(h))), hint=2),
        Mistake("square of the mean",
                "You squared the mean of f(z), mean(f(z))^2, instead of taking the mean of the "
                "squares, mean(f(z)^2).", _gain_wrong(lambda h: 1.0 / np.sqrt(np.mean(h) ** 2)),
                hint=2),
        Mistake("sum instead of the mean",
                "You summed f(z)^2 over the sample instead of averaging it: the result then "
                "depends on how many samples there are. The rule needs the expectation "
                "E[f(z)^2], the mean over the sample.",
                _gain_wrong(lambda h: 1.0 / np.sqrt(np.sum(h * h))), hint=2),
        Mistake("mean of |f(z)|",
                "You used the mean absolute value of f(z). The variance of the next layer "
                "depends on E[f(z)^2], the mean of the squares.",
                _gain_wrong(lambda h: 1.0 / np.mean(np.abs(h))), hint=1),
        Mistake("slope instead of the output",
                "You measured 1 - f(z)^2, tanh's slope, which is what a gradient meets going "
                "BACK through the layer (and is tanh's alone). The rule Var(z_next) = "
                "n_in Var(W) E[h^2] is about the forward pass: measure the output itself, "
                "E[f(z)^2], for whatever `activation` you are given.", _tanh_slope_gain(False),
                hint=1),
        Mistake("slope instead of the output",
                "You measured (1 - f(z)^2)^2, the square of tanh's slope, which is what a "
                "gradient meets going BACK through the layer (and is tanh's alone). The rule "
                "Var(z_next) = n_in Var(W) E[h^2] is about the forward pass: measure the output "
                "itself, E[f(z)^2].", _tanh_slope_gain(True), hint=1),
        Mistake("slope instead of the output",
                "You measured the activation's mean slope E[f'(z)], what a gradient meets going "
                "BACK through the layer. The rule Var(z_next) = n_in Var(W) E[h^2] is about the "
                "forward pass: measure the output h = f(z), E[f(z)^2].", _mean_slope_gain,
                hint=1),
        Mistake("PyTorch's 5/3 for every activation",
                "You returned PyTorch's tanh gain, 5/3, whatever the activation: the exercise "
                "asks you to MEASURE the gain on the sample, h = activation(z), "
                "gain = 1 / sqrt(mean(h^2)); for tanh it comes out close to 5/3, not equal.",
                lambda activation, z: 5.0 / 3.0, hint=2),
        Mistake("sqrt(2) for every activation",
                "You returned ReLU's gain, sqrt(2), whatever the activation: measure it on the "
                "sample instead, h = activation(z), gain = 1 / sqrt(mean(h^2)).",
                lambda activation, z: math.sqrt(2.0), hint=2),
        Mistake("rounded",
                "Your gain is rounded (to 2 decimals): the check compares the measured value "
                "itself. Return 1 / sqrt(mean(f(z)^2)) unrounded; round only where you print it.",
                lambda activation, z: round(_gain_for(activation, z), 2), hint=2),
        Mistake("rounded",
                "Your gain is rounded (to 3 decimals): the check compares the measured value "
                "itself. Return 1 / sqrt(mean(f(z)^2)) unrounded; round only where you print it.",
                lambda activation, z: round(_gain_for(activation, z), 3), hint=2),
        Mistake("an array, not a float",
                "Your gain is right, but it is an array of one number: the exercise asks for a "
                "float. np.mean(..., keepdims=True) or a slice keeps an array; take the plain "
                "mean, or convert with float(...).",
                lambda activation, z: np.array([_gain_for(activation, z)]), hint=3),
    ),
    hints=HINTS,
    compare=_compare_gain,
    doc="``gain_for(activation, z) -> gain``: the gain ``g`` for which weights of variance "
        "``g^2 / fan_in`` keep ``E[z^2]`` from one layer to the next: ``1 / sqrt(mean(f(z)^2))``",
)
check_gain_for = GAIN.check_function()


CHECKS = (XAVIER, HE, GAIN)
