"""Checks for lesson 06, Adam and AdamW, declared as data (the worked example of the framework).

Exercises 1 and 2 are one update step ``(w, g, m, v, t, ...) -> (w, m, v)`` that returns new
arrays. Exercise 3 (:data:`L2_DRIFT`) is a derivation: the average change per step of a weight
under Adam + L2 when its loss gradient is noise (its reference is the formula, in this module).
The reference is the library's rule :func:`nnlesson.optim.adam_update` (checked against
``torch.optim.Adam`` and ``torch.optim.AdamW`` in the test suite), with PyTorch's conventions:
the step counter ``t`` starts at 1, ``eps`` is added outside the square root, the stored
moments ``m`` and ``v`` are the uncorrected ones, and AdamW shrinks the weights by
``(1 - lr * weight_decay)`` before the Adam step.

How this module is built (copy it for another lesson):

* the **cases** vary every argument away from its default at least once (``lr``, ``beta1``,
  ``beta2``, ``eps``, ``weight_decay``), include the edge cases (the first step with zero
  moments and a zero gradient, a late step, tiny gradients where ``eps`` matters);
* the **mistakes** are written once, as switches of one wrong implementation
  (:func:`_adam_parts`), each with a name, the explanation the student reads, a short form
  for messages about two mistakes at once, and the hint level that helps. Pairs of Adam
  mistakes from different parts of the rule are declared too ("no bias correction + eps
  inside the square root"), each kept only if the cases tell it from every mistake before it
  (:func:`_distinct`: without a correction, a wrong beta in it does not show). AdamW reuses
  every Adam mistake with a correct decay, adds its own decay mistakes, and each decay mistake
  paired with each Adam mistake;
* **forbidden**: the library's Adam (the rule, the classes, any private kernel whose name
  contains "adam"), so a student's function that calls it fails at once;
* the check functions are derived from the declarations: ``check_adam_update =
  ADAM.check_function()``.

tests/test_checks_meta.py proves for every declared check that each named mistake is diagnosed
as itself, that the cases tell the mistakes apart, that every argument with a default is
varied, and that calling the library is caught.
"""
from __future__ import annotations


import numpy as np

from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.course.checks._families import distinct, two_at_once
from nnlesson.optim import adam_update

__all__ = ["ADAM", "ADAMW", "L2_DRIFT", "CHECKS", "check_adam_update", "check_adamw_update",
           "check_adam_l2_drift"]

# The library's Adam in any form: the public rule, the Adam and AdamW classes (their methods),
# and any private kernel of nnlesson.optim whose name contains "adam", whatever it is renamed to.
FORBIDDEN = ("nnlesson.optim.adam_update", "nnlesson.optim.Adam.*", "nnlesson.optim.AdamW.*",
             "nnlesson.optim.*adam*")

# The titles of the hint levels in the exercise notebook ("Hint 2 · the formula").
HINTS = ("the idea", "the formula", "a partial line")


# --------------------------------------------------------------------------- cases


def _state(seed, shape, scale=1.0):
    """Weights, a gradient and plausible moments (v >= 0) of the given shape."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    g = scale * rng.normal(size=shape)
    m = 0.3 * scale * rng.normal(size=shape)
    v = (scale * rng.uniform(0.2, 1.5, size=shape)) ** 2
    return w, g, m, v


# Weight decay per case for AdamW: strong decay and large steps so that every way of getting
# the decay wrong shows; 0 in one case, where AdamW equals Adam.
_ADAMW_DECAY = (0.1, 0.5, 0.2, 0.0, 0.3, 0.4)


def _cases(weight_decay=None):
    """Cases for both checks; ``weight_decay`` None gives Adam's, a tuple AdamW's."""
    w1, g1, _, _ = _state(600, 5)
    g1[1] = 0.0  # a zero gradient at the first step: m_hat = v_hat = 0, the step must be 0
    w2, g2, m2, v2 = _state(601, 4)
    w3, g3, m3, v3 = _state(602, (3, 4))
    w4, g4, m4, v4 = _state(603, 4)
    w5, g5, m5, v5 = _state(604, 3, scale=1e-4)
    w6, g6, m6, v6 = _state(605, 1)
    table = [
        ("first step (t = 1): zero moments, one gradient is 0",
         (w1, g1, np.zeros(5), np.zeros(5), 1), {"lr": 0.1}),
        ("the second step (t = 2)", (w2, g2, m2, v2, 2), {"lr": 0.01}),
        ("a 3 x 4 matrix, t = 10, beta1 = 0.8, beta2 = 0.99", (w3, g3, m3, v3, 10),
         {"lr": 0.05, "beta1": 0.8, "beta2": 0.99}),
        ("a late step, t = 1000", (w4, g4, m4, v4, 1000), {"lr": 0.001}),
        ("tiny gradients and eps = 1e-3, t = 3", (w5, g5, m5, v5, 3), {"lr": 0.01, "eps": 1e-3}),
        ("one weight, t = 5, beta1 = 0.5, beta2 = 0.9", (w6, g6, m6, v6, 5),
         {"lr": 0.3, "beta1": 0.5, "beta2": 0.9}),
    ]
    cases = []
    for i, (label, args, kwargs) in enumerate(table):
        if weight_decay is not None:
            kwargs = dict(kwargs, weight_decay=weight_decay[i])
            label = f"{label}, weight_decay = {weight_decay[i]:g}"
        cases.append(Case(label, args, kwargs))
    return cases


# --------------------------------------------------------------------------- references


def _adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, m, v, _ = adam_update(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return w, m, v


def _adamw(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    w, m, v, _ = adam_update(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                             weight_decay=weight_decay, decoupled_weight_decay=True)
    return w, m, v


# --------------------------------------------------------------------------- wrong Adam


def _average(old, new, beta, form):
    if form == "no 1 - beta":
        return beta * old + new
    if form == "reversed":
        return (1 - beta) * old + beta * new
    return beta * old + (1 - beta) * new


def _corrected(x, beta, t, form):
    if form == "none":
        return x
    if form == "multiplied":
        return x * (1 - beta ** t)
    if form == "(1 - beta)^t":
        return x / (1 - beta) ** t
    if form == "no parentheses":
        return x / 1 - beta ** t
    if form == "squared":  # sqrt(v) / (1 - beta2^t): the correction put on the root, unrooted
        return x / (1 - beta ** t) ** 2
    if form == "rooted":  # v / sqrt(1 - beta2^t): the root of the correction, then a root again
        return x / np.sqrt(1 - beta ** t)
    return x / (1 - beta ** t)


def _adam_parts(w, g, m, v, t, lr, beta1, beta2, eps, *, m_average="right", v_average="right",
                v_of="g * g", m_correction="right", v_correction="right", counter=0,
                eps_at="outside", root=True, numerator="m_hat", with_lr=True, old=(),
                m_gradient=None, betas="right", fresh=False, m_of="g", m_counter=0,
                v_counter=0, eps_value=None):
    """Adam's step with switches that reproduce the typical mistakes (``old``: the moments
    the step uses before their update; ``m_gradient``: a gradient for m other than ``g``;
    ``betas``: which beta each of the four places uses; ``fresh``: m and v restarted at 0;
    ``m_of``: what m averages; ``m_counter``, ``v_counter``: one correction's step shifted;
    ``eps_value``: an eps written in, whatever ``eps`` is passed).

    Returns ``(w_new, m, v, m_hat, v_hat)``.
    """
    if fresh:
        m, v = np.zeros_like(m), np.zeros_like(v)
    if eps_value is not None:
        eps = eps_value
    # the betas of m's average, v's average, m's correction and v's correction
    b_m, b_v, c_m, c_v = {"right": (beta1, beta2, beta1, beta2),
                          "beta2 in m": (beta2, beta2, beta1, beta2),
                          "beta1 in v": (beta1, beta1, beta1, beta2),
                          "averages exchanged": (beta2, beta1, beta1, beta2),
                          "beta2 in m's correction": (beta1, beta2, beta2, beta2),
                          "beta1 in v's correction": (beta1, beta2, beta1, beta1),
                          "corrections exchanged": (beta1, beta2, beta2, beta1)}[betas]
    m_old, v_old = m, v
    if m_gradient is None:
        m_gradient = {"g": lambda: g, "g * g": lambda: g * g, "|g|": lambda: np.abs(g),
                      "mean": lambda: np.mean(g)}[m_of]()
    if m_average == "1 - beta2":  # beta1 * m + (1 - beta2) * g
        m = beta1 * m + (1 - beta2) * m_gradient
    else:
        m = _average(m, m_gradient, b_m, m_average)
    squared = {"g * g": lambda: g * g, "g": lambda: g, "|g|": lambda: np.abs(g),
               "mean": lambda: np.mean(g * g), "m * m": lambda: m * m,
               "(g - m)^2": lambda: (g - m) ** 2, "(g - old m)^2": lambda: (g - m_old) ** 2}[v_of]()
    if v_average == "1 - beta1":  # beta2 * v + (1 - beta1) * g^2
        v = beta2 * v + (1 - beta1) * squared
    else:
        v = _average(v, squared, b_v, v_average)
    t = t + counter
    m_hat = _corrected(m_old if "m" in old else m, c_m, t + m_counter, m_correction)
    v_hat = _corrected(v_old if "v" in old else v, c_v, t + v_counter, v_correction)
    rate = {True: lr, False: 1.0, "lr / sqrt(t)": lr / np.sqrt(t)}[with_lr]
    top = {"m_hat": m_hat, "g": g}[numerator] * rate
    if root == "** 1/2":  # v_hat ** 1/2 is (v_hat ** 1) / 2
        return w - top / (v_hat / 2 + eps), m, v, m_hat, v_hat
    if root in ("sum", "mean"):  # one denominator for all the weights
        whole = np.sum(v_hat) if root == "sum" else np.mean(v_hat)
        return w - top / (np.sqrt(whole) + eps), m, v, m_hat, v_hat
    if not root:
        return w - top / (v_hat + eps), m, v, m_hat, v_hat
    if eps_at == "inside":
        return w - top / np.sqrt(v_hat + eps), m, v, m_hat, v_hat
    if eps_at == "missing":
        return w - top / np.sqrt(v_hat), m, v, m_hat, v_hat
    if eps_at == "added to w":
        return w - top / np.sqrt(v_hat) + eps, m, v, m_hat, v_hat
    if eps_at == "subtracted from w":  # step = lr * m_hat / sqrt(v_hat) + eps; w - step
        return w - (top / np.sqrt(v_hat) + eps), m, v, m_hat, v_hat
    if eps_at == "guard":  # no eps: a step of 0 where v_hat is 0
        safe = np.where(v_hat > 0, v_hat, 1.0)
        return w - np.where(v_hat > 0, top / np.sqrt(safe), 0.0), m, v, m_hat, v_hat
    if eps_at == "floor":  # sqrt(max(v_hat, eps))
        return w - top / np.sqrt(np.maximum(v_hat, eps)), m, v, m_hat, v_hat
    if eps_at == "before the correction":  # the paper's "efficient" order
        return w - top / (np.sqrt(v_hat) + eps / np.sqrt(1 - beta2 ** t)), m, v, m_hat, v_hat
    return w - top / (np.sqrt(v_hat) + eps), m, v, m_hat, v_hat


_NO_BIAS_CORRECTION = (
    "Your step uses m and v without bias correction. Both start at 0, so early on they are "
    "too small: after the first step m = (1 - beta1) g and v = (1 - beta2) g^2. Divide them "
    "by 1 - beta1^t and 1 - beta2^t (m_hat, v_hat) and step with m_hat / (sqrt(v_hat) + eps). "
    "(Note: without the correction the first step is not tiny: with the default betas it is "
    "(1 - beta1) / sqrt(1 - beta2), about 3.16 times lr.)")

# name, part of the rule, hint level, explanation, short form (for two mistakes at once),
# switches of _adam_parts ("store" says which moments are returned bias-corrected).
_ADAM_TABLE = [
    ("no bias correction", "correction", 2, _NO_BIAS_CORRECTION,
     "m and v are not bias-corrected (divide them by 1 - beta1^t and 1 - beta2^t)",
     {"m_correction": "none", "v_correction": "none"}),
    ("bias correction of m only", "correction", 2,
     "You correct m but not v: v_hat = v / (1 - beta2^t) is missing, so in the first steps "
     "you divide by a square root that is far too small and the steps are far too large.",
     "v is not bias-corrected (v_hat = v / (1 - beta2^t))",
     {"v_correction": "none"}),
    ("bias correction of v only", "correction", 2,
     "You correct v but not m: m_hat = m / (1 - beta1^t) is missing, so the first steps are "
     "too small by the factor 1 - beta1^t.",
     "m is not bias-corrected (m_hat = m / (1 - beta1^t))",
     {"m_correction": "none"}),
    ("step counter starting at 0", "correction", 1,
     "Your bias correction uses t - 1 where it should use t, as if the first step were t = 0: "
     "then 1 - beta^0 = 0 and the first step divides by zero. Adam counts steps from 1: the "
     "first update is t = 1, and m_hat = m / (1 - beta1^t).",
     "the bias correction uses t - 1 instead of t (Adam counts from t = 1)",
     {"counter": -1}),
    ("step counter shifted by one", "correction", 1,
     "Your bias correction uses t + 1 where it should use t. The t passed to the function "
     "already counts from 1 (the first update is t = 1): use beta1^t and beta2^t as they are.",
     "the bias correction uses t + 1 instead of t",
     {"counter": 1}),
    ("bias correction multiplied", "correction", 2,
     "You multiply m and v by 1 - beta^t; the correction divides by it: m_hat = m / "
     "(1 - beta1^t) and v_hat = v / (1 - beta2^t), which makes the early averages, biased "
     "towards their zero start, larger.",
     "the bias correction multiplies by 1 - beta^t instead of dividing",
     {"m_correction": "multiplied", "v_correction": "multiplied"}),
    ("(1 - beta)^t in the correction", "correction", 2,
     "Your bias correction divides by (1 - beta)^t; the correction is 1 - beta^t: only beta is "
     "raised to the power t. (1 - beta1)^t shrinks towards 0 within a few steps and blows the "
     "step up.",
     "the bias correction is (1 - beta)^t instead of 1 - beta^t",
     {"m_correction": "(1 - beta)^t", "v_correction": "(1 - beta)^t"}),
    ("parentheses missing in the correction", "correction", 3,
     "Your correction computes m / 1 - beta1^t: without parentheses Python divides first and "
     "subtracts after. The whole 1 - beta1^t is the divisor: m_hat = m / (1 - beta1 ** t), and "
     "the same for v.",
     "the bias correction lacks its parentheses (m / 1 - beta1^t)",
     {"m_correction": "no parentheses", "v_correction": "no parentheses"}),
    ("m's correction multiplied", "correction", 2,
     "You multiply m by 1 - beta1^t; the correction divides by it: m_hat = m / (1 - beta1^t). "
     "(v's correction is right.)",
     "m's correction multiplies by 1 - beta1^t instead of dividing",
     {"m_correction": "multiplied"}),
    ("v's correction multiplied", "correction", 2,
     "You multiply v by 1 - beta2^t; the correction divides by it: v_hat = v / (1 - beta2^t). "
     "(m's correction is right.)",
     "v's correction multiplies by 1 - beta2^t instead of dividing",
     {"v_correction": "multiplied"}),
    ("(1 - beta1)^t in m's correction", "correction", 2,
     "Your m_hat divides by (1 - beta1)^t; the correction is 1 - beta1^t: only beta1 is raised "
     "to the power t. (v's correction is right.)",
     "m's correction is (1 - beta1)^t instead of 1 - beta1^t",
     {"m_correction": "(1 - beta)^t"}),
    ("(1 - beta2)^t in v's correction", "correction", 2,
     "Your v_hat divides by (1 - beta2)^t; the correction is 1 - beta2^t: only beta2 is raised "
     "to the power t. (1 - beta2)^t = 0.001^t vanishes at once and blows the step down. (m's "
     "correction is right.)",
     "v's correction is (1 - beta2)^t instead of 1 - beta2^t",
     {"v_correction": "(1 - beta)^t"}),
    ("m's correction at t + 1", "correction", 1,
     "Your m_hat uses beta1^(t + 1): one step too many. The t passed in already counts from 1; "
     "m_hat = m / (1 - beta1^t). (v's correction is right.)",
     "m's correction uses t + 1", {"m_counter": 1}),
    ("v's correction at t + 1", "correction", 1,
     "Your v_hat uses beta2^(t + 1): one step too many. The t passed in already counts from 1; "
     "v_hat = v / (1 - beta2^t). (m's correction is right.)",
     "v's correction uses t + 1", {"v_counter": 1}),
    ("m's correction at t - 1", "correction", 1,
     "Your m_hat uses beta1^(t - 1), as if steps counted from 0: at t = 1 it divides by 1 - 1 = "
     "0. m_hat = m / (1 - beta1^t). (v's correction is right.)",
     "m's correction uses t - 1", {"m_counter": -1}),
    ("v's correction at t - 1", "correction", 1,
     "Your v_hat uses beta2^(t - 1), as if steps counted from 0: at t = 1 it divides by 1 - 1 = "
     "0. v_hat = v / (1 - beta2^t). (m's correction is right.)",
     "v's correction uses t - 1", {"v_counter": -1}),
    ("eps subtracted from the weights", "eps", 3,
     "Your step is lr * m_hat / sqrt(v_hat) + eps, so eps is subtracted from every weight and "
     "a weight with a zero gradient gets 0 / 0 = NaN. eps belongs in the denominator, next to "
     "the root: lr * m_hat / (sqrt(v_hat) + eps).",
     "eps is added to the step instead of to sqrt(v_hat)", {"eps_at": "subtracted from w"}),
    ("a guard instead of eps", "eps", 2,
     "You leave eps out and give a step of 0 where v_hat is 0. That avoids 0 / 0, but eps is "
     "part of Adam's step everywhere: it also damps weights whose v_hat is small but not 0 (the "
     "case with tiny gradients and eps = 1e-3 shows it). Divide by sqrt(v_hat) + eps.",
     "eps is replaced by a guard against v_hat = 0", {"eps_at": "guard"}),
    ("eps as a floor under the root", "eps", 2,
     "You divide by sqrt(max(v_hat, eps)): eps as a floor under the root. Adam adds eps to the "
     "root, outside it: m_hat / (sqrt(v_hat) + eps).",
     "the step divides by sqrt(max(v_hat, eps)) instead of sqrt(v_hat) + eps",
     {"eps_at": "floor"}),
    ("eps inside the square root", "eps", 2,
     "You divide by sqrt(v_hat + eps); Adam (the paper and PyTorch) adds eps OUTSIDE the root: "
     "m_hat / (sqrt(v_hat) + eps). The two differ wherever v_hat is about as small as eps, "
     "e.g. for weights with tiny gradients.",
     "eps is inside the square root (it belongs outside: sqrt(v_hat) + eps)",
     {"eps_at": "inside"}),
    ("eps missing", "eps", 2,
     "Your step divides by sqrt(v_hat) without eps. Where a weight's gradients have all been 0, "
     "v_hat = 0 and the step is 0 / 0 = NaN (and tiny v_hat give huge steps). Add eps to the "
     "denominator: m_hat / (sqrt(v_hat) + eps).",
     "eps is missing from the denominator",
     {"eps_at": "missing"}),
    ("eps added to the weights", "eps", 3,
     "You add eps to the new weights (w - lr * m_hat / sqrt(v_hat) + eps) instead of to the "
     "denominator: parentheses are missing. eps sits next to the square root: "
     "lr * m_hat / (sqrt(v_hat) + eps).",
     "eps is added to the weights instead of to sqrt(v_hat) (parentheses missing)",
     {"eps_at": "added to w"}),
    ("eps added before the bias correction", "eps", 2,
     "You add eps to sqrt(v) before the bias correction (lr * sqrt(1 - beta2^t) / (1 - "
     "beta1^t) * m / (sqrt(v) + eps), the paper's 'more efficient' order). That is Adam too, "
     "but with a different eps: this exercise follows PyTorch, which adds eps after the "
     "correction, m_hat / (sqrt(v_hat) + eps). The two differ where v is about as small as eps.",
     "eps is added to sqrt(v) before the bias correction instead of to sqrt(v_hat)",
     {"eps_at": "before the correction"}),
    ("eps fixed at Keras's 1e-7", "eps", 1,
     "Your step uses eps = 1e-7, the default of Keras (and TensorFlow), whatever eps is passed. "
     "This exercise follows PyTorch, whose default is 1e-8, and a case passes eps = 1e-3: use "
     "the argument eps.",
     "eps is fixed at Keras's 1e-7 instead of the argument eps", {"eps_value": 1e-7}),
    ("(1 - beta1) missing", "m", 2,
     "Your first moment is m = beta1 * m + g: without (1 - beta1) it is a sum, not an "
     "average of the gradients. Use m = beta1 * m + (1 - beta1) * g.",
     "m lacks its factor (1 - beta1)",
     {"m_average": "no 1 - beta"}),
    ("beta1 and 1 - beta1 exchanged in m", "m", 2,
     "Your first moment is m = (1 - beta1) * m + beta1 * g: the two weights are exchanged. "
     "beta1 (0.9 by default) weights the OLD average, so that m changes slowly: "
     "m = beta1 * m + (1 - beta1) * g.",
     "m weights the old value with 1 - beta1 and g with beta1 (exchanged)",
     {"m_average": "reversed"}),
    ("m averages g squared", "m", 2,
     "Your first moment averages g * g: m is the average of the gradients themselves (their "
     "direction, with their sign): m = beta1 * m + (1 - beta1) * g. Only v squares them.",
     "m averages g * g instead of g", {"m_of": "g * g"}),
    ("m averages |g|", "m", 2,
     "Your first moment averages |g|, so it has lost the gradients' sign: m = beta1 * m + "
     "(1 - beta1) * g.",
     "m averages |g| instead of g", {"m_of": "|g|"}),
    ("m averaged over all weights", "m", 1,
     "Your first moment adds the mean of g over all the weights: one number for the whole "
     "array. Adam keeps one m per weight: m = beta1 * m + (1 - beta1) * g, element by element.",
     "m adds the mean of g over all weights instead of each weight's own g", {"m_of": "mean"}),
    ("(1 - beta2) missing", "v", 2,
     "Your second moment is v = beta2 * v + g^2: without (1 - beta2) it is a sum, not an "
     "average of the squared gradients. Use v = beta2 * v + (1 - beta2) * g * g.",
     "v lacks its factor (1 - beta2)",
     {"v_average": "no 1 - beta"}),
    ("beta2 and 1 - beta2 exchanged in v", "v", 2,
     "Your second moment is v = (1 - beta2) * v + beta2 * g^2: the two weights are exchanged. "
     "beta2 (0.999 by default) weights the OLD average: v = beta2 * v + (1 - beta2) * g * g.",
     "v weights the old value with 1 - beta2 and g^2 with beta2 (exchanged)",
     {"v_average": "reversed"}),
    ("gradient not squared in v", "v", 2,
     "Your second moment averages g, not g * g. v estimates the mean SQUARED gradient: "
     "v = beta2 * v + (1 - beta2) * g * g.",
     "v averages g instead of g * g",
     {"v_of": "g"}),
    ("|g| instead of g squared in v", "v", 2,
     "Your second moment averages |g|, not g * g. v estimates the mean SQUARED gradient, so "
     "that its square root has the size of a gradient: v = beta2 * v + (1 - beta2) * g * g.",
     "v averages |g| instead of g * g",
     {"v_of": "|g|"}),
    ("v averaged over all weights", "v", 1,
     "Your second moment adds the mean of g * g over all the weights: one number for the whole "
     "array. Adam keeps one v per weight, element by element (v = beta2 * v + (1 - beta2) * "
     "g * g), so that each weight gets its own step size.",
     "v adds the mean of g * g over all weights instead of each weight's own g * g",
     {"v_of": "mean"}),
    ("no square root", "step", 2,
     "You divide by v_hat + eps; Adam divides by the square root of the second moment, "
     "sqrt(v_hat) + eps, which has the size of a gradient.",
     "the step divides by v_hat instead of sqrt(v_hat)",
     {"root": False}),
    ("step with g instead of m_hat", "step", 1,
     "Your step divides the gradient g by sqrt(v_hat) + eps: that is RMSProp's step, and the "
     "first moment m (Adam's momentum) is computed but never used. Step with the corrected "
     "first moment: lr * m_hat / (sqrt(v_hat) + eps).",
     "the step uses g instead of m_hat",
     {"numerator": "g"}),
    ("lr missing from the step", "step", 2,
     "Your step is m_hat / (sqrt(v_hat) + eps) without the learning rate: every weight moves "
     "by about 1 whatever lr is. Multiply the step by lr: w = w - lr * m_hat / (sqrt(v_hat) + "
     "eps).",
     "the step is not multiplied by lr",
     {"with_lr": False}),
    ("step with the old m", "order", 1,
     "Your step uses m as it was before this update: the new weights are computed before m "
     "takes in the current gradient. Update m and v first, then correct them and step with "
     "the new values.",
     "the step uses m from before its update",
     {"old": ("m",)}),
    ("step with the old v", "order", 1,
     "Your step uses v as it was before this update: the new weights are computed before v "
     "takes in the current gradient (and at the first step v is still 0). Update m and v "
     "first, then correct them and step with the new values.",
     "the step uses v from before its update",
     {"old": ("v",)}),
    ("step with the old m and v", "order", 1,
     "Your step uses m and v as they were before this update: the new weights are computed "
     "before the averages take in the current gradient (at the first step both are still 0). "
     "Update m and v first, then correct them and step with the new values.",
     "the step uses m and v from before their update",
     {"old": ("m", "v")}),
    ("m_hat stored as m", "state", 1,
     "Your weights are right, but you return the bias-corrected m_hat and v_hat as the new "
     "state. The state must stay the raw moving averages m and v; the correction is "
     "recomputed from them at every step (otherwise the next step corrects twice).",
     "the bias-corrected m_hat and v_hat are returned as the state instead of m and v",
     {"store": ("m_hat", "v_hat")}),
    ("m_hat returned as m", "state", 1,
     "Your weights and v are right, but you return the bias-corrected m_hat as the new m. The "
     "state must stay the raw moving average m; the correction is recomputed from it at every "
     "step.",
     "the bias-corrected m_hat is returned as the state instead of m",
     {"store": ("m_hat",)}),
    ("v_hat returned as v", "state", 1,
     "Your weights and m are right, but you return the bias-corrected v_hat as the new v. The "
     "state must stay the raw moving average v; the correction is recomputed from it at every "
     "step.",
     "the bias-corrected v_hat is returned as the state instead of v",
     {"store": ("v_hat",)}),
    ("parentheses missing in m's correction", "correction", 3,
     "Your m_hat is m / 1 - beta1^t: without parentheses Python divides first and subtracts "
     "after, so m_hat = m - beta1^t. The whole 1 - beta1^t is the divisor: m_hat = m / (1 - "
     "beta1 ** t).",
     "m's correction lacks its parentheses (m / 1 - beta1^t)",
     {"m_correction": "no parentheses"}),
    ("parentheses missing in v's correction", "correction", 3,
     "Your v_hat is v / 1 - beta2^t: without parentheses Python divides first and subtracts "
     "after, so v_hat = v - beta2^t, negative early on (hence NaN from the square root). The "
     "whole 1 - beta2^t is the divisor: v_hat = v / (1 - beta2 ** t).",
     "v's correction lacks its parentheses (v / 1 - beta2^t)",
     {"v_correction": "no parentheses"}),
    ("v's correction not under the root", "correction", 2,
     "You divide sqrt(v) by 1 - beta2^t. The correction belongs to v, under the root: "
     "sqrt(v_hat) = sqrt(v / (1 - beta2^t)) = sqrt(v) / sqrt(1 - beta2^t) (PyTorch's form "
     "divides by the square root of the correction).",
     "sqrt(v) is divided by 1 - beta2^t instead of its square root",
     {"v_correction": "squared"}),
    ("v divided by the root of its correction", "correction", 2,
     "You divide v by sqrt(1 - beta2^t) and then take the square root of that: the correction "
     "is rooted twice. v_hat = v / (1 - beta2^t), and the step divides by sqrt(v_hat) (PyTorch's "
     "form, sqrt(v) / sqrt(1 - beta2^t), is the same thing).",
     "v is divided by sqrt(1 - beta2^t) before the root", {"v_correction": "rooted"}),
    ("beta2 in m's average", "betas", 2,
     "Your first moment uses beta2: m = beta2 * m + (1 - beta2) * g. Each average has its own "
     "rate: m = beta1 * m + (1 - beta1) * g (beta1 = 0.9 forgets within about 10 steps), "
     "v = beta2 * v + (1 - beta2) * g * g (beta2 = 0.999, about 1000 steps).",
     "m's average uses beta2 instead of beta1", {"betas": "beta2 in m"}),
    ("beta1 in v's average", "betas", 2,
     "Your second moment uses beta1: v = beta1 * v + (1 - beta1) * g * g. Each average has its "
     "own rate: v = beta2 * v + (1 - beta2) * g * g, and m uses beta1.",
     "v's average uses beta1 instead of beta2", {"betas": "beta1 in v"}),
    ("the averages with each other's beta", "betas", 2,
     "Your m averages with beta2 and your v with beta1: the two rates are exchanged. m = beta1 * "
     "m + (1 - beta1) * g (beta1 = 0.9, a short memory) and v = beta2 * v + (1 - beta2) * g * g "
     "(beta2 = 0.999, a long one).",
     "m averages with beta2 and v with beta1", {"betas": "averages exchanged"}),
    ("(1 - beta2) in m's average", "betas", 2,
     "Your first moment is beta1 * m + (1 - beta2) * g: the factor of g belongs to beta1, so "
     "that the weights add up to 1: m = beta1 * m + (1 - beta1) * g.",
     "m's average uses (1 - beta2) instead of (1 - beta1)", {"m_average": "1 - beta2"}),
    ("(1 - beta1) in v's average", "betas", 2,
     "Your second moment is beta2 * v + (1 - beta1) * g * g: the factor of g * g belongs to "
     "beta2, so that the weights add up to 1: v = beta2 * v + (1 - beta2) * g * g.",
     "v's average uses (1 - beta1) instead of (1 - beta2)", {"v_average": "1 - beta1"}),
    ("beta2 in m's correction", "betas", 2,
     "Your m_hat divides by 1 - beta2^t. Each moment is corrected with its own beta: m_hat = m "
     "/ (1 - beta1^t), v_hat = v / (1 - beta2^t).",
     "m_hat divides by 1 - beta2^t instead of 1 - beta1^t",
     {"betas": "beta2 in m's correction"}),
    ("beta1 in v's correction", "betas", 2,
     "Your v_hat divides by 1 - beta1^t. Each moment is corrected with its own beta: v_hat = v "
     "/ (1 - beta2^t), m_hat = m / (1 - beta1^t).",
     "v_hat divides by 1 - beta1^t instead of 1 - beta2^t",
     {"betas": "beta1 in v's correction"}),
    ("corrections exchanged", "betas", 2,
     "Your corrections are exchanged: m is divided by 1 - beta2^t and v by 1 - beta1^t. Each "
     "moment is corrected with its own beta: m_hat = m / (1 - beta1^t), v_hat = v / (1 - "
     "beta2^t).",
     "m and v are corrected with each other's beta",
     {"betas": "corrections exchanged"}),
    ("moments restarted from zero", "state", 1,
     "Your m and v start from 0 inside the function, whatever m and v are passed: every call "
     "is a first step, and the averages never remember earlier gradients. Update the m and v "
     "you are given: m = beta1 * m + (1 - beta1) * g.",
     "the moments restart from zero at every call (the m and v passed in are ignored)",
     {"fresh": True}),
    ("v as the variance", "v", 1,
     "Your second moment averages (g - m)^2, a variance. Adam's v is the uncentered second "
     "moment, the average of g * g (some tutorials call it the variance; the lesson says why "
     "it is not): v = beta2 * v + (1 - beta2) * g * g.",
     "v averages (g - m)^2 instead of g * g", {"v_of": "(g - m)^2"}),
    ("v as the variance around the old m", "v", 1,
     "Your second moment averages (g - m)^2 with the m of the previous step, a variance. "
     "Adam's v is the uncentered second moment, the average of g * g: v = beta2 * v + (1 - "
     "beta2) * g * g.",
     "v averages (g - old m)^2 instead of g * g", {"v_of": "(g - old m)^2"}),
    ("m squared in v", "v", 2,
     "Your second moment averages m * m, the square of the first moment. v averages the "
     "squared GRADIENTS, g * g: v = beta2 * v + (1 - beta2) * g * g; m * m would be small "
     "whenever the gradient's sign flips.",
     "v averages m * m instead of g * g",
     {"v_of": "m * m"}),
    ("** 1/2 instead of a square root", "step", 3,
     "You wrote v_hat ** 1/2: Python computes v_hat ** 1 first, then divides by 2, so you "
     "divide by v_hat / 2 + eps. Write np.sqrt(v_hat) (or v_hat ** 0.5).",
     "v_hat ** 1/2 is v_hat / 2, not a square root",
     {"root": "** 1/2"}),
    ("one denominator for all weights (sum)", "step", 1,
     "You divide every weight's step by the square root of the SUM of v_hat over all the "
     "weights: one number for the whole array. Adam divides each weight by its own sqrt(v_hat), "
     "element by element, so that each weight gets its own step size.",
     "the step divides by sqrt(sum of v_hat) instead of each weight's sqrt(v_hat)",
     {"root": "sum"}),
    ("one denominator for all weights (mean)", "step", 1,
     "You divide every weight's step by the square root of the MEAN of v_hat over all the "
     "weights: one number for the whole array. Adam divides each weight by its own sqrt(v_hat), "
     "element by element, so that each weight gets its own step size.",
     "the step divides by sqrt(mean of v_hat) instead of each weight's sqrt(v_hat)",
     {"root": "mean"}),
    ("lr divided by sqrt(t)", "step", 2,
     "Your step size is lr / sqrt(t): the decaying rate of the Adam paper's convergence proof. "
     "The update rule itself (and PyTorch) uses lr as it is; a decaying rate is a schedule's "
     "job (lesson 07): w = w - lr * m_hat / (sqrt(v_hat) + eps).",
     "the step size is lr / sqrt(t) instead of lr", {"with_lr": "lr / sqrt(t)"}),
]


def _switches(*rows):
    merged = {}
    for row in rows:
        merged.update(row[5])
    return merged


def _wrong_adam(switches):
    switches = dict(switches)
    store = switches.pop("store", ())

    def wrong(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w_new, m_new, v_new, m_hat, v_hat = _adam_parts(w, g, m, v, t, lr, beta1, beta2, eps,
                                                        **switches)
        return (w_new, m_hat if "m_hat" in store else m_new, v_hat if "v_hat" in store else v_new)
    return wrong


# Mistakes rare enough that they are declared alone, not paired with another (pairs of every
# two would be thousands, and slow to import).
_ALONE = {
    "bias correction multiplied", "(1 - beta)^t in the correction", "beta2 in m's average",
    "beta1 in v's average", "beta2 in m's correction", "beta1 in v's correction",
    "corrections exchanged", "moments restarted from zero", "m squared in v", "v as the variance",
    "v as the variance around the old m", "one denominator for all weights (sum)",
    "one denominator for all weights (mean)", "lr divided by sqrt(t)", "m averages g squared",
    "m averages |g|", "m averaged over all weights", "** 1/2 instead of a square root",
    "v's correction not under the root", "m's correction multiplied",
    "v's correction multiplied", "(1 - beta1)^t in m's correction",
    "(1 - beta2)^t in v's correction", "m's correction at t + 1", "v's correction at t + 1",
    "m's correction at t - 1", "v's correction at t - 1", "eps subtracted from the weights",
    "|g| instead of g squared in v", "v averaged over all weights",
    "parentheses missing in m's correction", "parentheses missing in v's correction",
    "v divided by the root of its correction", "a guard instead of eps",
    "eps as a floor under the root", "the averages with each other's beta",
    "(1 - beta2) in m's average", "(1 - beta1) in v's average", "eps fixed at Keras's 1e-7",
}

# Keras's and TensorFlow's Adam: the paper's "efficient" order with their eps = 1e-7. A
# student who follows their source makes both changes at once.
_KERAS_ADAM = ("eps added before the bias correction", "eps fixed at Keras's 1e-7")


def _keras_pair(make_wrong):
    rows = {row[0]: row for row in _ADAM_TABLE}
    a, b = (rows[name] for name in _KERAS_ADAM)
    return Mistake(f"{a[0]} + {b[0]}",
                   "Your step is Keras's (and TensorFlow's) Adam: eps = 1e-7 added to sqrt(v) "
                   "before the bias correction, lr * sqrt(1 - beta2^t) / (1 - beta1^t) * m / "
                   "(sqrt(v) + eps). This exercise follows PyTorch: eps is the argument (1e-8 "
                   "by default), added after the correction, m_hat / (sqrt(v_hat) + eps).",
                   make_wrong(_switches(a, b)), hint=2)


def _step_returned(right):
    """``right`` returning the change it makes (w - new w) in place of the new weights."""
    def wrong(w, *args, **kwargs):
        new_w, m, v = right(w, *args, **kwargs)
        return w - new_w, m, v
    return wrong


_STEP_RETURNED = ("the step returned instead of the new weights",
                  "Your first output is the step, not the weights after it: your m and v are "
                  "right, and your w is exactly what the weights should move by. Return the new "
                  "weights, w minus the step.")


def _adam_mistakes():
    singles = [Mistake(row[0], row[3], _wrong_adam(row[5]), hint=row[2]) for row in _ADAM_TABLE]
    pairs = two_at_once([row for row in _ADAM_TABLE if row[0] not in _ALONE],
                   lambda **switches: _wrong_adam(switches), short=4, switches=5)
    pairs.append(_keras_pair(_wrong_adam))
    singles.append(Mistake(*_STEP_RETURNED, _step_returned(_wrong_adam({})), hint=3))
    return distinct(singles, pairs, _cases(), _adam, screen=2)


ADAM = Check(
    name="check_adam_update",
    function="adam_update",
    reference=_adam,
    cases=_cases,
    mistakes=_adam_mistakes(),
    output_names=("w", "m", "v"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``adam_update(w, g, m, v, t, lr, beta1, beta2, eps) -> (w, m, v)``: "
        "``m = beta1 m + (1 - beta1) g``; ``v = beta2 v + (1 - beta2) g^2``; "
        "``m_hat = m / (1 - beta1^t)``; ``v_hat = v / (1 - beta2^t)``; "
        "``w = w - lr m_hat / (sqrt(v_hat) + eps)``; ``t`` counts from 1",
)


# --------------------------------------------------------------------------- wrong AdamW


_RATES = ("no lr", "bias-corrected lr", "2 lr", "lr squared")
_FORMS = ("wrong sign", "constant", "sign", "parentheses", "w squared", "divided")


def _wrong_adamw(decay="before", switches=None):
    """A wrong AdamW: ``decay`` (one mode, or a tuple of modes: at most one rate, one form and
    one place) says how the weight decay is (mis)applied, ``switches`` the mistakes in its
    Adam part."""
    switches = dict(switches or {})
    store = switches.pop("store", ())
    modes = set((decay,) if isinstance(decay, str) else decay)
    rate_mode = next((x for x in modes if x in _RATES), None)
    form = next((x for x in modes if x in _FORMS), None)

    def wrong(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        lam = weight_decay
        rate = {None: lr, "no lr": 1.0, "bias-corrected lr": lr / (1 - beta1 ** t),
                "2 lr": 2 * lr, "lr squared": lr * lr}[rate_mode]

        def shrink(x):
            return {None: lambda: x * (1 - rate * lam), "wrong sign": lambda: x * (1 + rate * lam),
                    "constant": lambda: x - rate * lam,
                    "sign": lambda: x - rate * lam * np.sign(x),
                    "parentheses": lambda: x * (1 - rate) * lam,
                    "w squared": lambda: x - rate * lam * x * x,
                    "divided": lambda: x / (1 + rate * lam)}[form]()

        coupled = modes & {"l2", "twice", "l2 times lr"}
        factor = lr if "l2 times lr" in modes else (2 if rate_mode == "2 lr" else 1)
        grad = g + factor * lam * w if coupled else g
        decayed_first = not modes & {"l2", "l2 times lr", "after", "in denominator", "none",
                                     "in m only"}
        start = shrink(w) if decayed_first else w
        extra = {"m_gradient": g + lam * w} if "in m only" in modes else {}
        w_new, m_new, v_new, m_hat, v_hat = _adam_parts(start, grad, m, v, t, lr, beta1, beta2,
                                                        eps, **switches, **extra)
        if "after" in modes:
            w_new = shrink(w_new)
        elif "in denominator" in modes:
            w_new = w_new - rate * lam * w / (np.sqrt(v_hat) + eps)
        return (w_new, m_hat if "m_hat" in store else m_new, v_hat if "v_hat" in store else v_new)
    return wrong


# name, hint level, explanation, short form, decay mode
_DECAY_TABLE = [
    ("weight decay added to the gradient", 1,
     "You added weight_decay * w to the gradient: that is Adam with an L2 penalty, not "
     "AdamW. Inside Adam the penalty's gradient is divided by sqrt(v_hat), so weights "
     "with large gradients are hardly decayed. AdamW decouples the decay: shrink the "
     "weights, w = w * (1 - lr * weight_decay), and give Adam the plain gradient g.",
     "the decay is added to the gradient (Adam + L2) instead of shrinking the weights", "l2"),
    ("decay not multiplied by lr", 2,
     "Your weights shrink by (1 - weight_decay) per step; AdamW (as PyTorch) multiplies "
     "the decay by the learning rate: w = w * (1 - lr * weight_decay).",
     "the decay is not multiplied by lr", "no lr"),
    ("decay applied after the Adam step", 2,
     "You shrink the weights AFTER the Adam step, so the decay also scales the step. "
     "AdamW (the paper and PyTorch) decays the weights as they were before this step: "
     "w = w * (1 - lr * weight_decay), then w = w - lr * m_hat / (sqrt(v_hat) + eps).",
     "the weights are shrunk after the Adam step instead of before", "after"),
    ("decay divided by the adaptive denominator", 1,
     "Your decay term is lr * weight_decay * w / (sqrt(v_hat) + eps): dividing it by the "
     "gradient's size is exactly what AdamW avoids. The decay is lr * weight_decay * w, "
     "the same rate for every weight.",
     "the decay is divided by sqrt(v_hat) + eps", "in denominator"),
    ("decay multiplied by the bias-corrected lr", 2,
     "Your decay uses lr / (1 - beta1^t), the step size of the bias-corrected first "
     "moment. The decay has nothing to do with m: it is w * (1 - lr * weight_decay).",
     "the decay uses the bias-corrected lr / (1 - beta1^t)", "bias-corrected lr"),
    ("decay with the wrong sign", 2,
     "Your weights grow: w * (1 + lr * weight_decay). Decay shrinks them: "
     "w = w * (1 - lr * weight_decay).",
     "the decay makes the weights grow (1 + lr * weight_decay)", "wrong sign"),
    ("no weight decay", 1,
     "Your function ignores weight_decay: this is plain Adam. AdamW first shrinks the "
     "weights, w = w * (1 - lr * weight_decay), then takes the Adam step.",
     "weight_decay is ignored", "none"),
    ("decay by a constant", 2,
     "You subtract lr * weight_decay from every weight, the same amount whatever its size. "
     "Weight decay shrinks each weight in proportion to itself: w = w * (1 - lr * "
     "weight_decay), that is w - lr * weight_decay * w.",
     "the decay subtracts lr * weight_decay instead of lr * weight_decay * w", "constant"),
    ("decay added to m only", 1,
     "You added weight_decay * w to the gradient that goes into m (but not into v): an L2 "
     "penalty mixed into Adam's first moment. AdamW keeps the decay out of m and v: shrink the "
     "weights, w = w * (1 - lr * weight_decay), and give Adam the plain gradient g.",
     "the decay is added to the gradient that goes into m", "in m only"),
    ("decay applied twice", 1,
     "You both add weight_decay * w to the gradient (Adam's L2 penalty) and shrink the "
     "weights (AdamW's decay), so the weights are decayed twice. AdamW only shrinks the "
     "weights, w = w * (1 - lr * weight_decay), and gives Adam the plain gradient g.",
     "the decay is applied twice (added to the gradient and as a shrink)", "twice"),
    ("decay doubled", 2,
     "Your weights shrink by 2 * lr * weight_decay per step, twice too much: the gradient of "
     "a penalty lam * ||w||^2 is 2 lam w, but weight_decay is defined (in PyTorch and in the "
     "lesson) as the factor of the shrink itself: w = w * (1 - lr * weight_decay).",
     "the decay is doubled (2 * lr * weight_decay)", "2 lr"),
    ("decay's parentheses misplaced", 3,
     "Your weights become w * (1 - lr) * weight_decay: the parenthesis closes too early, so "
     "the weights are multiplied by weight_decay itself. The factor is (1 - lr * weight_decay): "
     "w = w * (1 - lr * weight_decay).",
     "the decay is w * (1 - lr) * weight_decay (parenthesis misplaced)", "parentheses"),
    ("decay multiplied by lr twice", 2,
     "Your weights shrink by lr * lr * weight_decay per step: lr is applied twice. AdamW "
     "multiplies the decay by lr once: w = w * (1 - lr * weight_decay).",
     "the decay is multiplied by lr twice", "lr squared"),
    ("decay as a division", 3,
     "You divide the weights by 1 + lr * weight_decay. That is close to AdamW's factor for small "
     "decays, but not the same step: AdamW multiplies, w = w * (1 - lr * weight_decay).",
     "the weights are divided by 1 + lr * weight_decay instead of multiplied by 1 - lr * "
     "weight_decay", "divided"),
    ("lr * weight_decay * w added to the gradient", 1,
     "You added lr * weight_decay * w to the gradient: an L2 penalty (with lr in it too), not "
     "AdamW. Whatever goes into the gradient is divided by sqrt(v_hat) inside Adam. AdamW "
     "decays the weights outside Adam: w = w * (1 - lr * weight_decay), then the Adam step with "
     "the plain gradient g.",
     "lr * weight_decay * w is added to the gradient instead of shrinking the weights",
     "l2 times lr"),
    ("decay by w squared", 2,
     "You subtract lr * weight_decay * w^2: the size of the penalty, where its effect on each "
     "weight is meant. Weight decay shrinks each weight in proportion to itself: w = w * (1 - lr "
     "* weight_decay).",
     "the decay subtracts lr * weight_decay * w^2 instead of lr * weight_decay * w", "w squared"),
    ("decay by the sign of w (L1)", 2,
     "You subtract lr * weight_decay * sign(w): that is the gradient of an L1 penalty, which "
     "moves every weight by the same amount. Weight decay shrinks each weight in proportion to "
     "itself: w = w * (1 - lr * weight_decay).",
     "the decay subtracts lr * weight_decay * sign(w) (L1) instead of lr * weight_decay * w",
     "sign"),
]


def _decay_pairs():
    """Two decay mistakes at once: a wrong rate or form, and a wrong place or form."""
    rows = {row[4]: row for row in _DECAY_TABLE}
    combos = [(a, b) for a in _RATES for b in _FORMS + ("after",)]
    combos += [(a, "after") for a in _FORMS] + [("2 lr", "l2")]
    for a, b in combos:
        ra, rb = rows[a], rows[b]
        yield Mistake(f"{ra[0]} + {rb[0]}",
                      f"Two mistakes in the decay at once. First, {ra[3]}. Second, {rb[3]}.",
                      _wrong_adamw((a, b)), hint=min(ra[1], rb[1]))


def _adamw_mistakes():
    decay = [Mistake(name, text, _wrong_adamw(mode), hint=hint)
             for name, hint, text, _, mode in _DECAY_TABLE]
    adam = [Mistake(row[0], row[3], _wrong_adamw("before", row[5]), hint=row[2])
            for row in _ADAM_TABLE]
    mixed = []
    common = [row for row in _ADAM_TABLE if row[0] not in _ALONE]
    for name, hint, _, short, mode in _DECAY_TABLE:
        if mode == "none":
            continue  # "no decay" + an Adam mistake is exercise 1's mistake: named as such below
        for row in common:
            mixed.append(Mistake(f"{name} + {row[0]}",
                                 f"Two mistakes at once. First, {short}. Second, {row[4]}.",
                                 _wrong_adamw(mode, row[5]), hint=min(hint, row[2])))
    no_decay = [Mistake(f"no weight decay + {row[0]}",
                        f"Two mistakes at once. First, weight_decay is ignored. Second, "
                        f"{row[4]}.", _wrong_adamw("none", row[5]), hint=1)
                for row in _ADAM_TABLE]
    keras = [_keras_pair(lambda switches: _wrong_adamw("before", switches))]
    adam.append(Mistake(*_STEP_RETURNED, _step_returned(_wrong_adamw()), hint=3))
    return distinct(decay + adam, list(_decay_pairs()) + mixed + no_decay + keras,
                     _cases(weight_decay=_ADAMW_DECAY), _adamw, screen=2)


ADAMW = Check(
    name="check_adamw_update",
    function="adamw_update",
    reference=_adamw,
    cases=lambda: _cases(weight_decay=_ADAMW_DECAY),
    mistakes=_adamw_mistakes(),
    output_names=("w", "m", "v"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``adamw_update(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay) -> (w, m, v)``: "
        "``w = w (1 - lr weight_decay)`` (decoupled weight decay), then Adam's step with the "
        "plain gradient ``g``, as ``torch.optim.AdamW``",
)

# --------------------------------------------------------------------------- L2 inside Adam


def _drift(w, grad_rms, lr, weight_decay, eps=1e-8):
    """The expected change of ``w`` per step under Adam + L2 once m_hat and v_hat have settled,
    for a loss gradient that is noise of mean 0 and root mean square ``grad_rms``::

        m_hat -> E[g + lam w]     = lam w
        v_hat -> E[(g + lam w)^2] = grad_rms^2 + (lam w)^2
        drift = -lr * m_hat / (sqrt(v_hat) + eps)
    """
    w, grad_rms = np.asarray(w, dtype=np.float64), np.asarray(grad_rms, dtype=np.float64)
    decay = weight_decay * w
    return -lr * decay / (np.sqrt(grad_rms ** 2 + decay ** 2) + eps)


def _drift_cases():
    rng = np.random.default_rng(606)
    return [
        Case("the lesson's three weights at 1, noise 0.01, 1 and 100, lr 0.02, λ 0.5",
             (np.ones(3), np.array([0.01, 1.0, 100.0]), 0.02, 0.5)),
        Case("weights of both signs, noise of size 1 for all (a number), lr 0.001, λ 0.1",
             (np.array([-2.0, -0.5, 0.3, 4.0]), 1.0, 0.001, 0.1)),
        Case("a weight at 0, and a weight whose gradient has no noise at all",
             (np.array([0.0, 0.5]), np.array([0.3, 0.0]), 0.05, 0.2)),
        Case("a large eps = 0.5 next to small gradients", (np.array([0.2, -0.1]),
             np.array([0.1, 0.05]), 0.1, 1.0), {"eps": 0.5}),
        Case("one weight (numbers, not arrays), λ 2", (0.7, 0.2, 0.01, 2.0)),
        Case("a 2 x 3 matrix of weights, each with its own noise size, lr 0.003, λ 0.01",
             (rng.normal(size=(2, 3)), rng.uniform(1e-3, 3e-2, size=(2, 3)), 0.003, 0.01)),
    ]


def _wrong_drift(numerator="lam w", root=True, v_of=("g^2", "(lam w)^2"), eps_at="outside",
                 sign=-1, with_lr=True, returns="change", divided=True, penalty=1.0):
    """A wrong drift: which pieces the numerator and v_hat hold, and where eps sits
    (``penalty``: the penalty's gradient taken as ``penalty * lam w``)."""
    def wrong(w, grad_rms, lr, weight_decay, eps=1e-8):
        w, g = np.asarray(w, dtype=np.float64), np.asarray(grad_rms, dtype=np.float64)
        decay = penalty * weight_decay * w
        if numerator == "penalty":  # the penalty (lam / 2) w^2 in place of its gradient
            decay = penalty * weight_decay * w * w / 2
        if numerator == "lam w^2":  # lam w ** 2: a square where a product is meant
            decay = penalty * weight_decay * w * w
        top = {"lam w": decay, "lam": weight_decay + 0 * w, "g + lam w": g + decay,
               "lam |w|": np.abs(decay), "g": g + 0 * w, "penalty": decay,
               "lam w^2": decay}[numerator]
        parts = {"g^2": g ** 2, "(lam w)^2": decay ** 2, "g": g, "lam w^2": weight_decay * w * w,
                 "|g|": np.abs(g), "|lam w|": np.abs(decay), "(g + lam w)^2": (g + decay) ** 2,
                 "lam^2 w": weight_decay ** 2 * w}
        v = sum(parts[p] for p in v_of) + (eps if eps_at == "inside" else 0.0)
        if root == "** 1/2":  # v_hat ** 1/2 is (v_hat ** 1) / 2
            bottom = v / 2 + (eps if eps_at == "outside" else 0.0)
        elif root == "decay outside":  # sqrt(grad_rms^2) + lam w
            bottom = np.sqrt(v) + decay + (eps if eps_at == "outside" else 0.0)
        else:
            bottom = (np.sqrt(v) if root else v) + (eps if eps_at == "outside" else 0.0)
        if not divided:  # AdamW's decay: nothing divides it
            bottom = 1.0 + 0 * bottom
        change = sign * (lr if with_lr else 1.0) * top / bottom
        if eps_at == "added":  # -lr * m_hat / sqrt(v_hat) + eps: eps outside the fraction
            change = change + eps
        return w + change if returns == "new w" else change
    return wrong


# name, part of the formula, hint level, explanation, short form (for two at once), switches
_DRIFT_TABLE = [
    ("λw left out of v_hat", "v", 1,
     "Your v_hat holds only the noise, grad_rms^2. But Adam squares what it is given, g + λw, "
     "and the mean of (g + λw)^2 is grad_rms^2 + (λw)^2: the decay term adds to the second "
     "moment too. That is why a weight whose gradients are tiny still moves at most about lr "
     "per step.",
     "v_hat holds only grad_rms^2, without (λw)^2", {"v_of": ("g^2",)}),
    ("no square root", "root", 2,
     "You divide by v_hat + eps; Adam divides by the square root of the second moment, "
     "sqrt(v_hat) + eps, which has the size of a gradient.",
     "the step divides by v_hat instead of sqrt(v_hat)", {"root": False}),
    ("sizes added instead of squares", "root", 2,
     "Your v_hat adds the sizes, grad_rms + |λw|, and you take no root of it. v_hat averages "
     "the SQUARE of g + λw: grad_rms^2 + (λw)^2 (the cross term 2 g λw averages to 0); the step "
     "divides by its square root.",
     "the sizes grad_rms + |λw| are added instead of the squares under a root",
     {"v_of": ("|g|", "|lam w|"), "root": False}),
    ("AdamW's decay", "root", 1,
     "Your drift is -lr * weight_decay * w, whatever grad_rms: that is AdamW's decoupled decay. "
     "Here the penalty's gradient λw goes through Adam, so it is divided by the square root of "
     "v_hat like every gradient.",
     "the drift is AdamW's -lr λw, not divided by sqrt(v_hat)", {"divided": False}),
    ("lr missing", "lr", 2,
     "Your drift is not multiplied by the learning rate: every Adam step is lr times m_hat / "
     "(sqrt(v_hat) + eps).",
     "the drift is not multiplied by lr", {"with_lr": False}),
    ("wrong sign", "sign", 2,
     "Your drift has the wrong sign: the weights move AGAINST the gradient, so a positive "
     "weight (whose penalty gradient λw is positive) goes down: the change is -lr * m_hat / "
     "(sqrt(v_hat) + eps).",
     "the drift has the wrong sign", {"sign": 1}),
    ("eps inside the square root", "eps", 2,
     "You add eps inside the square root, sqrt(v_hat + eps). Adam (as PyTorch) adds it outside: "
     "sqrt(v_hat) + eps.",
     "eps is inside the square root", {"eps_at": "inside"}),
    ("eps left out", "eps", 3,
     "Your drift leaves out eps. Adam divides by sqrt(v_hat) + eps; the case with eps = 0.5 "
     "shows the difference.",
     "eps is left out", {"eps_at": "none"}),
    ("eps added to the drift", "eps", 3,
     "You add eps to the drift itself, -lr * m_hat / sqrt(v_hat) + eps: the parentheses are "
     "missing. eps belongs in the denominator, next to the root: -lr * m_hat / (sqrt(v_hat) + "
     "eps).",
     "eps is added to the drift instead of to sqrt(v_hat)", {"eps_at": "added"}),
    ("w missing from m_hat", "m", 1,
     "Your m_hat is weight_decay alone: the penalty's gradient is λ times the weight, λw, so the "
     "drift is proportional to w (and is 0 for a weight at 0).",
     "m_hat is λ instead of λw", {"numerator": "lam"}),
    ("the noise kept in m_hat", "m", 1,
     "Your m_hat holds grad_rms + λw. The noise has mean 0, so its average in m_hat is 0: m_hat "
     "settles at λw alone. (Only its square survives in v_hat.)",
     "m_hat holds grad_rms + λw instead of λw", {"numerator": "g + lam w"}),
    ("the noise instead of λw in m_hat", "m", 1,
     "Your m_hat is grad_rms, the size of the noise. The noise has mean 0, so m_hat (an average "
     "of g + λw) settles at the penalty's gradient λw: that is what moves the weight.",
     "m_hat is grad_rms instead of λw", {"numerator": "g"}),
    ("|w| in m_hat", "m", 2,
     "Your drift is negative for every weight, also for a negative one: you used |λw|. The "
     "penalty's gradient λw has the sign of w, so a negative weight moves up, towards 0.",
     "m_hat uses |λw| instead of λw", {"numerator": "lam |w|"}),
    ("λ not squared in v_hat", "v", 3,
     "Your v_hat adds λ w^2; the square of the decay term λw is (λw)^2 = λ^2 w^2.",
     "v_hat adds λ w^2 instead of (λw)^2", {"v_of": ("g^2", "lam w^2")}),
    ("λw not squared in v_hat", "v", 3,
     "Your v_hat adds |λw| itself; it averages the SQUARE of g + λw, so the decay term enters "
     "as (λw)^2.",
     "v_hat adds |λw| instead of (λw)^2", {"v_of": ("g^2", "|lam w|")}),
    ("the cross term kept in v_hat", "v", 1,
     "Your v_hat is (grad_rms + λw)^2. Adam averages (g + λw)^2 = g^2 + 2 g λw + (λw)^2 over "
     "the noise; the middle term has mean 0 because g does, so v_hat settles at grad_rms^2 + "
     "(λw)^2.",
     "v_hat is (grad_rms + λw)^2 instead of grad_rms^2 + (λw)^2",
     {"v_of": ("(g + lam w)^2",)}),
    ("grad_rms not squared in v_hat", "v", 3,
     "Your v_hat adds grad_rms itself; the mean of the squared noise is grad_rms^2 (that is what "
     "a root mean square is).",
     "v_hat adds grad_rms instead of grad_rms^2", {"v_of": ("g", "(lam w)^2")}),
    ("the noise left out of v_hat", "v", 1,
     "Your v_hat holds only (λw)^2, so every weight moves by lr per step whatever its noise. "
     "Adam squares what it is given, g + λw, and the mean of (g + λw)^2 keeps the noise's "
     "part: grad_rms^2 + (λw)^2. That is what slows the decay of weights with large gradients.",
     "v_hat holds only (λw)^2, without grad_rms^2", {"v_of": ("(lam w)^2",)}),
    ("w not squared in v_hat", "v", 3,
     "Your v_hat adds λ^2 w; the square of the decay term λw is (λw)^2 = λ^2 w^2 (and a "
     "negative w would make v_hat negative).",
     "v_hat adds λ^2 w instead of (λw)^2", {"v_of": ("g^2", "lam^2 w")}),
    ("** 1/2 instead of a square root", "root", 3,
     "You wrote v_hat ** 1/2: Python computes v_hat ** 1 first, then divides by 2, so you "
     "divide by v_hat / 2. Write np.sqrt(v_hat) (or v_hat ** 0.5).",
     "v_hat ** 1/2 is v_hat / 2, not a square root", {"root": "** 1/2"}),
    ("λw added outside the root", "root", 2,
     "You divide by sqrt(grad_rms^2) + λw: the decay term is added outside the square root (and "
     "with its sign). v_hat holds both squares, and the step divides by its root: "
     "sqrt(grad_rms^2 + (λw)^2) + eps.",
     "λw is added outside the root instead of (λw)^2 inside it",
     {"v_of": ("g^2",), "root": "decay outside"}),
    ("the penalty instead of its gradient", "m", 1,
     "Your m_hat is the penalty itself, (λ/2) w^2. Adam is given the penalty's GRADIENT, "
     "d/dw (λ/2) w^2 = λw: m_hat settles at λw, and v_hat at grad_rms^2 + (λw)^2.",
     "m_hat holds the penalty (λ/2) w^2 instead of its gradient λw",
     {"numerator": "penalty"}),
    ("λ w^2 in m_hat", "m", 2,
     "Your m_hat is λ w^2: the weight is squared. The penalty's gradient is λw (the derivative "
     "of (λ/2) w^2), so m_hat settles at λw and v_hat at grad_rms^2 + (λw)^2.",
     "m_hat is λ w^2 instead of λw", {"numerator": "lam w^2"}),
    ("sizes added under the root", "root", 2,
     "Your v_hat adds the sizes, grad_rms + |λw|, under the root. v_hat averages the SQUARE of g "
     "+ λw: grad_rms^2 + (λw)^2, and the step divides by its square root.",
     "v_hat adds the sizes grad_rms + |λw| instead of their squares",
     {"v_of": ("|g|", "|lam w|")}),
    ("the penalty's gradient doubled", "penalty", 2,
     "You took the penalty's gradient as 2λw, in m_hat and in v_hat. The lesson's L2 penalty is "
     "(λ/2)||w||^2, whose gradient is λw: Adam is given g + λw (as torch.optim.Adam's "
     "weight_decay).",
     "the penalty's gradient is 2λw instead of λw", {"penalty": 2.0}),
    ("the penalty's gradient halved", "penalty", 2,
     "You took the penalty's gradient as λw/2, in m_hat and in v_hat. The lesson's L2 penalty is "
     "(λ/2)||w||^2, whose gradient is λw: Adam is given g + λw (as torch.optim.Adam's "
     "weight_decay).",
     "the penalty's gradient is λw/2 instead of λw", {"penalty": 0.5}),
    ("the new weight instead of its change", "output", 1,
     "You return the weight after the step, w + change. The function returns the average "
     "CHANGE of w per step (negative for a positive weight).",
     "the new weight is returned instead of the change", {"returns": "new w"}),
]


def _drift_with(**fixed):
    """The right drift with some arguments fixed at the lesson's values (lr 0.02, λ 0.5)."""
    def wrong(w, grad_rms, lr, weight_decay, eps=1e-8):
        values = {"lr": lr, "weight_decay": weight_decay, **fixed}
        return _drift(w, grad_rms, values["lr"], values["weight_decay"], eps)
    return wrong


def _drift_mistakes():
    """Each mistake of the table, then two from different parts of the formula together, kept
    only if the cases tell the pair from the right answer and from every mistake before it."""
    singles = [Mistake(row[0], row[3], _wrong_drift(**row[5]), hint=row[2])
               for row in _DRIFT_TABLE]
    singles += [
        Mistake("lr fixed at the lesson's 0.02",
                "Your drift uses lr = 0.02, the lesson's value, whatever lr is passed: use the "
                "argument lr.", _drift_with(lr=0.02), hint=1),
        Mistake("λ fixed at the lesson's 0.5",
                "Your drift uses weight_decay = 0.5, the lesson's value, whatever weight_decay is "
                "passed: use the argument weight_decay.", _drift_with(weight_decay=0.5), hint=1),
        Mistake("AdamW's decay added as well",
                "Your drift is Adam + L2's plus AdamW's -lr * λw: the weight is decayed twice. "
                "Under Adam + L2 there is no separate decay; the penalty acts only through the "
                "gradient Adam is given, so the change is -lr * m_hat / (sqrt(v_hat) + eps) "
                "alone.",
                lambda w, grad_rms, lr, weight_decay, eps=1e-8: _drift(
                    w, grad_rms, lr, weight_decay, eps) - lr * weight_decay * np.asarray(w),
                hint=1),
    ]
    return distinct(singles, two_at_once(_DRIFT_TABLE, _wrong_drift, short=4, switches=5),
                    _drift_cases(), _drift)


L2_DRIFT = Check(
    name="check_adam_l2_drift",
    function="adam_l2_drift",
    reference=_drift,
    cases=_drift_cases,
    mistakes=_drift_mistakes(),
    hints=HINTS,
    doc="``adam_l2_drift(w, grad_rms, lr, weight_decay, eps=1e-8)``: the expected change of w "
        "per step under Adam + L2 with settled moments: ``-lr * lam w / (sqrt(grad_rms^2 + "
        "(lam w)^2) + eps)``",
)

CHECKS = (ADAM, ADAMW, L2_DRIFT)

check_adam_update = ADAM.check_function()
check_adamw_update = ADAMW.check_function()
check_adam_l2_drift = L2_DRIFT.check_function()
