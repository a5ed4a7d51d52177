"""Lesson 14's learning-rate range test on the digits, and one-cycle trained at peaks read from it.

* :func:`range_test_digits`: :func:`nnlesson.tuning.lr_range_test` on the lesson's network
  (SGD with a given momentum, rates 1e-4 to 10 over 200 updates).
* :func:`one_cycle_at` and :func:`peak_table`: one-cycle (:class:`nnlesson.schedules.OneCycle`)
  for 8 epochs with its peak at the lowest point of the range test divided by 30, 10, 3 or 1.
* :class:`RangeTestExplorer` (:func:`explore_range_test`, :func:`snapshot_range_test`).
"""
from __future__ import annotations

import functools
import math
import warnings

import numpy as np

from nnlesson.datasets import load_digits_split
from nnlesson.optim import SGD
from nnlesson.schedules import OneCycle
from nnlesson.train import DivergenceWarning, fit, mlp
from nnlesson.tuning import lr_range_test
from nnlesson.viz.explorer import Explorer, Slider
from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes

__all__ = ["MOMENTA", "PEAK_DIVISORS", "ONE_CYCLE_EPOCHS", "range_test_digits", "one_cycle_run",
           "one_cycle_at", "peak_table", "RangeTestExplorer", "explore_range_test",
           "snapshot_range_test", "figure_range_curve"]

#: The momenta of the explorer and of the table.
MOMENTA = (0.0, 0.5, 0.9, 0.99)
#: One-cycle's peak: the rate of the lowest smoothed loss divided by these (10: the rule of
#: thumb's ``max_lr``).
PEAK_DIVISORS = (30, 10, 3, 1)
ONE_CYCLE_EPOCHS = 8
SEEDS = (0, 1)
_GREY = "#9a9a9a"


@functools.lru_cache(maxsize=8)
def range_test_digits(momentum=0.9, seed=0):
    """The range test of ``mlp([64, 64, 64, 10])`` with SGD (``momentum``) on the digits:
    rates 1e-4 to 10 over 200 updates of 64 digits (:class:`nnlesson.tuning.RangeTest`)."""
    X, _, y, _ = load_digits_split()
    model = mlp([64, 64, 64, 10], rng=seed)
    opt = SGD(model.parameters(), lr=0.01, momentum=momentum)
    return lr_range_test(model, X, y, optimizer=opt, start_lr=1e-4, end_lr=10.0, num_iter=200,
                         batch_size=64, rng=seed)


@functools.lru_cache(maxsize=128)
def one_cycle_run(max_lr, momentum=0.9, seed=0, epochs=ONE_CYCLE_EPOCHS):
    """One-cycle up to ``max_lr`` (SGD, ``momentum``) on the digits: ``mlp([64, 64, 64, 10])``,
    mini-batches of 64, ``epochs`` epochs, random seed ``seed``. Returns fit's History (a run
    that diverges stops there, without a warning)."""
    X, X_val, y, y_val = load_digits_split()
    model = mlp([64, 64, 64, 10], rng=seed)
    opt = SGD(model.parameters(), lr=max_lr, momentum=momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # the History says it
        return fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=64, rng=seed,
                   schedule=OneCycle(max_lr, total_steps=epochs * 20), X_val=X_val,
                   y_val=y_val)


def one_cycle_at(max_lr, momentum=0.9, seeds=SEEDS):
    """Mean final validation loss and accuracy of :func:`one_cycle_run` over ``seeds``
    (NaN if a run diverged)."""
    runs = [one_cycle_run(float(max_lr), momentum, seed) for seed in seeds]
    losses = [math.nan if h.diverged else h.val_loss[-1] for h in runs]
    accs = [math.nan if h.diverged else h.val_acc[-1] for h in runs]
    return float(np.mean(losses)), float(np.mean(accs))


def peak_table(momenta=MOMENTA, divisors=PEAK_DIVISORS):
    """``{(momentum, divisor): (peak, loss, accuracy)}``: one-cycle at the range test's
    lowest point divided by each divisor, for each momentum (:func:`one_cycle_at`)."""
    table = {}
    for momentum in momenta:
        lowest = range_test_digits(momentum).lr_at_min
        for divisor in divisors:
            table[momentum, divisor] = (lowest / divisor, *one_cycle_at(lowest / divisor, momentum))
    return table


def _peak_name(divisor):
    return "the lowest point" if divisor == 1 else f"lowest ÷ {divisor:g}"


class RangeTestExplorer(Explorer):
    """The range test at one momentum, and one-cycle trained with its peak read from it.

    Left: the loss of each mini-batch while the rate grows (grey), its smoothed curve, the
    rate of the lowest smoothed loss and the chosen peak. Right: the validation accuracy per
    epoch of one-cycle at each of the four peaks (mean of two random seeds), the chosen one in
    colour. A new momentum runs a range test and eight trainings, in the background after the
    first draw.
    """

    controls = (
        Slider("momentum", "momentum μ", MOMENTA, default=0.9),
        Slider("divisor", "one-cycle peak", PEAK_DIVISORS, default=10, fmt=_peak_name),
    )
    size = (880, 390)
    precompute = ("momentum",)
    alt = ("Left: the range test on the digits, the loss of each mini-batch (grey) and its "
           "smoothed curve against the learning rate from 1e-4 to 10 on a log axis, with the "
           "rate of the lowest smoothed loss (dotted) and the chosen one-cycle peak (solid). "
           "Right: validation accuracy per epoch of one-cycle at four peaks, the chosen one in "
           "colour.")

    def build(self, fig):
        ax_rt, ax_oc = fig.subplots(1, 2)
        (self.raw,) = ax_rt.plot([], [], color="#bbbbbb", linewidth=0.8,
                                 label="loss of each mini-batch")
        (self.smooth,) = ax_rt.plot([], [], color=PALETTE[0], linewidth=2, label="smoothed")
        self.lowest = ax_rt.axvline(1.0, color=PALETTE[7], linestyle=":", linewidth=1.5,
                                    label="lowest smoothed loss")
        self.peak = ax_rt.axvline(1.0, color=PALETTE[3], linestyle="-", linewidth=2,
                                  label="one-cycle peak")
        ax_rt.set_xscale("log")
        ax_rt.set_xlim(1e-4, 10)
        ax_rt.set_ylim(0, 4)
        label_axes(ax_rt, title="where does the loss fall fastest?",
                   xlabel="learning rate (grows every update)", ylabel="training loss")
        fig.legend(handles=[self.raw, self.smooth, self.lowest, self.peak],
                   loc="outside upper left", ncols=4, frameon=False, handlelength=2.0,
                   columnspacing=1.2)
        epochs = np.arange(1, ONE_CYCLE_EPOCHS + 1)
        self.others = [ax_oc.plot(epochs, np.full(len(epochs), np.nan), color=_GREY,
                                  linewidth=1, linestyle="--")[0] for _ in PEAK_DIVISORS[1:]]
        (self.chosen,) = ax_oc.plot(epochs, np.full(len(epochs), np.nan), color=PALETTE[3],
                                    linewidth=2.5, marker="o")
        ax_oc.set_xlim(1, ONE_CYCLE_EPOCHS)
        ax_oc.set_ylim(0, 100)
        label_axes(ax_oc, title="one-cycle at that peak (grey: the others)", xlabel="epoch",
                   ylabel="validation accuracy (%)")
        return [self.raw, self.smooth, self.lowest, self.peak, *self.others, self.chosen]

    def compute(self, momentum):
        """The range test and one-cycle at every peak (mean accuracy per epoch)."""
        rt = range_test_digits(momentum)
        curves = {}
        for divisor in PEAK_DIVISORS:
            runs = [one_cycle_run(rt.lr_at_min / divisor, momentum, seed) for seed in SEEDS]
            acc = np.full((len(SEEDS), ONE_CYCLE_EPOCHS), np.nan)
            for k, h in enumerate(runs):
                acc[k, : len(h.val_acc)] = h.val_acc
            curves[divisor] = (100 * acc.mean(axis=0), any(h.diverged for h in runs))
        return rt, curves

    def update(self, result, divisor):
        rt, curves = result
        self.raw.set_data(rt.lrs, np.clip(rt.losses, 0, 3.98))
        self.smooth.set_data(rt.lrs, np.clip(rt.smoothed, 0, 3.98))
        peak = rt.lr_at_min / divisor
        self.lowest.set_xdata([rt.lr_at_min, rt.lr_at_min])
        self.peak.set_xdata([peak, peak])
        for line, other in zip(self.others, [d for d in PEAK_DIVISORS if d != divisor]):
            line.set_ydata(curves[other][0])
        acc, diverged = curves[divisor]
        self.chosen.set_ydata(acc)
        end = ("diverged" if diverged else f"validation accuracy {acc[-1]:.1f} % after "
                                            f"{ONE_CYCLE_EPOCHS} epochs")
        return (f"lowest smoothed loss at lr {rt.lr_at_min:.2g}; one-cycle with peak "
                f"{peak:.2g} ({_peak_name(divisor)}): {end}")


def explore_range_test(**values):
    """The range-test explorer's widget (controls ``momentum``, ``divisor``; see
    :class:`RangeTestExplorer`)."""
    return RangeTestExplorer().explore(**values)


def snapshot_range_test(**values):
    """The range-test explorer's figure for one setting, with its alt text (a static Figure)."""
    return RangeTestExplorer().snapshot(**values)


def figure_range_curve(result, title="the range test: where would you put max_lr?"):
    """A range test's curve alone (:class:`nnlesson.tuning.RangeTest`): the loss of each
    mini-batch and the smoothed loss against the rate, nothing marked (the reader decides)."""
    fig, ax = figure((880, 360))
    ax.plot(result.lrs, np.clip(result.losses, 0, 3.98), color="#bbbbbb", linewidth=0.8,
            label="loss of each mini-batch")
    ax.plot(result.lrs, np.clip(result.smoothed, 0, 3.98), color=PALETTE[0], linewidth=2,
            label="smoothed")
    ax.set_xscale("log")
    ax.set_xlim(result.lrs[0], 10 ** np.ceil(np.log10(result.lrs[-1])))
    ax.set_ylim(0, 4)
    ax.grid(True, which="both", color="#e6e6e6", linewidth=0.6)
    label_axes(ax, title=title, xlabel="learning rate (grows every update)",
               ylabel="training loss")
    ax.legend(loc="lower left", framealpha=0.9)
    low = float(np.nanmin(result.smoothed))
    return describe(fig, f"A range test's loss against the learning rate from "
                         f"{result.lrs[0]:.2g} to {result.lrs[-1]:.2g} on a log axis, each "
                         f"mini-batch in grey and the smoothed curve in blue: it starts near "
                         f"{result.smoothed[0]:.2g}, falls to {low:.2g} and then shoots up; "
                         f"{len(result.lrs)} updates in all.")
