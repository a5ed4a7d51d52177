"""Lesson 10's live experiments: training with and without batch norm, and train vs eval mode."""
from __future__ import annotations

import math

import numpy as np

from nnlesson.course.lessons.normalization_layers.dependence import (
    LAYERS,
    N_FEATURES,
    batch_dependence,
)
from nnlesson.course.lessons.normalization_layers.training import (
    BN_BATCH_SIZES,
    BN_LRS,
    train_run,
)
from nnlesson.viz.explorer import Choice, Explorer, Slider, Toggle
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import PALETTE, label_axes, trailing_mean

__all__ = ["BatchNormExplorer", "explore_batchnorm_training", "snapshot_batchnorm_training",
           "TrainEvalExplorer", "explore_train_vs_eval", "snapshot_train_vs_eval"]

_NAMES = {False: "without batch norm", True: "with batch norm"}


def _accuracy(run):
    return "diverged" if run.diverged else f"{100 * run.val_acc:.0f} %"


class BatchNormExplorer(Explorer):
    """The same network trained for 50 updates with and without batch norm, at one batch size
    and learning rate: the loss of every mini-batch (faint) and its moving mean over 5 (thick);
    under the plot, each network's validation accuracy in evaluation mode."""

    controls = (
        Slider("batch_size", "batch size", BN_BATCH_SIZES, default=32),
        Slider("lr", "learning rate", BN_LRS, default=0.3),
    )
    size = (880, 420)
    precompute = ("lr", "batch_size")
    alt = ("The training loss at each of 50 updates of the same network without batch norm and "
           "with batch norm (faint: every mini-batch; thick: the mean of the last 5), with the "
           "guessing loss ln 10 dotted.")

    def build(self, fig):
        ax = fig.subplots()
        steps = np.arange(1, 51)
        series = {bn: {"label": _NAMES[bn]} for bn in (False, True)}
        self.curves = Curves(ax, steps, series, ylim=(0.0, 4.0),
                             title="same network, same steps: which one learns faster?",
                             xlabel="update", ylabel="training loss", legend=None)
        self.raw = {}
        for bn, line in self.curves.lines.items():
            (self.raw[bn],) = ax.plot(steps, np.full(50, np.nan), color=line.get_color(),
                                      alpha=0.3, linewidth=0.9)
        guess = ax.axhline(math.log(10), color="#777777", linestyle=":", linewidth=1.5,
                           label="ln 10: guessing")
        # under the axes: a diverging run may cross any part of them
        ax.legend(handles=[*self.curves.lines.values(), guess], loc="upper center",
                  bbox_to_anchor=(0.5, -0.2), ncols=3, frameon=False)
        return [*self.curves.artists, *self.raw.values()]

    def compute(self, batch_size, lr):
        """``{False: TrainRun, True: TrainRun}`` (cached runs of :func:`train_run`)."""
        return {bn: train_run(bn, lr, batch_size) for bn in (False, True)}

    def update(self, result):
        for bn, run in result.items():
            loss = np.clip(run.loss, 0.0, 3.99)
            self.raw[bn].set_ydata(loss)
            self.curves.set(bn, trailing_mean(run.loss))
        return ("validation accuracy (eval mode) after 50 updates: "
                + " · ".join(f"{_NAMES[bn]} {_accuracy(run)}" for bn, run in result.items()))


def explore_batchnorm_training(**values):
    """The training explorer's widget (controls ``batch_size`` and ``lr``)."""
    return BatchNormExplorer().explore(**values)


def snapshot_batchnorm_training(batch_size=32, lr=0.3):
    """The training explorer's figure for one setting, with its alt text (a static Figure)."""
    return BatchNormExplorer().snapshot(batch_size=batch_size, lr=lr)


# --------------------------------------------------------------------------- train vs eval

_BN_IN_EVAL = {"layer": ("batch norm",), "eval_mode": (True,)}


class TrainEvalExplorer(Explorer):
    """Sample 0's normalized output in 20 random batches (dots), for one layer, mode and batch
    size, next to the output it gets from the data set's statistics (batch norm) or on its own
    (layer and group norm): the dashes. Batch norm's momentum and the number of batches it has
    seen apply in evaluation mode only (its running statistics), and are shown only then.

    Args:
        n_batches: how many random batches sample 0 is put into.
    """

    controls = (
        Choice("layer", "layer", LAYERS, default="batch norm"),
        Toggle("eval_mode", "evaluation mode", default=False,
               visible_when={"layer": ("batch norm",)}),
        Slider("batch_size", "batch size", (2, 3, 4, 8, 16, 32, 64), default=4),
        Slider("momentum", "BN momentum", (0.01, 0.03, 0.1, 0.3, 1.0), default=0.1,
               visible_when=_BN_IN_EVAL),
        Slider("batches_seen", "batches seen", (0, 5, 20, 50, 200), default=50,
               visible_when=_BN_IN_EVAL),
    )
    size = (880, 420)
    alt = ("Sample 0's normalized value of each of 12 features in 20 different random batches "
           "(dots, one column per feature), with the value it gets from the data set's own "
           "statistics or on its own (a dash per feature).")

    def __init__(self, n_batches=20):
        super().__init__()
        self.n_batches = int(n_batches)

    def build(self, fig):
        ax = fig.subplots()
        feats = np.arange(1, N_FEATURES + 1)
        jitter = np.linspace(-0.25, 0.25, self.n_batches)
        self._x = (feats[None, :] + jitter[:, None]).ravel()
        (self.dots,) = ax.plot(self._x, np.zeros_like(self._x), linestyle="none", marker="o",
                               markersize=5, color=PALETTE[0], alpha=0.7,
                               label=f"sample 0 in {self.n_batches} different batches")
        (self.ref,) = ax.plot(feats, np.zeros(N_FEATURES), linestyle="none", marker="_",
                              markersize=22, markeredgewidth=3, color=PALETTE[3],
                              label="with the data set's statistics (BN) or alone (LN, GN)")
        ax.axhline(0.0, color="#999999", linewidth=0.7)
        ax.set_xlim(0.4, N_FEATURES + 0.6)
        ax.set_ylim(-4.0, 4.0)
        ax.set_xticks(feats)
        label_axes(ax, title="does sample 0's output depend on the rest of its batch?",
                   xlabel="feature", ylabel="normalized output")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, frameon=False)
        return [self.dots, self.ref]

    def compute(self, layer, eval_mode, batch_size, momentum, batches_seen):
        """:class:`~.dependence.Dependence` of one setting."""
        return batch_dependence(layer, eval_mode, batch_size, momentum, batches_seen,
                                n_batches=self.n_batches)

    def update(self, result, layer, eval_mode, batches_seen):
        self.dots.set_ydata(np.clip(result.outputs, -3.95, 3.95).ravel())
        self.ref.set_ydata(result.reference)
        text = f"spread of sample 0's outputs over the batches: {result.spread:.2f}"
        if layer == "batch norm" and eval_mode:
            off = np.abs(result.outputs[0] - result.reference).mean()
            text += (f" · off the data's statistics by {off:.2f} on average after "
                     f"{batches_seen} training batches")
        return text


def explore_train_vs_eval(**values):
    """The train-vs-eval explorer's widget (controls ``layer``, ``eval_mode``, ``batch_size``,
    ``momentum``, ``batches_seen``)."""
    return TrainEvalExplorer().explore(**values)


def snapshot_train_vs_eval(**values):
    """The train-vs-eval explorer's figure for one setting, with its alt text."""
    return TrainEvalExplorer().snapshot(**values)
