"""Lesson 09: symmetry. Why all-zero (or all-equal) weights never train a hidden layer.

A one-hidden-layer network started from all-zero weights: every hidden unit computes the same
thing and gets the same gradient, so after any number of steps they are still copies of each
other. :func:`symmetry_experiment`, :func:`figure_symmetry`, :func:`distinct_units`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number, check_rng
from nnlesson.course.lessons.weight_initialization.schemes import (
    activation_layer,
    make_initializer,
    scheme_label,
)
from nnlesson.datasets import load_wine
from nnlesson.layers import Linear, Sequential
from nnlesson.losses import accuracy, softmax_cross_entropy
from nnlesson.optim import SGD
from nnlesson.scaling import StandardScaler
from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes, readable

__all__ = ["SymmetryResult", "symmetry_experiment", "distinct_units", "figure_symmetry"]


@dataclass(frozen=True, eq=False)
class SymmetryResult:
    """A one-hidden-layer network trained from one initialization (see :func:`symmetry_experiment`).

    Attributes:
        scheme, activation, steps, lr: the setting.
        distinct_units (steps + 1,): number of distinct hidden units (distinct columns of the
            first weight matrix, with their biases) before each step and after the last.
        weight_change: largest ``|W_1 - W_1 at start|`` entry after training.
        first_weights (steps + 1, units): the weight from input 0 to each hidden unit over time.
        loss (steps,): training loss of each step.
        accuracy: training accuracy at the end.
    """

    scheme: object
    activation: str
    steps: int
    lr: float
    distinct_units: np.ndarray
    weight_change: float
    first_weights: np.ndarray
    loss: np.ndarray
    accuracy: float


def distinct_units(W, b, decimals=12):
    """How many hidden units differ: distinct columns of ``W`` (with their biases), to
    ``decimals`` decimals."""
    cols = np.vstack([W, b[None, :]]).T
    return len(np.unique(np.round(cols, decimals), axis=0))


@functools.lru_cache(maxsize=1)
def _wine_standardized():
    d = load_wine()
    X = StandardScaler().fit(d.X).transform(d.X)
    X.flags.writeable = False
    d.y.flags.writeable = False
    return X, d.y


def symmetry_experiment(scheme="zeros", activation="sigmoid", *, hidden=16, steps=100, lr=0.5,
                        seed=0):
    """Train a ``[13, hidden, 3]`` network on the standardized wine data, full-batch descent.

    All weights (both layers) come from ``scheme``; biases start at zero. After each step the
    number of distinct hidden units is counted: units whose incoming weights and bias are equal
    (to 12 decimals) compute the same function. With all-zero weights every hidden unit starts
    identical, receives an identical gradient and so stays identical: with sigmoid they move
    together; with ReLU or tanh (whose output at 0 is 0) the hidden layer receives no gradient
    at all and never moves.

    Returns:
        :class:`SymmetryResult`.
    """
    hidden = check_int("hidden", hidden, low=1)
    steps = check_int("steps", steps, low=1)
    lr = check_number("lr", lr, low=0, low_open=True)
    X, y = _wine_standardized()
    f = make_initializer(scheme)
    rng = check_rng(seed)
    first = Linear(X.shape[1], hidden, init=f, rng=rng, input_grad=False)
    model = Sequential(first, activation_layer(activation), Linear(hidden, 3, init=f, rng=rng))
    opt = SGD(model.parameters(), lr=lr)
    W0 = first.W.value.copy()
    distinct = [distinct_units(first.W.value, first.b.value)]
    track = [first.W.value[0].copy()]
    losses = []
    for _ in range(steps):
        model.zero_grad()
        out = model.forward(X)
        loss, dout = softmax_cross_entropy(out, y)
        model.backward(dout)
        opt.step()
        losses.append(float(loss))
        distinct.append(distinct_units(first.W.value, first.b.value))
        track.append(first.W.value[0].copy())
    acc = float(accuracy(model.forward(X), y))
    return SymmetryResult(scheme=scheme, activation=activation, steps=steps, lr=lr,
                          distinct_units=np.array(distinct),
                          weight_change=float(np.abs(first.W.value - W0).max()),
                          first_weights=np.array(track), loss=np.array(losses), accuracy=acc)


def figure_symmetry(schemes=("zeros", "xavier_uniform"), activation="sigmoid", **kwargs):
    """The weight from input 0 to each hidden unit during training, one panel per scheme."""
    fig, axes = figure((880, 360), len(schemes), 1)
    axes = np.atleast_1d(axes)
    counts = []
    for ax, scheme in zip(axes, schemes):
        res = symmetry_experiment(scheme, activation, **kwargs)
        counts.append(f"{scheme_label(scheme)}: {res.distinct_units[-1]}")
        steps = np.arange(res.steps + 1)
        for j in range(res.first_weights.shape[1]):
            ax.plot(steps, res.first_weights[:, j], color=PALETTE[j % 6],
                    linestyle=("-", "--", "-.", ":")[j % 4], linewidth=1.2)
        label_axes(ax, title=f"{scheme_label(scheme)}: {res.distinct_units[-1]} distinct "
                             f"unit{'s' if res.distinct_units[-1] != 1 else ''}",
                   xlabel="gradient-descent step", ylabel="weight from input 0")
    readable(fig)
    alt = (f"The weight from input 0 to each of the hidden units during "
           f"{res.steps} steps of gradient descent ({activation} network on the wines), one "
           f"panel per initialization. From zeros all the lines lie on top of each other; from "
           f"random weights they spread. Distinct hidden units at the end: {'; '.join(counts)}.")
    return describe(fig, alt)
