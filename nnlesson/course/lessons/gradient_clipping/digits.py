"""Lesson 08: a deep ReLU network on the digits, with and without gradient clipping.

At learning rate 0.2 (SGD with momentum 0.9) the unclipped network fails on every random seed;
clipped by global norm at 1 it trains. Is that the clip, or only a smaller step? The settings of
:data:`SETTINGS` answer it: the same network unclipped at a quarter of the rate, and clipped at a
threshold above the typical gradient norm (so that only the spikes are cut).
:func:`train_deep_digits` (one run), :func:`clipping_comparison` (every setting and random
seed), :func:`dead_units` (why the unclipped runs that did not overflow end at chance), and
:func:`figure_deep_digits`.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_int, check_number
from nnlesson.clip import Clipping
from nnlesson.datasets import load_digits_split
from nnlesson.layers import ReLU
from nnlesson.optim import SGD
from nnlesson.train import fit, mlp
from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

__all__ = ["SETTINGS", "SEEDS", "train_deep_digits", "Comparison", "clipping_comparison",
           "dead_units", "figure_deep_digits"]

#: The compared settings: (label, clip_norm or None, learning rate).
SETTINGS = (
    ("no clipping, lr 0.2", None, 0.2),
    ("clip_norm = 1, lr 0.2", 1.0, 0.2),
    ("no clipping, lr 0.05", None, 0.05),
    ("clip_norm = 5, lr 0.2", 5.0, 0.2),
)
#: The random seeds of every setting (initial weights and shuffling).
SEEDS = (0, 1, 2, 3)


def train_deep_digits(clip_norm=None, lr=0.1, *, depth=6, width=64, epochs=5, batch_size=64,
                      momentum=0.9, seed=0, return_model=False):
    """A deep ReLU network on the digits with SGD (momentum), with or without norm clipping.

    ``mlp([64] + [width] * depth + [10])`` with He initialization, trained by
    :func:`nnlesson.train.fit` with ``clipping=Clipping(max_norm=clip_norm)`` (clip after
    backward and before the step; ``History.grad_norm`` is the norm before clipping).
    Divergence stops the run (no warning).

    Returns:
        The :class:`~nnlesson.train.History`, or ``(history, model)`` with ``return_model``.
    """
    clipping = None if clip_norm is None else Clipping(max_norm=clip_norm)
    X_train, X_val, y_train, y_val = load_digits_split()
    model = mlp([X_train.shape[1]] + [width] * depth + [10], rng=seed)
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence is what we measure
        history = fit(model, X_train, y_train, optimizer=opt, epochs=epochs,
                      batch_size=batch_size, rng=seed, clipping=clipping, X_val=X_val,
                      y_val=y_val)
    return (history, model) if return_model else history


@dataclass(frozen=True, eq=False)
class Comparison:
    """Every run of :func:`clipping_comparison`.

    Attributes:
        settings: the (label, clip_norm, lr) triples, in order.
        seeds: the random seeds.
        runs: ``{(label, seed): (History, model)}``.
    """

    settings: tuple
    seeds: tuple
    runs: dict

    def history(self, label, seed):
        """The :class:`~nnlesson.train.History` of one run."""
        return self.runs[(label, seed)][0]

    def model(self, label, seed):
        """The trained network of one run."""
        return self.runs[(label, seed)][1]

    def outcome(self, label, seed):
        """``"diverged at iteration k"`` or ``"93.9 %"`` (validation accuracy at the end)."""
        h = self.history(label, seed)
        if h.diverged:
            return f"diverged at iteration {h.diverged_at}"
        return f"{100 * h.val_acc[-1]:.1f} %"

    def accuracies(self, label):
        """Validation accuracy at the end per seed (0 for a run that diverged)."""
        return np.array([0.0 if self.history(label, s).diverged
                         else self.history(label, s).val_acc[-1] for s in self.seeds])

    def table(self):
        """One line per setting: the outcome of every seed."""
        width = max(len(label) for label, _, _ in self.settings)
        lines = []
        for label, _, _ in self.settings:
            cells = "; ".join(f"random seed {s}: {self.outcome(label, s)}" for s in self.seeds)
            lines.append(f"{label:<{width}}  {cells}")
        return "\n".join(lines)


def clipping_comparison(settings=SETTINGS, seeds=SEEDS):
    """:func:`train_deep_digits` for every setting and random seed (cached: the lesson's cells
    share one set of runs).

    Args:
        settings: (label, clip_norm or None, lr) triples.
        seeds: random seeds.

    Returns:
        :class:`Comparison`.
    """
    settings = tuple((str(label), None if clip is None else check_number("clip_norm", clip,
                                                                         low=0, low_open=True),
                      check_number("lr", lr, low=0, low_open=True))
                     for label, clip, lr in settings)
    seeds = tuple(check_int("seed", s, low=0) for s in seeds)
    return _comparison(settings, seeds)


@functools.lru_cache(maxsize=2)
def _comparison(settings, seeds):
    runs = {(label, seed): train_deep_digits(clip, lr=lr, seed=seed, return_model=True)
            for label, clip, lr in settings for seed in seeds}
    return Comparison(settings=settings, seeds=seeds, runs=runs)


def dead_units(model, X):
    """For each ReLU layer of ``model``: the fraction of its units that output 0 for every row
    of ``X`` (evaluation mode). A dead unit passes no gradient back, so it never recovers.

    Returns a float64 array, one entry per ReLU layer, in order.
    """
    X = check_array("X", X, ndim=2)
    was_training = model.training
    model.eval()
    try:
        out, fractions = X, []
        for layer in model:
            out = layer.forward(out)
            if isinstance(layer, ReLU):
                fractions.append(float(np.mean(np.all(out == 0, axis=0))))
    finally:
        model.train(was_training)
    return np.array(fractions)


def figure_deep_digits(histories):
    """Gradient norm before clipping per iteration for each ``{label: History}``, with alt
    text."""
    fig, ax = figure((880, 400))
    for i, (label, h) in enumerate(histories.items()):
        norms = np.array(h.grad_norm, dtype=float)
        norms = np.where(np.isfinite(norms), np.minimum(norms, 1e30), 1e30)  # keep log axes finite
        if h.diverged:
            label += f" (diverged at iteration {h.diverged_at})"
        ax.plot(np.arange(len(norms)), norms, label=label,
                **dict(series_style(i), markevery=0.1, markersize=5))
    ax.set_yscale("log")
    ax.set_ylim(1e-1, 1e16)
    label_axes(ax, title="6 ReLU layers on the digits: one spike feeds the next",
               xlabel="iteration", ylabel="‖g‖ before clipping")
    ax.legend(loc="upper left", framealpha=0.9)
    readable(fig)
    names = "; ".join(histories)
    alt = ("The gradient norm before clipping at every iteration of training, on a log axis, "
           f"for {names}. Without clipping the norm jumps by orders of magnitude within a few "
           "iterations; with clipping it stays between about 1 and 10.")
    return describe(fig, alt)
