"""Lesson 03: why shuffle. The wine file is sorted by cultivar; cut in file order, every batch
holds one cultivar and each epoch walks the weights through the three groups in the same order."""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_int
from nnlesson.course.lessons.minibatch_gradient_descent._plot import _plain_log_ticks, _positive
from nnlesson.course.lessons.minibatch_gradient_descent.data import _wine_arrays, min_loss
from nnlesson.course.lessons.minibatch_gradient_descent.training import EPOCHS, wine_run
from nnlesson.data import iterations_per_epoch

__all__ = ["figure_shuffling", "figure_batch_contents"]


def figure_shuffling(batch_size=16, lr=0.1, epochs=EPOCHS):
    """Shuffled every epoch vs the file's order (sorted by cultivar), same batch size and rate.

    Left: the cultivars in each batch of one epoch. Right: the loss on all the data
    after every update; dotted lines mark the epochs.
    """
    from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

    _, _, cultivar = _wine_arrays()
    n = len(cultivar)
    fig, (ax_b, ax_l) = figure((880, 400), 2, 1)
    order = np.random.default_rng(0).permutation(n)
    _draw_batch_contents(ax_b, {
        "file order": [cultivar[i:i + batch_size] for i in range(0, n, batch_size)],
        "shuffled": [cultivar[order[i:i + batch_size]] for i in range(0, n, batch_size)],
    }, batch_size)

    for i, shuffle in enumerate([True, False]):
        run = wine_run(batch_size, lr, shuffle, epochs)
        st = dict(series_style(i), markevery=run.iterations_per_epoch, markersize=5)
        ax_l.plot(np.arange(len(run.full_loss)), _positive(run.full_loss),
                  label="shuffled every epoch" if shuffle else "file order, never shuffled",
                  **st)
    ipe = iterations_per_epoch(n, batch_size)
    for e in range(1, epochs):
        ax_l.axvline(e * ipe, color="#dddddd", linewidth=0.8, zorder=0)
    ax_l.axhline(min_loss(), color="#555555", linestyle=":", linewidth=1.0,
                 label="lowest possible loss")
    ax_l.set_yscale("log")
    ax_l.set_ylim(0.35, 3.0)
    _plain_log_ticks(ax_l, (0.4, 0.6, 1.0, 2.0, 3.0))
    ax_l.legend(loc="upper right", framealpha=0.9)
    label_axes(ax_l, title=f"batch size {batch_size}, lr {lr:g}: order?",
               xlabel="update (grey lines: epochs)", ylabel="loss on all the wines")
    readable(fig)
    return describe(fig, f"Left: stacked bars of the cultivars in each batch of {batch_size} "
                         "wines for one epoch, in the file's order (each batch one cultivar, two "
                         "at the borders) and shuffled (every batch mixed). Right: the loss on all "
                         f"the wines after every update at learning rate {lr:g}, shuffled every "
                         "epoch against the file's order, with grey lines at the epochs and the "
                         "lowest possible loss dotted.")


def _draw_batch_contents(ax, groups, batch_size):
    """Stacked bars: how many wines of each cultivar are in each batch, one group of bars per
    entry of ``groups`` (name -> list of label arrays, one per batch)."""
    from nnlesson.viz.plotting import label_axes, series_style

    row, centres = 0, []
    for name, batches in groups.items():
        first = row
        for labels in batches:
            counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=3)
            left = 0
            for c in range(3):
                st = series_style(c)
                ax.barh(row, counts[c], left=left, color=st["color"], hatch=("", "//", "..")[c],
                        edgecolor="white", label=f"cultivar {c}" if row == 0 else None)
                left += counts[c]
            row += 1
        centres.append((first + row - 1) / 2)
        row += 3  # a gap between the groups
    ax.set_yticks(centres, list(groups))
    ax.invert_yaxis()
    ax.set_xlim(0, batch_size * 1.6)
    ax.legend(loc="center right", framealpha=0.9)
    label_axes(ax, title=f"what is in each batch of {batch_size}?", xlabel="wines in the batch",
               ylabel="batches of one epoch, top to bottom")


def figure_batch_contents(groups, batch_size):
    """The cultivars in each batch of an epoch, for one or more ways of cutting the wines.

    ``groups``: name -> list of label arrays (the cultivars of the wines of each batch).
    """
    from nnlesson.viz.plotting import describe, figure, readable

    fig, ax = figure((600, 420))
    groups = dict(groups)
    _draw_batch_contents(ax, groups, check_int("batch_size", batch_size, low=1))
    readable(fig)
    return describe(fig, f"Stacked bars of the three cultivars in each batch of {batch_size} "
                         f"wines, one group of bars for each of: {', '.join(groups)}.")
