"""Lesson 11's dropout and DropConnect: what inverted scaling preserves, and the drop rate.

* :func:`dropout_expectation` and :func:`figure_dropout_scaling`: inverted dropout keeps the
  expected output; dropping without rescaling shrinks it to ``1 - p``.
* :func:`dropout_sweep` trains the lesson's network with inverted dropout after the hidden
  layer (:class:`nnlesson.layers.Dropout`) or a :class:`nnlesson.layers.DropConnect` output
  layer at every drop probability of :data:`DROP_RATES`.
* :class:`DropoutExplorer` (:func:`explore_dropout`, :func:`snapshot_dropout`).
"""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.lessons.regularization._panels import (
    GREY,
    LOSS_TOP,
    WholeGrid,
    final_losses,
    legend_on_top,
    loss_curves,
    show_run,
)
from nnlesson.course.lessons.regularization.data import EPOCHS, LRS, METHODS, train_regularized
from nnlesson.layers import Dropout
from nnlesson.viz.explorer import Choice, Explorer, Slider, linear_ladder
from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes

__all__ = ["DROP_RATES", "dropout_sweep", "DropoutExplorer", "explore_dropout",
           "snapshot_dropout", "dropout_expectation", "figure_dropout_scaling"]

#: Drop probabilities of the sweep and of the explorer's slider: 0, 0.1, ..., 0.8.
DROP_RATES = linear_ladder(0.0, 0.8, 0.1)


def dropout_sweep(method="dropout", lr=0.1, rates=DROP_RATES):
    """``{p: RegRun}`` for every drop probability in ``rates`` (cached runs; p = 0 is the
    unregularized network)."""
    check_choice("method", method, METHODS)
    return {float(p): train_regularized(dropout=float(p), method=method, lr=lr) for p in rates}


class DropoutExplorer(WholeGrid, Explorer):
    """Inverted dropout after the hidden layer, or DropConnect on the output layer's weights,
    at one drop probability and learning rate.

    Left: training and validation loss per epoch (measured with nothing dropped), the network
    without dropout in grey. Right: the losses after 60 epochs against the drop probability at
    this learning rate, the current one ringed. A new learning rate or method trains a sweep
    (9 runs); every method at every learning rate is computed in the background after the
    first draw (:class:`~._panels.WholeGrid`).
    """

    controls = (
        Slider("p", "drop probability p", DROP_RATES, default=0.5),
        Slider("lr", "learning rate", LRS, default=0.1),
        Choice("method", "what is dropped", [("units (dropout)", "dropout"),
                                             ("weights (DropConnect)", "DropConnect")],
               default="dropout"),
    )
    size = (880, 400)
    precompute = ("lr", "method")
    alt = ("Left: training and validation loss per epoch of the network trained with dropout, "
           "both measured with nothing dropped, and the network without dropout in grey. "
           "Right: the loss after 60 epochs against the drop probability p from 0 to 0.8, "
           "training and validation, with the current p ringed.")

    def build(self, fig):
        ax_curve, ax_p = fig.subplots(1, 2)
        self.curves = loss_curves(ax_curve, "p = 0", title="loss per epoch",
                                  ylabel="loss (nothing dropped)")
        rates = np.array(DROP_RATES)
        self.sweep, self.ring = final_losses(ax_p, rates, current_label="this p")
        ax_p.set_xlim(-0.04, rates[-1] + 0.04)
        label_axes(ax_p, title=f"after {EPOCHS} epochs: which p?",
                   xlabel="drop probability p (ring: this p)", ylabel="loss")
        ax_p.set_ylim(0, LOSS_TOP)
        grey = ax_curve.plot([], [], color=GREY, linestyle="--", label="p = 0 (no dropout)")[0]
        legend_on_top(fig, [self.curves.lines["train"], self.curves.lines["val"], grey])
        return [*self.curves.artists, *self.sweep.artists, self.ring]

    def compute(self, lr, method):
        """The sweep over the drop probability for this method and learning rate."""
        return dropout_sweep(method, lr)

    def update(self, result, p, lr, method):
        run, base = result[p], result[0.0]
        show_run(self.curves, run, base)
        self.sweep.set("train", [result[r].train_loss[-1] for r in DROP_RATES])
        self.sweep.set("val", [result[r].val_loss[-1] for r in DROP_RATES])
        self.ring.set_data([p], [min(run.val_loss[-1], LOSS_TOP * 0.99)])
        what = "dropout" if method == "dropout" else "DropConnect"
        return (f"{what} at p = {p:g}, lr {lr:g}: validation loss {run.val_loss[-1]:.2f}, "
                f"accuracy {100 * run.val_acc[-1]:.0f} % (p = 0: {base.val_loss[-1]:.2f}, "
                f"{100 * base.val_acc[-1]:.0f} %)")


def explore_dropout(**values):
    """The dropout explorer's widget (controls ``p``, ``lr``, ``method``; see
    :class:`DropoutExplorer`)."""
    return DropoutExplorer().explore(**values)


def snapshot_dropout(**values):
    """The dropout explorer's figure for one setting, with its alt text (a static Figure)."""
    return DropoutExplorer().snapshot(**values)


# --------------------------------------------------------------------------- inverted scaling


def dropout_expectation(p, x=None, n_masks=2000, seed=0):
    """What inverted dropout preserves: the mean training-mode output over many masks.

    Runs :class:`nnlesson.layers.Dropout` (``p``) ``n_masks`` times in training mode on the
    same input ``x`` (default: 64 activations drawn from a ReLU-like distribution) and once in
    evaluation mode.

    Returns:
        ``(train_mean, eval_out, kept)``: the mean of the training-mode outputs (shape of
        ``x``), the evaluation-mode output (``x`` itself) and the fraction of units kept over
        all masks (about ``1 - p``).
    """

    p = check_number("p", p, low=0, high=1, high_open=True)
    n_masks = check_int("n_masks", n_masks, low=1)
    if x is None:
        x = np.maximum(np.random.default_rng(seed + 1).normal(0.5, 1.0, size=64), 0)
    x = check_array("x", x)
    layer = Dropout(p, rng=seed)
    total = np.zeros_like(x, dtype=float)
    kept = 0
    for _ in range(n_masks):
        total += layer.forward(x)
        kept += int(np.count_nonzero(layer.mask))
    eval_out = layer.eval().forward(x)
    return total / n_masks, eval_out, kept / (n_masks * x.size)


def figure_dropout_scaling(rates=(0.1, 0.2, 0.3, 0.5, 0.7, 0.9), n_masks=2000):
    """Mean training-mode output / evaluation output against p: inverted dropout (the library)
    stays at 1; dropping without rescaling falls to ``1 - p``. A Figure with alt text."""
    rates = np.array(rates, dtype=float)
    inverted, unscaled = [], []
    for p in rates:
        mean, out, _ = dropout_expectation(p, n_masks=n_masks)
        inverted.append(mean.sum() / out.sum())
        unscaled.append((1 - p) * mean.sum() / out.sum())  # the same masks, no 1 / (1 - p)
    fig, ax = figure((640, 340))
    ax.plot(rates, inverted, label="inverted: x · mask / (1 − p)", color=PALETTE[0],
            linestyle="-", marker="o", linewidth=2)
    ax.plot(rates, unscaled, label="no rescaling: x · mask", color=PALETTE[3], linestyle="--",
            marker="s", linewidth=2)
    ax.axhline(1.0, color=PALETTE[7], linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.25)
    label_axes(ax, title="training output / eval output", xlabel="drop probability p",
               ylabel=f"ratio ({n_masks} masks)")
    ax.legend(loc="lower left", framealpha=0.9)
    return describe(fig, (
        f"The mean training-mode output of a dropout layer divided by its evaluation-mode "
        f"output, over {n_masks} masks, against the drop probability p from "
        f"{rates[0]:g} to {rates[-1]:g}: inverted dropout stays at 1 for every p, dropping "
        f"without rescaling falls along the line 1 - p."))
