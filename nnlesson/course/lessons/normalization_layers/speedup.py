"""Lesson 10: "networks with batch norm train 10-15x faster"? Measured on the digits.

:func:`batchnorm_speedup` measures how many epochs the same network needs, with and without
batch norm, to reach a target validation accuracy, each at its best learning rate;
:func:`figure_batchnorm_speedup`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.course.lessons.normalization_layers.training import model
from nnlesson.datasets import load_digits_split
from nnlesson.optim import SGD
from nnlesson.train import fit
from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes, readable, series_style

__all__ = ["Speedup", "batchnorm_speedup", "figure_batchnorm_speedup"]


@dataclass(frozen=True, eq=False)
class Speedup:
    """Epochs to a target validation accuracy, with and without batch norm.

    Made by :func:`batchnorm_speedup`.

    Attributes:
        lrs, seeds, epochs, target, batch_size: what was run.
        val_acc: array (2, len(lrs), len(seeds), epochs): validation accuracy after each epoch,
            index 0 without batch norm, 1 with (NaN after a divergence).
        epochs_to_target: array (2, len(lrs), len(seeds)): the first epoch (from 1) whose
            accuracy reaches ``target``; ``inf`` if none did.
    """

    lrs: tuple
    seeds: tuple
    epochs: int
    target: float
    batch_size: int
    val_acc: np.ndarray
    epochs_to_target: np.ndarray

    def mean_epochs(self, batch_norm):
        """(len(lrs),): epochs to the target, mean over the random seeds (inf if one never did)."""
        return self.epochs_to_target[int(batch_norm)].mean(axis=1)

    def best(self, batch_norm):
        """``(mean epochs, lr)`` at the learning rate that reaches the target soonest."""
        m = self.mean_epochs(batch_norm)
        k = int(np.argmin(m))
        return float(m[k]), self.lrs[k]

    @property
    def ratio(self):
        """Best epochs without batch norm / best epochs with it: the measured speed-up."""
        return self.best(False)[0] / self.best(True)[0]

    def largest_lr_that_trains(self, batch_norm):
        """The largest rate at which every seed reached the target (None if none did)."""
        ok = [lr for lr, m in zip(self.lrs, self.mean_epochs(batch_norm)) if np.isfinite(m)]
        return max(ok) if ok else None

    def final_accuracy(self, batch_norm):
        """Validation accuracy after the last epoch at the best rate, mean over seeds."""
        k = self.lrs.index(self.best(batch_norm)[1])
        return float(np.mean(self.val_acc[int(batch_norm), k, :, -1]))

    def table(self):
        """A text table: epochs to the target (mean over seeds) per learning rate."""
        head = "learning rate        " + "".join(f"{lr:>8.3g}" for lr in self.lrs)
        lines = [head]
        for bn, name in ((False, "without batch norm"), (True, "with batch norm")):
            cells = "".join(f"{m:>8.1f}" if np.isfinite(m) else f"{'never':>8}"
                            for m in self.mean_epochs(bn))
            lines.append(f"{name:<21}{cells}")
        return "\n".join(lines)


def batchnorm_speedup(lrs=(0.1, 0.3, 1.0, 3.0), seeds=(0, 1), epochs=8, target=0.95,
                      batch_size=64):
    """Epochs to reach ``target`` validation accuracy on the digits, with and without batch norm.

    For every learning rate and seed, ``mlp([64, 64, 64, 10], batch_norm=...)`` is trained with
    plain SGD by :func:`nnlesson.train.fit` (``epochs`` epochs of ``batch_size``, validation
    accuracy after each epoch, in evaluation mode). Both networks get the same learning-rate
    grid and the same seeds (initial weights and shuffling).

    Returns:
        :class:`Speedup`.
    """
    epochs = check_int("epochs", epochs, low=1)
    target = check_number("target", target, low=0, high=1)
    batch_size = check_int("batch_size", batch_size, low=2)
    X, X_val, y, y_val = load_digits_split()
    lrs, seeds = tuple(float(lr) for lr in lrs), tuple(seeds)
    acc = np.full((2, len(lrs), len(seeds), epochs), np.nan)
    for b, bn in enumerate((False, True)):
        for i, lr in enumerate(lrs):
            for j, seed in enumerate(seeds):
                net = model(bn, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    h = fit(net, X, y, optimizer=SGD(net.parameters(), lr=lr), epochs=epochs,
                            batch_size=batch_size, rng=seed, X_val=X_val, y_val=y_val)
                acc[b, i, j, :len(h.val_acc)] = h.val_acc
    reached = np.nan_to_num(acc, nan=0.0) >= target
    first = np.where(reached.any(axis=-1), reached.argmax(axis=-1) + 1.0, np.inf)
    return Speedup(lrs=lrs, seeds=seeds, epochs=epochs, target=target, batch_size=batch_size,
                   val_acc=acc, epochs_to_target=first)


def figure_batchnorm_speedup(result):
    """Validation accuracy per epoch at each network's best learning rate, one line per random
    seed (the epochs to the target are a mean over them), with alt text."""
    fig, ax = figure((880, 380))
    epochs = np.arange(1, result.epochs + 1)
    said = []
    for i, (bn, name) in enumerate(((False, "without batch norm"), (True, "with batch norm"))):
        n, lr = result.best(bn)
        k = result.lrs.index(lr)
        style = series_style(i)
        for j, seed in enumerate(result.seeds):
            ax.plot(epochs, 100 * result.val_acc[int(bn), k, j],
                    label=f"{name} (lr {lr:g}), random seed {seed}",
                    **dict(style, markevery=1, markersize=6, alpha=1.0 if j == 0 else 0.55,
                           linestyle=style.get("linestyle", "-") if j == 0 else ":"))
        firsts = ", ".join(f"{e:g}" for e in result.epochs_to_target[int(bn), k])
        said.append(f"{name} at lr {lr:g}, the random seeds reach it after {firsts} epochs "
                    f"(mean {n:g})")
    ax.axhline(100 * result.target, color=PALETTE[7], linestyle=":", linewidth=1.2,
               label=f"target {100 * result.target:.0f} %")
    ax.set_ylim(80, 100)
    label_axes(ax, title=f"each at its best learning rate: {result.ratio:.2f} times fewer epochs "
                         f"with batch norm", xlabel="epoch", ylabel="validation accuracy (%)")
    # above the plot: in the lower corner it covered the first epochs
    fig.legend(loc="outside upper center", ncols=3, frameon=False)
    readable(fig)
    alt = (f"Validation accuracy of the digits network after each of {result.epochs} epochs, "
           f"with and without batch norm, each at its best learning rate, one line per random "
           f"seed ({len(result.seeds)} random seeds), with the {100 * result.target:.0f} % "
           f"target dotted: " + "; ".join(said) + ".")
    return describe(fig, alt)
