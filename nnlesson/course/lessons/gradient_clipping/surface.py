"""Lesson 08: a gradient that explodes, and gradient descent with and without clipping on it.

A linear recurrent unit with one hidden state, ``h_t = w h_(t-1) + u`` from ``h_0 = 0``, has
``h_T = u (1 + w + ... + w^(T-1))``: the weight ``w`` is multiplied into the state again and
again, so for ``w > 1`` the loss and its gradient grow like ``w^T``
(:class:`RepeatedMultiplication`, a two-weight surface). Gradient descent that steps onto that
wall is thrown further up it and explodes within a few steps; clipping the gradient bounds the
step. :func:`clipped_descent` runs plain gradient descent through the course's runner
(:func:`nnlesson.course.runner.run`, one divergence rule) with no clipping, clipping by norm
or clipping by value (:class:`nnlesson.clip.Clipping`); :func:`direction_cosines` and
:func:`step_lengths` measure what each clip did to every step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.clip import Clipping, direction_cosine
from nnlesson.course.runner import OptimizerPath, run
from nnlesson.course.surfaces import Surface

__all__ = ["RepeatedMultiplication", "MODES", "clipping_for", "clipped_descent",
           "direction_cosines", "step_lengths"]

#: How the gradient is treated before each step.
MODES = ("none", "norm", "value")


@dataclass(frozen=True, eq=False)
class RepeatedMultiplication(Surface):
    """The loss of a one-unit linear RNN on its last state: repeated multiplication by ``w``.

    Equations (``x = w``, the recurrent weight; ``y = u``, the input weight; input 1 at every
    step, ``h_0 = 0``)::

        h_t  = w h_(t-1) + u                    t = 1 .. T
        h_T  = u S(w),   S(w) = 1 + w + ... + w^(T-1)
        f    = (h_T - target)^2 / 2
        df/du = (h_T - target) S(w)
        df/dw = (h_T - target) u S'(w),   S'(w) = 1 + 2 w + ... + (T-1) w^(T-2)

    For ``w < 1`` the sums stay near ``1 / (1 - w)``; for ``w > 1`` they grow like ``w^T``, and so
    does the gradient: a wall. The zero-loss points form the valley ``u = target / S(w)``; with
    the default ``target = T`` it passes through ``(1, 1)``.

    Args:
        T: the number of time steps, an integer >= 2.
        target: the value ``h_T`` should reach, a finite number.
    """

    T: int = 12
    target: float = 12.0

    name = "repeated multiplication"
    formula = r"\frac{1}{2}\left(u\,(1 + w + \dots + w^{T-1}) - y\right)^2"
    default_start = (0.3, 0.3)
    bounds = ((0.0, 1.5), (0.0, 2.0))
    min_value = 0.0

    def __post_init__(self):
        object.__setattr__(self, "T", check_int("T", self.T, low=2))
        object.__setattr__(self, "target", check_number("target", self.target))

    @property
    def minimum(self):
        """One point of the zero-loss valley: ``(1, target / T)``."""
        return (1.0, self.target / self.T)

    def sums(self, w):
        """``(S(w), S'(w))`` by Horner's rule, element by element (overflow gives inf)."""
        w = np.asarray(w, dtype=np.float64)
        S = np.ones_like(w)
        dS = np.zeros_like(w)
        with np.errstate(over="ignore", invalid="ignore"):
            for _ in range(self.T - 1):
                dS = dS * w + S
                S = S * w + 1.0
        return S, dS

    def valley(self, w):
        """The zero-loss valley ``u = target / S(w)`` for the recurrent weights ``w``."""
        return self.target / self.sums(w)[0]

    def grad_point(self, w):
        """``grad(w)`` for one point ``w = (w, u)``, without argument checks (for fast loops)."""
        x, y = float(w[0]), float(w[1])
        S, dS = 1.0, 0.0
        for _ in range(self.T - 1):  # Horner's rule, as in sums(); floats overflow to inf
            dS = dS * x + S
            S = S * x + 1.0
        r = y * S - self.target
        return np.array([r * y * dS, r * S])

    def _value(self, x, y):
        S, _ = self.sums(x)
        with np.errstate(over="ignore", invalid="ignore"):
            return 0.5 * (y * S - self.target) ** 2

    def _grad(self, x, y):
        S, dS = self.sums(x)
        with np.errstate(over="ignore", invalid="ignore"):
            r = y * S - self.target
            return r * y * dS, r * S


def clipping_for(mode, threshold):
    """The :class:`~nnlesson.clip.Clipping` of a mode: None for ``"none"``,
    ``Clipping(max_norm=threshold)`` for ``"norm"``, ``Clipping(clip_value=threshold)`` for
    ``"value"``."""
    check_choice("mode", mode, MODES)
    if mode == "none":
        return None
    if mode == "norm":
        return Clipping(max_norm=threshold)
    return Clipping(clip_value=threshold)


def clipped_descent(surface, lr, mode="norm", threshold=1.0, n_steps=60, start=None):
    """Plain gradient descent on ``surface``, clipping each gradient before the step.

    Each update ``t = 1, 2, ...``, in the order of a training loop::

        g      = surface.grad(w)
        g_clip = g                                         mode "none"
                 g * min(1, threshold / (||g|| + 1e-6))    mode "norm"  (clip_grad_norm_)
                 each entry cut to [-threshold, threshold] mode "value" (clip_grad_value_)
        w      = w - lr * g_clip

    The run is :func:`nnlesson.course.runner.run` with ``clipping=``:func:`clipping_for`; it
    stops at the update whose result is not finite or lies farther than 1e6 from the origin.

    Args:
        surface: anything :func:`~nnlesson.course.runner.run` accepts, such as
            :class:`RepeatedMultiplication`.
        lr: learning rate > 0. mode: ``"none"``, ``"norm"`` or ``"value"``.
        threshold: ``max_norm`` or ``clip_value``, > 0 (not used by ``"none"``).
        n_steps: number of updates, >= 1. start: (2,), default ``surface.default_start``.

    Returns:
        :class:`~nnlesson.course.runner.OptimizerPath`: ``grad_norms`` is ``||g||`` before
        clipping (what ``clip_grad_norm_`` returns), ``clipped_grads`` what the step used.
    """
    lr = check_number("lr", lr, low=0, low_open=True)
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    n_steps = check_int("n_steps", n_steps, low=1)
    if start is not None:
        start = check_array("start", start, ndim=1, dtype=np.float64)
        if start.shape != (2,):
            raise ValueError(f"start must be a point (w, u) of shape (2,), got shape {start.shape}")
    return run(surface, "gd", lr=lr, clipping=clipping_for(mode, threshold), n_steps=n_steps,
               start=start)


def direction_cosines(path):
    """``cos(g, g_clip)`` of every update of ``path`` (:func:`nnlesson.clip.direction_cosine`):
    1 where clipping kept the direction (or did nothing), less where it turned the gradient.

    The diverging update, if any, is left out (its gradient may not be finite). A zero
    gradient has no direction: its cosine is 1.
    """
    if not isinstance(path, OptimizerPath):
        raise TypeError(f"path must be an OptimizerPath, got {type(path).__name__}")
    kept = len(path.points) - 1
    out = np.ones(kept)
    for i in range(kept):
        g, g_clip = path.grads[i], path.clipped_grads[i]
        if np.any(g) and np.any(g_clip):
            out[i] = direction_cosine(g, g_clip)
    return out


def step_lengths(path):
    """``||w_t - w_(t-1)||_2`` of every kept update of ``path``: how far each step moved."""
    if not isinstance(path, OptimizerPath):
        raise TypeError(f"path must be an OptimizerPath, got {type(path).__name__}")
    return np.linalg.norm(np.diff(path.points, axis=0), axis=1)
