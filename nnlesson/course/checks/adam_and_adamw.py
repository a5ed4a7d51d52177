"""Checks for lesson 06, Adam and AdamW.

Each exercise is one update step ``(w, g, m, v, t, ...) -> (w, m, v)`` that returns new arrays.
The reference is the library's rule :func:`nnlesson.optim.adam_update` (checked against
``torch.optim.Adam`` and ``torch.optim.AdamW`` in the test suite), with PyTorch's conventions:
the step counter ``t`` starts at 1, ``eps`` is added outside the square root, the stored
moments ``m`` and ``v`` are the uncorrected ones, and AdamW shrinks the weights by
``(1 - lr * weight_decay)`` before the Adam step.
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Mistake, run_check
from nnlesson.optim import adam_update

__all__ = ["check_adam_update", "check_adamw_update"]


def _state(seed, shape, scale=1.0):
    """Weights, a gradient and plausible moments (v >= 0) of the given shape."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=shape)
    g = scale * rng.normal(size=shape)
    m = 0.3 * scale * rng.normal(size=shape)
    v = (scale * rng.uniform(0.2, 1.5, size=shape)) ** 2
    return w, g, m, v


def _cases(weight_decay=None):
    """Cases for both checks; ``weight_decay`` None gives Adam's, a number AdamW's."""
    w1, g1, _, _ = _state(600, 5)
    g1[1] = 0.0  # a zero gradient at the first step: m_hat = v_hat = 0, the step must be 0
    w2, g2, m2, v2 = _state(601, 4)
    w3, g3, m3, v3 = _state(602, (3, 4))
    w4, g4, m4, v4 = _state(603, 4)
    w5, g5, m5, v5 = _state(604, 3, scale=1e-4)
    w6, g6, m6, v6 = _state(605, 1)
    cases = [
        ("first step (t = 1): zero moments, one gradient is 0", (w1, g1, np.zeros(5),
                                                                 np.zeros(5), 1),
         {"lr": 0.1}),
        ("the second step (t = 2)", (w2, g2, m2, v2, 2), {"lr": 0.01}),
        ("a 3 x 4 matrix, t = 10, beta1 = 0.8, beta2 = 0.99", (w3, g3, m3, v3, 10),
         {"lr": 0.05, "beta1": 0.8, "beta2": 0.99}),
        ("a late step, t = 1000", (w4, g4, m4, v4, 1000), {"lr": 0.001}),
        ("tiny gradients and eps = 1e-3, t = 3", (w5, g5, m5, v5, 3), {"lr": 0.01, "eps": 1e-3}),
        ("one weight, t = 5", (w6, g6, m6, v6, 5), {"lr": 0.3, "beta1": 0.5, "beta2": 0.9}),
    ]
    out = []
    for i, (label, args, kwargs) in enumerate(cases):
        if weight_decay is not None:
            # strong decay and large steps, so every way of getting the decay wrong shows
            kwargs = dict(kwargs, weight_decay=weight_decay[i])
        out.append(Case(label, args, kwargs))
    return out


def _adam_parts(w, g, m, v, t, lr, beta1, beta2, eps, *, one_minus_beta1=True,
                one_minus_beta2=True, square=True, correct_m=True, correct_v=True,
                exponent=lambda t: t, eps_inside=False, sqrt=True):
    """Adam's step with switches that reproduce the typical mistakes.

    Returns ``(w_new, m, v, m_hat, v_hat)``.
    """
    m = beta1 * m + ((1 - beta1) if one_minus_beta1 else 1.0) * g
    v = beta2 * v + ((1 - beta2) if one_minus_beta2 else 1.0) * (g * g if square else g)
    e = exponent(t)
    m_hat = m / (1 - beta1 ** e) if correct_m else m
    v_hat = v / (1 - beta2 ** e) if correct_v else v
    if not sqrt:
        denom = v_hat + eps
    elif eps_inside:
        denom = np.sqrt(v_hat + eps)
    else:
        denom = np.sqrt(v_hat) + eps
    return w - lr * m_hat / denom, m, v, m_hat, v_hat


def _adam_mistake(**switches):
    def wrong(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        w_new, m_new, v_new, _, _ = _adam_parts(w, g, m, v, t, lr, beta1, beta2, eps,
                                                **switches)
        return w_new, m_new, v_new
    return wrong


def _adam_hats_stored(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w_new, _, _, m_hat, v_hat = _adam_parts(w, g, m, v, t, lr, beta1, beta2, eps)
    return w_new, m_hat, v_hat


# --------------------------------------------------------------------------- Adam


def _adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, m, v, _ = adam_update(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return w, m, v


_NO_BIAS_CORRECTION = (
    "Your step uses m and v without bias correction. Both start at 0, so early on they are "
    "too small: after the first step m = (1 - beta1) g and v = (1 - beta2) g^2. Divide them "
    "by 1 - beta1^t and 1 - beta2^t (m_hat, v_hat) and step with m_hat / (sqrt(v_hat) + eps). "
    "(Note: without the correction the first step is not tiny: with the default betas it is "
    "(1 - beta1) / sqrt(1 - beta2), about 3.16 times lr.)")

_ADAM_MISTAKES = [
    ("no bias correction", _NO_BIAS_CORRECTION, {"correct_m": False, "correct_v": False}),
    ("bias correction of m only",
     "You correct m but not v: v_hat = v / (1 - beta2^t) is missing, so in the first steps "
     "you divide by a square root that is far too small and the steps are far too large.",
     {"correct_v": False}),
    ("bias correction of v only",
     "You correct v but not m: m_hat = m / (1 - beta1^t) is missing, so the first steps are "
     "too small by the factor 1 - beta1^t.",
     {"correct_m": False}),
    ("step counter starting at 0",
     "Your bias correction uses t - 1 where it should use t, as if the first step were t = 0: "
     "then 1 - beta^0 = 0 and the first step divides by zero. Adam counts steps from 1: the "
     "first update is t = 1, and m_hat = m / (1 - beta1^t).",
     {"exponent": lambda t: t - 1}),
    ("step counter shifted by one",
     "Your bias correction uses t + 1 where it should use t. The t passed to the function "
     "already counts from 1 (the first update is t = 1): use beta1^t and beta2^t as they are.",
     {"exponent": lambda t: t + 1}),
    ("eps inside the square root",
     "You divide by sqrt(v_hat + eps); Adam (the paper and PyTorch) adds eps OUTSIDE the root: "
     "m_hat / (sqrt(v_hat) + eps). The two differ wherever v_hat is about as small as eps, "
     "e.g. for weights with tiny gradients.",
     {"eps_inside": True}),
    ("(1 - beta1) missing",
     "Your first moment is m = beta1 * m + g: without (1 - beta1) it is a sum, not an average "
     "of the gradients. Use m = beta1 * m + (1 - beta1) * g.",
     {"one_minus_beta1": False}),
    ("(1 - beta2) missing",
     "Your second moment is v = beta2 * v + g^2: without (1 - beta2) it is a sum, not an "
     "average of the squared gradients. Use v = beta2 * v + (1 - beta2) * g * g.",
     {"one_minus_beta2": False}),
    ("gradient not squared in v",
     "Your second moment averages g, not g * g. v estimates the mean SQUARED gradient: "
     "v = beta2 * v + (1 - beta2) * g * g.",
     {"square": False}),
    ("no square root",
     "You divide by v_hat + eps; Adam divides by the square root of the second moment, "
     "sqrt(v_hat) + eps, which has the size of a gradient.",
     {"sqrt": False}),
]


def _adam_mistakes():
    mistakes = [Mistake(name, text, _adam_mistake(**switches))
                for name, text, switches in _ADAM_MISTAKES]
    mistakes.append(Mistake(
        "m_hat stored as m",
        "Your weights are right, but you return the bias-corrected m_hat and v_hat as the new "
        "state. The state must stay the raw moving averages m and v; the correction is "
        "recomputed from them at every step (otherwise the next step corrects twice).",
        _adam_hats_stored))
    return mistakes


def check_adam_update(student_fn):
    """Check ``adam_update(w, g, m, v, t, lr, beta1, beta2, eps) -> (w, m, v)``.

    ``m = beta1 m + (1 - beta1) g``; ``v = beta2 v + (1 - beta2) g^2``;
    ``m_hat = m / (1 - beta1^t)``; ``v_hat = v / (1 - beta2^t)``;
    ``w = w - lr m_hat / (sqrt(v_hat) + eps)``; ``t`` counts from 1.
    """
    return run_check("check_adam_update", student_fn, _cases(), _adam, _adam_mistakes(),
                     output_names=("w", "m", "v"))


# --------------------------------------------------------------------------- AdamW

_ADAMW_DECAY = (0.1, 0.5, 0.2, 0.0, 0.3, 0.4)  # per case; 0 in one case: AdamW equals Adam


def _adamw(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
    w, m, v, _ = adam_update(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                             weight_decay=weight_decay, decoupled_weight_decay=True)
    return w, m, v


def _adamw_mistake(decay="before", **switches):
    """A wrong AdamW; ``decay`` says how the weight decay is (mis)applied."""
    def wrong(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=1e-2):
        lam = weight_decay
        if decay == "l2":
            return _adam_parts(w, g + lam * w, m, v, t, lr, beta1, beta2, eps, **switches)[:3]
        if decay == "before":
            shrunk = w * (1 - lr * lam)
        elif decay == "no lr":
            shrunk = w * (1 - lam)
        elif decay == "bias-corrected lr":
            shrunk = w * (1 - lr / (1 - beta1 ** t) * lam)
        elif decay == "wrong sign":
            shrunk = w * (1 + lr * lam)
        elif decay in ("none", "after", "in denominator"):
            shrunk = w
        w_new, m_new, v_new, m_hat, v_hat = _adam_parts(shrunk, g, m, v, t, lr, beta1, beta2,
                                                        eps, **switches)
        if decay == "after":
            w_new = w_new * (1 - lr * lam)
        elif decay == "in denominator":
            w_new = w_new - lr * lam * w / (np.sqrt(v_hat) + eps)
        return w_new, m_new, v_new
    return wrong


def check_adamw_update(student_fn):
    """Check ``adamw_update(w, g, m, v, t, lr, beta1, beta2, eps, weight_decay) -> (w, m, v)``.

    ``w = w (1 - lr lam)`` (decoupled weight decay, ``lam`` = ``weight_decay``), then Adam's
    step with the plain gradient ``g``, as ``torch.optim.AdamW``.
    """
    mistakes = [
        Mistake(
            "weight decay added to the gradient",
            "You added weight_decay * w to the gradient: that is Adam with an L2 penalty, not "
            "AdamW. Inside Adam the penalty's gradient is divided by sqrt(v_hat), so weights "
            "with large gradients are hardly decayed. AdamW decouples the decay: shrink the "
            "weights, w = w * (1 - lr * weight_decay), and give Adam the plain gradient g.",
            _adamw_mistake("l2")),
        Mistake(
            "decay not multiplied by lr",
            "Your weights shrink by (1 - weight_decay) per step; AdamW (as PyTorch) multiplies "
            "the decay by the learning rate: w = w * (1 - lr * weight_decay).",
            _adamw_mistake("no lr")),
        Mistake(
            "decay applied after the Adam step",
            "You shrink the weights AFTER the Adam step, so the decay also scales the step. "
            "AdamW (the paper and PyTorch) decays the weights as they were before this step: "
            "w = w * (1 - lr * weight_decay), then w = w - lr * m_hat / (sqrt(v_hat) + eps).",
            _adamw_mistake("after")),
        Mistake(
            "decay divided by the adaptive denominator",
            "Your decay term is lr * weight_decay * w / (sqrt(v_hat) + eps): dividing it by the "
            "gradient's size is exactly what AdamW avoids. The decay is lr * weight_decay * w, "
            "the same rate for every weight.",
            _adamw_mistake("in denominator")),
        Mistake(
            "decay multiplied by the bias-corrected lr",
            "Your decay uses lr / (1 - beta1^t), the step size of the bias-corrected first "
            "moment. The decay has nothing to do with m: it is w * (1 - lr * weight_decay).",
            _adamw_mistake("bias-corrected lr")),
        Mistake(
            "decay with the wrong sign",
            "Your weights grow: w * (1 + lr * weight_decay). Decay shrinks them: "
            "w = w * (1 - lr * weight_decay).",
            _adamw_mistake("wrong sign")),
        Mistake(
            "no weight decay",
            "Your function ignores weight_decay: this is plain Adam. AdamW first shrinks the "
            "weights, w = w * (1 - lr * weight_decay), then takes the Adam step.",
            _adamw_mistake("none")),
        Mistake(
            "no bias correction",
            _NO_BIAS_CORRECTION,
            _adamw_mistake("before", correct_m=False, correct_v=False)),
        Mistake(
            "step counter starting at 0",
            "Your bias correction uses t - 1 where it should use t, as if the first step were "
            "t = 0: then 1 - beta^0 = 0 and the first step divides by zero. The first update "
            "is t = 1.",
            _adamw_mistake("before", exponent=lambda t: t - 1)),
        Mistake(
            "eps inside the square root",
            "You divide by sqrt(v_hat + eps); AdamW (as Adam) adds eps OUTSIDE the root: "
            "m_hat / (sqrt(v_hat) + eps).",
            _adamw_mistake("before", eps_inside=True)),
        Mistake(
            "(1 - beta1) missing",
            "Your first moment is m = beta1 * m + g: without (1 - beta1) it is a sum, not an "
            "average of the gradients. Use m = beta1 * m + (1 - beta1) * g.",
            _adamw_mistake("before", one_minus_beta1=False)),
        Mistake(
            "(1 - beta2) missing",
            "Your second moment is v = beta2 * v + g^2: without (1 - beta2) it is a sum, not an "
            "average of the squared gradients. Use v = beta2 * v + (1 - beta2) * g * g.",
            _adamw_mistake("before", one_minus_beta2=False)),
    ]
    cases = _cases(weight_decay=_ADAMW_DECAY)
    return run_check("check_adamw_update", student_fn, cases, _adamw, mistakes,
                     output_names=("w", "m", "v"))
