"""Lesson 13's live experiment: a toggle for every piece of the recipe and a learning rate."""
from __future__ import annotations

import math

import numpy as np

from nnlesson.course.lessons.putting_it_all_together.training import (
    EPOCHS,
    LR,
    LRS,
    PIECE_LABELS,
    PIECES,
    ablation_configs,
    final_accuracy,
    recipe_run,
)
from nnlesson.viz.explorer import Explorer, Slider, Toggle
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import PALETTE, label_axes

__all__ = ["RecipeExplorer", "explore_recipe", "snapshot_recipe"]

_CURRENT = "your combination"
_LOSS_RANGE = (0.02, 10.0)


def _pieces(scaling, minibatches, adam, batch_norm, schedule, clipping, l2):
    return dict(scaling=scaling, minibatches=minibatches, adam=adam, batch_norm=batch_norm,
                schedule=schedule, clipping=clipping, l2=l2)


class RecipeExplorer(Explorer):
    """Your combination of pieces at one learning rate, against the full recipe and the
    recipe minus each piece at the same rate (random seed 0).

    Left: the loss per epoch of your combination (training and validation) and the full
    recipe's validation loss. Right: the final validation accuracy of your combination, the
    full recipe and each leave-one-out configuration. A new learning rate trains 8 runs and a
    new combination one; the other learning rates and the combinations one switch away are
    computed in the background after the first draw.
    """

    controls = (Slider("lr", "learning rate", LRS, default=LR),
                *(Toggle(piece, PIECE_LABELS[piece], default=True) for piece in PIECES))
    size = (880, 390)
    columns = 2
    precompute = ("lr", *PIECES)
    alt = ("Left: the cross-entropy loss per epoch on a log axis, training and validation, of "
           "the chosen combination of the recipe's pieces, and the full recipe's validation "
           "loss. Right: horizontal bars of the validation accuracy after 6 epochs of the "
           "chosen combination (top bar), of the full recipe and of the recipe without each "
           "of its seven pieces, all at the same learning rate.")

    def build(self, fig):
        ax_loss, ax_bar = fig.subplots(1, 2, width_ratios=(1, 1.15))
        series = {"val": {"label": "yours: validation", "color": PALETTE[0], "linestyle": "-",
                          "marker": "o", "linewidth": 2, "markevery": 1},
                  "train": {"label": "yours: training", "color": PALETTE[1], "linestyle": "--",
                            "marker": "s", "linewidth": 2, "markevery": 1},
                  "full": {"label": "full recipe: validation", "color": "#777777",
                           "linestyle": ":", "marker": "x", "linewidth": 1.6, "markevery": 1}}
        self.loss = Curves(ax_loss, np.arange(1, EPOCHS + 1), series, log=True,
                           ylim=_LOSS_RANGE, title="loss per epoch", xlabel="epoch",
                           ylabel="cross-entropy (log)", legend=None)
        ax_loss.set_xlim(0.7, EPOCHS + 0.3)
        labels = [_CURRENT] + [label for label, _ in ablation_configs()]
        y = np.arange(len(labels))[::-1]
        colours = [PALETTE[3], PALETTE[0]] + [PALETTE[5]] * (len(labels) - 2)
        self.bars = list(ax_bar.barh(y, np.zeros(len(labels)), color=colours, height=0.72,
                                     edgecolor="#333333"))
        ax_bar.set_yticks(y, labels)
        ax_bar.set_xlim(0, 100)
        ax_bar.set_ylim(-0.6, len(labels) - 0.4)
        self.bar_texts = [ax_bar.text(1, yi, "", va="center") for yi in y]
        label_axes(ax_bar, title="leave one out, same rate", xlabel="validation accuracy (%)",
                   ylabel="")
        fig.legend(handles=list(self.loss.lines.values()), loc="outside upper center",
                   ncols=3, frameon=False)
        return [*self.loss.artists, *self.bars, *self.bar_texts]

    def compute(self, lr, scaling, minibatches, adam, batch_norm, schedule, clipping, l2):
        """``(your History, {label: History})``: your combination and the ablation's runs at
        ``lr`` (random seed 0; each run cached by :func:`~.training.recipe_run`)."""
        pieces = _pieces(scaling, minibatches, adam, batch_norm, schedule, clipping, l2)
        return (recipe_run(pieces, lr, 0),
                {label: recipe_run(settings, lr, 0) for label, settings in ablation_configs()})

    def update(self, result, lr, scaling, minibatches, adam, batch_norm, schedule, clipping,
               l2):
        current, ablation = result
        self.loss.set("val", current.val_loss)
        self.loss.set("train", current.train_loss)
        self.loss.set("full", ablation["full recipe"].val_loss)
        for bar, text, history in zip(self.bars, self.bar_texts, [current, *ablation.values()]):
            accuracy = final_accuracy(history)
            end = 0.0 if math.isnan(accuracy) else 100 * accuracy
            bar.set_width(end)
            text.set_text("diverged" if math.isnan(accuracy) else f"{end:.1f}")
            inside = end > 30
            text.set_x(end - 1.5 if inside else end + 1.5)
            text.set_horizontalalignment("right" if inside else "left")
            # white on the dark blue of the full recipe, black elsewhere (both pass WCAG AA)
            text.set_color("white" if inside and bar is self.bars[1] else "black")
        pieces = _pieces(scaling, minibatches, adam, batch_norm, schedule, clipping, l2)
        off = [PIECE_LABELS[p] for p, on in pieces.items() if not on]
        what = "the full recipe" if not off else "without " + ", ".join(off)
        accuracy = final_accuracy(current)
        end = (f"diverged at update {current.diverged_at}" if current.diverged
               else f"validation accuracy {100 * accuracy:.1f} %")
        return f"lr {lr:g}, {what}: {end}"


def explore_recipe(**values):
    """The recipe explorer's widget (controls ``lr`` and one toggle per piece)."""
    return RecipeExplorer().explore(**values)


def snapshot_recipe(**values):
    """The recipe explorer's figure for one setting, with its alt text (a static Figure)."""
    return RecipeExplorer().snapshot(**values)
