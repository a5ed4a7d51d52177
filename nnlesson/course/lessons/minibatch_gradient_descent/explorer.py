"""Lesson 03's live experiment: batch size, learning rate and shuffling on the wine regression."""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_int
from nnlesson.course.lessons.minibatch_gradient_descent._plot import _plain_log_ticks, _positive
from nnlesson.course.lessons.minibatch_gradient_descent.data import _wine_arrays, batch_plan, min_loss
from nnlesson.course.lessons.minibatch_gradient_descent.training import EPOCHS, wine_run
from nnlesson.viz.plotting import Backdrop

__all__ = ["MinibatchExplorer", "explore_minibatches", "snapshot_minibatches"]


class MinibatchExplorer:
    """The mini-batch experiment's figure, built once; :meth:`update` changes artists only.

    Left, per update: the mini-batch loss of each update and the loss on all the data at the
    same weights, against the epoch (so every batch size spans the same width). Right, per
    epoch: the loss on all the data after each epoch for the chosen batch size, and for batch
    gradient descent at the same learning rate. The text counts updates and samples.

    With ``bake=True`` (the widget) the static parts are painted once into a background
    picture, so a redraw paints only the curves and the text; ``bake=False`` keeps an ordinary
    figure (snapshots).
    """

    def __init__(self, epochs=EPOCHS, seed=0, bake=True):
        from nnlesson.viz.plotting import freeze_layout, label_axes, new_figure, series_style

        self.epochs = check_int("epochs", epochs, low=1)
        self.seed = check_int("seed", seed, low=0)
        Z, _, _ = _wine_arrays()
        self.n = Z.shape[0]
        self.floor = min_loss()
        fig, (ax_u, ax_e) = new_figure(2, 1, width=11.0, height=4.2)
        self.figure, self.axes = fig, (ax_u, ax_e)
        s0, s1, s2 = series_style(0), series_style(1), series_style(2)

        (self.batch_line,) = ax_u.plot([], [], color=s1["color"], linestyle="-", linewidth=0.6,
                                       label="loss of the mini-batch")
        (self.full_line,) = ax_u.plot([], [], color=s0["color"], linestyle="--", linewidth=1.6,
                                      label=f"loss on all {self.n} wines")
        ax_u.axhline(self.floor, color="#555555", linestyle=":", linewidth=1.0,
                     label="lowest possible loss")
        ax_u.set_yscale("log")
        ax_u.set_ylim(1e-3, 1e2)
        ax_u.set_xlim(0, self.epochs)
        ax_u.legend(loc="upper right", fontsize=8)
        label_axes(ax_u, title="every update: how noisy is the mini-batch loss?",
                   xlabel="epoch (one point per update)", ylabel="mean squared error")

        e = np.arange(self.epochs + 1)
        (self.epoch_line,) = ax_e.plot(e, np.ones(self.epochs + 1), label="your batch size",
                                       **dict(s0, markevery=1, markersize=5))
        (self.batch_gd_line,) = ax_e.plot(e, np.ones(self.epochs + 1),
                                          label=f"batch GD (all {self.n} wines)",
                                          **dict(s2, markevery=1, markersize=5))
        ax_e.axhline(self.floor, color="#555555", linestyle=":", linewidth=1.0,
                     label="lowest possible loss")
        ax_e.set_yscale("log")
        ax_e.set_ylim(0.2, 3.0)
        _plain_log_ticks(ax_e, (0.2, 0.3, 0.4, 0.6, 1.0, 2.0, 3.0))
        ax_e.set_xlim(0, self.epochs)
        ax_e.legend(loc="upper right", fontsize=8)
        label_axes(ax_e, title="every epoch: same samples seen, how far did each get?",
                   xlabel=f"epoch (one pass over the {self.n} wines)",
                   ylabel="loss on all the wines")
        # below the lowest possible loss nothing is ever drawn: room for the counts
        self.text = ax_e.text(0.98, 0.03, "", transform=ax_e.transAxes, fontsize=9,
                              ha="right", va="bottom", color=s0["color"])
        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, [self.batch_line, self.full_line, self.epoch_line,
                                             self.batch_gd_line, self.text])

    def compute(self, batch_size=8, lr=0.03, shuffle=True):
        """``(run, batch_gd_run)`` for one setting (cached)."""
        run = wine_run(batch_size, lr, shuffle, self.epochs, self.seed)
        return run, wine_run(self.n, lr, shuffle, self.epochs, self.seed)

    def update(self, batch_size=8, lr=0.03, shuffle=True):
        run, full = self.compute(batch_size, lr, shuffle)
        self.run = run
        ipe = run.iterations_per_epoch
        self.batch_line.set_data(np.arange(run.updates) / ipe, _positive(run.batch_loss))
        self.full_line.set_data(np.arange(len(run.full_loss)) / ipe, _positive(run.full_loss))
        self.epoch_line.set_ydata(_positive(run.epoch_loss))
        self.batch_gd_line.set_ydata(_positive(full.epoch_loss))
        self.text.set_text(_summary(run))


def _summary(run):
    """Three short lines on what a run did (short: the text is redrawn at every update)."""
    plan = batch_plan(run.n_samples, min(run.batch_size, run.n_samples))
    if len(plan) > 1 and plan[-1] != plan[0]:
        split = f"{len(plan) - 1} x {plan[0]} + {plan[-1]}"
    else:
        split = f"{len(plan)} x {plan[0]}"
    end = "diverged" if run.diverged else f"final loss {run.final_loss:.3f}"
    return (f"{run.iterations_per_epoch} updates/epoch = {split}\n"
            f"{run.updates:,d} updates, {run.samples_processed:,d} samples\n"
            f"noise {run.noise:.2f}, {end}")


def explore_minibatches(batch_size=8, lr=0.03, shuffle=True):
    """The widget: batch size (1 to 178), learning rate on a log slider, shuffling on/off."""
    from nnlesson.viz.widgets import int_slider, interactive_plot, lr_slider, toggle

    drawing = MinibatchExplorer()
    return interactive_plot(
        drawing.figure, drawing.update,
        batch_size=int_slider(batch_size, min=1, max=drawing.n, description="batch size"),
        lr=lr_slider(lr, min_exp=-3, max_exp=-0.5, description="learning rate"),
        shuffle=toggle(shuffle, description="shuffle every epoch"),
    )


def snapshot_minibatches(batch_size=8, lr=0.03, shuffle=True):
    """The explorer's figure for one setting (a static Figure for slides and readers)."""
    drawing = MinibatchExplorer(bake=False)
    drawing.update(batch_size=batch_size, lr=lr, shuffle=shuffle)
    return drawing.figure
