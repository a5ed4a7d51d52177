"""Lesson 11's early stopping: where the rule stops the unregularized run, and what restoring
the best weights buys.

:func:`early_stopping_point` is the library's replay of the rule of ``fit(...,
early_stopping=EarlyStopping(patience))`` on a list of validation losses (re-exported from
:mod:`nnlesson.train`); :func:`patience_outcomes` reads it off the lesson's run for several
patiences; :class:`EarlyStoppingExplorer` (:func:`explore_early_stopping`,
:func:`snapshot_early_stopping`) draws it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int
from nnlesson.course.lessons.regularization._panels import LOSS_TOP, legend_on_top
from nnlesson.course.lessons.regularization.data import EPOCHS, LRS, train_regularized
from nnlesson.train import early_stopping_point  # the rule of fit's EarlyStopping
from nnlesson.viz.explorer import Explorer, Slider, linear_ladder
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import PALETTE

__all__ = ["early_stopping_point", "PATIENCES", "Outcome", "patience_outcomes",
           "EarlyStoppingExplorer", "explore_early_stopping", "snapshot_early_stopping"]

#: The explorer's patiences: 1 to 30 epochs.
PATIENCES = linear_ladder(1, 30, 1)


@dataclass(frozen=True)
class Outcome:
    """Early stopping with one patience on one run (epochs from 0, as ``fit`` counts them).

    Attributes:
        patience: the patience. best_epoch: the epoch whose weights are restored.
        stop_epoch: the last epoch trained. epochs_trained: ``stop_epoch + 1``.
        restored_loss, restored_acc: validation loss and accuracy of the restored weights.
        last_loss, last_acc: those of the weights training stopped with.
    """

    patience: int
    best_epoch: int
    stop_epoch: int
    restored_loss: float
    restored_acc: float
    last_loss: float
    last_acc: float

    @property
    def epochs_trained(self):
        return self.stop_epoch + 1


def patience_outcomes(patiences=(1, 3, 5, 10, 20), lr=0.1, *, dropout=0.0, method="dropout"):
    """What each patience does to one of the lesson's runs (60 epochs at ``lr``; by default
    the unregularized one, else with ``dropout`` and ``method`` as in
    :func:`~.data.train_regularized`).

    The rule is replayed on the run's validation losses (:func:`early_stopping_point`), which
    is what ``fit(..., early_stopping=EarlyStopping(patience))`` does while training.

    Returns:
        list of :class:`Outcome`, one per patience.
    """
    run = train_regularized(lr=lr, dropout=dropout, method=method)
    out = []
    for patience in patiences:
        best, stop = early_stopping_point(run.val_loss, check_int("patience", patience, low=1))
        out.append(Outcome(int(patience), best, stop, float(run.val_loss[best]),
                           float(run.val_acc[best]), float(run.val_loss[stop]),
                           float(run.val_acc[stop])))
    return out


class EarlyStoppingExplorer(Explorer):
    """The unregularized run's loss curves with the epoch early stopping stops after, the
    best epoch whose weights are restored, and the patience between them."""

    controls = (
        Slider("patience", "patience (epochs)", PATIENCES, default=10),
        Slider("lr", "learning rate", LRS, default=0.1),
    )
    size = (880, 400)
    precompute = ("lr",)
    alt = ("Training and validation loss per epoch of the unregularized network over 60 "
           "epochs; a star marks the epoch with the lowest validation loss, whose weights "
           "early stopping restores, a thick bar the epochs waited without a new best, and a "
           "dashed vertical line the epoch after which training stops.")

    def build(self, fig):
        ax = fig.subplots()
        series = {"train": {"label": "training", "color": PALETTE[0], "linestyle": "-",
                            "marker": "o", "linewidth": 2},
                  "val": {"label": "validation", "color": PALETTE[3], "linestyle": "-.",
                          "marker": "s", "linewidth": 2}}
        self.curves = Curves(ax, np.arange(1, EPOCHS + 1), series,
                             title="stop after `patience` epochs without a new best",
                             xlabel="epoch", ylabel="loss (no regularization)",
                             ylim=(0, LOSS_TOP), legend=None)
        ax.set_xlim(0, EPOCHS + 1)
        (self.wait,) = ax.plot([1, 2], [1, 1], color=PALETTE[2], linewidth=7, alpha=0.55,
                               solid_capstyle="butt", label="waiting: no new best")
        (self.best,) = ax.plot([1], [1], linestyle="none", marker="*", markersize=18,
                               color=PALETTE[2], markeredgecolor="black",
                               label="best epoch (restored)")
        (self.stop,) = ax.plot([1, 1], [0, LOSS_TOP], color=PALETTE[7], linestyle="--",
                               linewidth=1.6, label="training stops")
        legend_on_top(fig, [*self.curves.lines.values(), self.best, self.wait, self.stop])
        return [*self.curves.artists, self.wait, self.best, self.stop]

    def compute(self, lr):
        """The unregularized run at this learning rate (cached)."""
        return train_regularized(lr=lr)

    def update(self, result, patience, lr):
        run = result
        self.curves.set("train", run.train_loss)
        self.curves.set("val", run.val_loss)
        best, stop = early_stopping_point(run.val_loss, patience)
        # epochs are drawn from 1: epoch e (from 0) sits at x = e + 1
        y = min(run.val_loss[best], LOSS_TOP * 0.99)
        self.wait.set_data([best + 1, stop + 1], [y, y])
        self.best.set_data([best + 1], [y])
        self.stop.set_xdata([stop + 1, stop + 1])
        when = (f"stops after epoch {stop + 1} of {EPOCHS}" if stop < EPOCHS - 1
                else "never stops early")
        return (f"patience {patience}, lr {lr:g}: {when}; restored (epoch {best + 1}): "
                f"validation loss {run.val_loss[best]:.3f}, {100 * run.val_acc[best]:.0f} %; "
                f"last: {run.val_loss[stop]:.3f}, {100 * run.val_acc[stop]:.0f} %")


def explore_early_stopping(**values):
    """The early-stopping explorer's widget (controls ``patience``, ``lr``)."""
    return EarlyStoppingExplorer().explore(**values)


def snapshot_early_stopping(**values):
    """The early-stopping explorer's figure for one setting, with its alt text."""
    return EarlyStoppingExplorer().snapshot(**values)
