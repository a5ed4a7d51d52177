"""What lesson 11's explorers share: panels built on :class:`nnlesson.viz.panels.Curves`, and
a background precompute over their whole (small) grid."""
from __future__ import annotations

import itertools

import numpy as np

from nnlesson.course.lessons.regularization.data import EPOCHS
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import PALETTE

#: The top of every loss axis (guessing among 10 digits scores ln 10 = 2.3); larger losses are
#: drawn at the top edge.
LOSS_TOP = 2.6
#: The colour of the unregularized run in every panel.
GREY = "#8a8a8a"


def loss_curves(ax, off, *, title, ylabel):
    """Training and validation loss per epoch for a run, with the unregularized run (``off``
    names it: "λ = 0", "p = 0") in grey behind it. Returns the :class:`Curves` panel, whose
    series are ``"base_train"``, ``"base_val"``, ``"train"`` and ``"val"``. The legend is the
    figure's (:func:`legend_on_top`)."""
    series = {
        "base_train": {"label": f"{off}: training", "color": GREY, "linestyle": ":",
                       "marker": "", "linewidth": 1.4},
        "base_val": {"label": f"{off}: validation", "color": GREY, "linestyle": "--",
                     "marker": "", "linewidth": 1.4},
        "train": {"label": "training", "color": PALETTE[0], "linestyle": "-", "marker": "o",
                  "linewidth": 2},
        "val": {"label": "validation", "color": PALETTE[3], "linestyle": "-.", "marker": "s",
                "linewidth": 2},
    }
    panel = Curves(ax, np.arange(1, EPOCHS + 1), series, title=title, xlabel="epoch",
                   ylabel=ylabel, ylim=(0, LOSS_TOP), legend=None)
    ax.set_xlim(0, EPOCHS + 1)
    return panel


def legend_on_top(fig, handles):
    """One legend for the whole figure, in a row above the panels: it covers no data."""
    fig.legend(handles=handles, loc="outside upper center", ncols=len(handles),
               frameon=False, handlelength=2.2, columnspacing=1.4)


def show_run(panel, run, base):
    """Draw ``run`` against the unregularized ``base`` (both :class:`RegRun`)."""
    panel.set("base_train", base.train_loss)
    panel.set("base_val", base.val_loss)
    panel.set("train", run.train_loss)
    panel.set("val", run.val_loss)


def final_losses(ax, x, *, current_label):
    """Final training and validation loss against a knob (one marker per grid value) and a
    ring on the current value. Returns ``(panel, ring)``; the panel's series are ``"train"``
    and ``"val"``."""
    series = {
        "train": {"label": "training", "color": PALETTE[0], "linestyle": "-",
                  "marker": "o", "markevery": 1, "linewidth": 2},
        "val": {"label": "validation", "color": PALETTE[3], "linestyle": "-.",
                "marker": "s", "markevery": 1, "linewidth": 2},
    }
    panel = Curves(ax, x, series, title="", xlabel="", ylabel="", ylim=(0, LOSS_TOP),
                   legend=None)
    (ring,) = ax.plot([x[0]], [1.0], linestyle="none", marker="o", markersize=16,
                      markerfacecolor="none", markeredgecolor=PALETTE[7], markeredgewidth=2,
                      label=current_label)
    return panel, ring


class WholeGrid:
    """Mixin for an :class:`~nnlesson.viz.explorer.Explorer` whose ``precompute`` controls span
    a small grid (here 10 sweeps): the background computes every combination of their values,
    nearest the current setting first, not only the values of one control with the others as
    they are. Then a move of two controls in a row (a new penalty at a new learning rate)
    finds its sweep computed too."""

    def _plan(self, values):
        spec = {c.name: c for c in self.controls}
        names = list(self.precompute)
        here = [spec[n].values.index(values[n]) for n in names]
        combos = itertools.product(*(range(len(spec[n].values)) for n in names))
        order = sorted(combos, key=lambda idx: (sum(abs(i - h) for i, h in zip(idx, here)), idx))
        return [{**values, **{n: spec[n].values[i] for n, i in zip(names, idx)}}
                for idx in order if list(idx) != here]
