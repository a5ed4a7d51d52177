"""The demonstration check of lesson 00, the course map: what a check looks like.

Lesson 00 has no exercise notebook; it shows how a check cell answers, on a tiny task: the
gradient of the ravine ``f(x, y) = (x^2 + 25 y^2) / 2`` that the landscape explorer draws.
The reference is :meth:`nnlesson.course.surfaces.Ravine.grad` (checked against torch autograd and
finite differences in the test suite).
"""
from __future__ import annotations

import numpy as np

from nnlesson.course.checks._core import Case, Check, Mistake
from nnlesson.course.surfaces import Ravine

__all__ = ["CHECKS", "check_ravine_gradient"]

_RAVINE = Ravine(a=1.0, b=25.0)


def _gradient(w):
    return _RAVINE.grad(w)


def _cases():
    rng = np.random.default_rng(0)
    return [
        Case("the point (-4.5, 2)", (np.array([-4.5, 2.0]),)),
        Case("the minimum (0, 0)", (np.zeros(2),)),
        Case("five points at once, shape (5, 2)", (rng.normal(size=(5, 2)),)),
    ]


RAVINE_GRADIENT = Check(
    name="check_ravine_gradient",
    function="ravine_gradient",
    reference=_gradient,
    cases=_cases,
    mistakes=[
        Mistake(
            "the 1/2 not cancelled",
            "Your gradient is twice too large: (2x, 50y). The derivative of x^2 / 2 is x: the "
            "1/2 in front of the loss cancels the 2 from the power.",
            lambda w: 2.0 * np.stack([w[..., 0], 25.0 * w[..., 1]], axis=-1)),
        Mistake(
            "curvatures swapped",
            "Your gradient is (25x, y): the 25 belongs to y. f = (x^2 + 25 y^2) / 2 is steep "
            "across the valley (y) and flat along it (x).",
            lambda w: np.stack([25.0 * w[..., 0], w[..., 1]], axis=-1)),
        Mistake(
            "curvature 25 left out",
            "Your gradient is (x, y), the gradient of the round bowl (x^2 + y^2) / 2. The ravine "
            "has 25 y^2, whose derivative is 25 y.",
            lambda w: np.array(w, dtype=float)),
    ],
    doc="(df/dx, df/dy) = (x, 25 y) for f = (x^2 + 25 y^2) / 2; w of shape (2,) or (n, 2)",
)

check_ravine_gradient = RAVINE_GRADIENT.check_function()

#: The demonstration check of lesson 00, as data.
CHECKS = (RAVINE_GRADIENT,)
