"""Lesson 03's live experiment: batch size, learning rate and shuffling on the wine regression.

Left, per update: the loss of the mini-batch each update was computed on and the loss on all
the wines at the same weights, against the epoch (so every batch size spans the same width).
Right, per epoch: the loss on all the wines after each epoch for the chosen batch size, and for
batch gradient descent at the same learning rate (the shared curves panel). The line under the
plots counts updates and samples (what wall time depends on).
"""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_int
from nnlesson.course.lessons.minibatch_gradient_descent._plot import _plain_log_ticks, _positive
from nnlesson.course.lessons.minibatch_gradient_descent.data import (
    _wine_arrays,
    batch_plan,
    min_loss,
)
from nnlesson.course.lessons.minibatch_gradient_descent.training import EPOCHS, _wine_run
from nnlesson.viz.explorer import Explorer, Slider, Toggle, log_ladder
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import label_axes, series_style

__all__ = ["BATCH_SIZES", "LR_LADDER", "MinibatchExplorer", "explore_minibatches",
           "snapshot_minibatches"]

#: The batch sizes of the slider: powers of two, and all 178 wines (batch gradient descent).
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 178)
#: The learning rates of the slider: 1-2-3-5 per decade, 0.001 to 0.3 (0.01, 0.03 and 0.1,
#: the rates the lesson names, are on it).
LR_LADDER = log_ladder(1e-3, 0.3, "1-2-3-5")

_GREY = "#555555"


class MinibatchExplorer(Explorer):
    """Mini-batch gradient descent on the wines for 10 epochs: how noisy, how far, how many
    updates."""

    controls = (
        Slider("batch_size", "batch size", BATCH_SIZES, default=8, fmt=lambda b: f"{b:d}"),
        Slider("lr", "learning rate", LR_LADDER, default=0.03),
        Toggle("shuffle", "shuffle every epoch", default=True),
    )
    size = (880, 380)
    alt = ("Left: the loss of each update's mini-batch (thin line) and the loss on all 178 "
           "wines at the same weights (dashed), against the epoch, on a log axis, with the "
           "lowest possible loss dotted. Right: the loss on all the wines after each epoch for "
           "the chosen batch size and for batch gradient descent at the same learning rate.")
    precompute = ("batch_size", "lr")

    def __init__(self, epochs=EPOCHS, seed=0):
        super().__init__()
        self.epochs = check_int("epochs", epochs, low=1)
        self.seed = check_int("seed", seed, low=0)
        self.n = len(_wine_arrays()[1])

    def build(self, fig):
        ax_u, ax_e = fig.subplots(1, 2)
        floor = min_loss()
        s0, s1 = series_style(0), series_style(1)
        (self.batch_line,) = ax_u.plot([], [], color=s1["color"], linestyle="-", linewidth=0.7,
                                       label="loss of the mini-batch")
        (self.full_line,) = ax_u.plot([], [], color=s0["color"], linestyle="--", linewidth=1.8,
                                      label=f"loss on all {self.n} wines")
        ax_u.axhline(floor, color=_GREY, linestyle=":", linewidth=1.2, label="lowest possible")
        ax_u.set_yscale("log")
        ax_u.set_ylim(1e-3, 1e2)
        ax_u.set_xlim(0, self.epochs)
        ax_u.legend(loc="upper right", framealpha=0.9)
        label_axes(ax_u, title="every update: how noisy?", xlabel="epoch (a point per update)",
                   ylabel="mean squared error")
        self.epoch_curves = Curves(
            ax_e, np.arange(self.epochs + 1),
            {"yours": {"label": "your batch size"},
             "batch": {"label": f"batch GD (all {self.n})", "color": series_style(2)["color"],
                       "linestyle": "-.", "marker": "^"}},
            log=True, ylim=(0.3, 3.0), title="every epoch: how far?",
            xlabel=f"epoch (a pass over the {self.n} wines)", ylabel="loss on all the wines",
            legend="upper right")
        ax_e.axhline(floor, color=_GREY, linestyle=":", linewidth=1.2)
        _plain_log_ticks(ax_e, (0.3, 0.4, 0.6, 1.0, 2.0, 3.0))
        return [self.batch_line, self.full_line, *self.epoch_curves.artists]

    def compute(self, batch_size, lr, shuffle):
        """``(run, batch_gd_run)`` for one setting (values checked by the base)."""
        return (_wine_run(batch_size, lr, shuffle, self.epochs, self.seed),
                _wine_run(self.n, lr, shuffle, self.epochs, self.seed))

    def update(self, result):
        run, full = result
        ipe = run.iterations_per_epoch
        self.batch_line.set_data(np.arange(run.updates) / ipe, _positive(run.batch_loss))
        self.full_line.set_data(np.arange(len(run.full_loss)) / ipe, _positive(run.full_loss))
        self.epoch_curves.set("yours", run.epoch_loss)
        self.epoch_curves.set("batch", full.epoch_loss)
        return _summary(run)


def _summary(run):
    """One line on what a run did: updates per epoch, updates and samples, noise, the end."""
    plan = batch_plan(run.n_samples, min(run.batch_size, run.n_samples))
    if len(plan) > 1 and plan[-1] != plan[0]:
        split = f"{len(plan) - 1} × {plan[0]} + {plan[-1]}"
    else:
        split = f"{len(plan)} × {plan[0]}"
    end = (f"diverged at update {run.diverged_at}" if run.diverged
           else f"final loss {run.final_loss:.3f}")
    return (f"{run.iterations_per_epoch} updates/epoch = {split}; {run.updates:,d} updates, "
            f"{run.samples_processed:,d} samples; noise {run.noise:.2f}; {end}")


def explore_minibatches(**values):
    """The widget (controls ``batch_size``, ``lr``, ``shuffle``; see :class:`MinibatchExplorer`)."""
    return MinibatchExplorer().explore(**values)


def snapshot_minibatches(**values):
    """The explorer's figure for one setting, with its alt text (a static Figure)."""
    return MinibatchExplorer().snapshot(**values)
