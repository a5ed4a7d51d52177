"""Lesson 05: the size of each step when the gradient is the same at every step.

AdaGrad's step shrinks like ``lr / sqrt(t)`` for ever; RMSProp's settles at ``lr``, after a
first step ``lr / sqrt(1 - beta)`` (its average starts at zero). Measured with the library's
rules, run by the course's runner on a constant slope.
"""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.course.lessons.adagrad_and_rmsprop.paths import ADAGRAD_EPS, RMSPROP_EPS
from nnlesson.course.runner import run
from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

__all__ = ["constant_gradient_steps", "figure_step_sizes"]


class _Slope:
    """A constant slope ``f(w) = g w`` in one weight: its gradient is ``g`` everywhere."""

    def __init__(self, g):
        self.g = np.array([g], dtype=np.float64)

    def value(self, w):
        return np.asarray(w, dtype=np.float64)[..., 0] * self.g[0]

    def grad(self, w):
        return self.g


def constant_gradient_steps(n_steps=1000, lr=0.1, beta=0.9, g=1.0):
    """The size of each step of AdaGrad and RMSProp when the gradient is always ``g``.

    One weight, gradient ``g`` at every step, accumulators starting at 0. The formulas give

    Equations::

        AdaGrad:  s_t = t g^2,              step_t = lr |g| / (sqrt(t) |g| + eps)  ~ lr / sqrt(t)
        RMSProp:  s_t = (1 - beta^t) g^2,   step_t ~ lr / sqrt(1 - beta^t)  -> lr

    but the numbers returned are measured: ``|w_t - w_{t-1}|`` of the library's rules, run by
    :func:`nnlesson.course.runner.run` on the slope ``f(w) = g w``.

    Args:
        n_steps: an integer in [1, 100000]. lr: > 0. beta: RMSProp's decay rate in [0, 1).
        g: the gradient, a finite number.

    Returns:
        dict ``{"AdaGrad": (n_steps,), "RMSProp": (n_steps,)}``: step t at index t - 1.
    """
    n_steps = check_int("n_steps", n_steps, low=1, high=100000)
    lr = check_number("lr", lr, low=0, low_open=True)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    slope = _Slope(check_number("g", g))
    start = np.zeros(1)
    adagrad = run(slope, "adagrad", lr=lr, hyperparameters={"eps": ADAGRAD_EPS},
                  n_steps=n_steps, start=start)
    rmsprop = run(slope, "rmsprop", lr=lr, hyperparameters={"alpha": beta, "eps": RMSPROP_EPS},
                  n_steps=n_steps, start=start)
    return {"AdaGrad": np.abs(np.diff(adagrad.points[:, 0])),
            "RMSProp": np.abs(np.diff(rmsprop.points[:, 0]))}


def figure_step_sizes(n_steps=1000, lr=0.1, betas=(0.9, 0.99)):
    """Step size ÷ lr for a constant gradient: AdaGrad's falls for ever, RMSProp's settles."""
    fig, ax = figure((700, 400))
    t = np.arange(1, n_steps + 1)
    style = dict(series_style(1), markevery=0.1, markersize=6)
    ax.plot(t, constant_gradient_steps(n_steps, lr, betas[0])["AdaGrad"] / lr,
            label="AdaGrad: 1/√t", **style)
    for i, beta in enumerate(betas):
        style = dict(series_style(2 + i), markevery=0.1, markersize=6)
        ax.plot(t, constant_gradient_steps(n_steps, lr, beta)["RMSProp"] / lr,
                label=f"RMSProp, β = {beta:g}", **style)
    ax.axhline(1.0, color="#555555", linewidth=1.0, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend(loc="lower left", framealpha=0.9)
    label_axes(ax, title="the same gradient at every step", xlabel="step t (log)",
               ylabel="step size ÷ lr (log)")
    readable(fig)
    return describe(fig, f"Step size divided by the learning rate over {n_steps} steps, both "
                         "axes logarithmic: AdaGrad's falls along a straight line like 1/sqrt(t); "
                         "RMSProp's starts above 1 (" + " and ".join(
                             f"{1 / np.sqrt(1 - b):.2f} at beta {b:g}" for b in betas)
                    + ") and settles at 1, the dotted line.")
