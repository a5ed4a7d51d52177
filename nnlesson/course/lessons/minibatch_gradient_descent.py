"""Lesson 03, batch, stochastic and mini-batch gradient descent: the experiments.

**Batch size and learning rate.** A linear model predicts a wine's alcohol content from its
twelve other measurements (UCI Wine, standardized). It is trained for a fixed number of epochs
with mini-batches of any size, from 1 (stochastic gradient descent) to all 178 wines (batch
gradient descent), drawn by :func:`nnlesson.data.minibatches`, and every update is
:func:`nnlesson.optim.gd_update`. Two views of the same run:

- **per update**: the loss of the mini-batch each update was computed on, next to the loss on
  all the data at the same weights; the gap between them is the noise that small batches add;
- **per epoch**: the loss on all the data after each epoch, next to batch gradient descent at
  the same learning rate. Every epoch processes the same number of samples whatever the batch
  size, but small batches make many more updates out of them.

Wall time is not measured (the notebooks store no timings); the figures count what it depends
on instead: updates per epoch and samples processed.

**Shuffling.** The wine file is sorted by cultivar. Cut into batches in file order, as the loop
``for i in range(0, len(data), batch_size)`` of the seeds does, every batch holds wines of one
cultivar only, and each epoch walks the weights through the three groups in the same order.

Pieces: :func:`wine_regression`, :class:`MinibatchRun`, :func:`train_minibatch`,
:func:`wine_run`, :func:`min_loss`, :func:`batch_plan`, :func:`seed_loop_batches`,
:func:`batch_size_table`,
:class:`MinibatchExplorer`, :func:`explore_minibatches`, :func:`snapshot_minibatches`,
:func:`figure_shuffling`.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_bool, check_int, check_number
from nnlesson.data import iterations_per_epoch, minibatches
from nnlesson.optim import gd_update
from nnlesson.viz.plotting import Backdrop

__all__ = [
    "EPOCHS",
    "wine_regression",
    "batch_plan",
    "seed_loop_batches",
    "MinibatchRun",
    "train_minibatch",
    "wine_run",
    "min_loss",
    "BatchSizeRow",
    "batch_size_table",
    "format_batch_size_table",
    "MinibatchExplorer",
    "explore_minibatches",
    "snapshot_minibatches",
    "figure_shuffling",
    "figure_batch_contents",
    "epoch_cost",
]

#: Epochs of every run of the experiment.
EPOCHS = 10

#: A run counts as diverged once the loss on all the data exceeds this.
DIVERGED = 1e6


@functools.lru_cache(maxsize=None)
def _wine_arrays():
    from nnlesson.datasets import load_wine
    from nnlesson.scaling import StandardScaler

    d = load_wine()
    k = d.feature_names.index("alcohol")
    X = StandardScaler().fit_transform(np.delete(d.X, k, axis=1))
    y = StandardScaler().fit_transform(d.X[:, [k]])[:, 0]
    Z = np.column_stack([X, np.ones(len(X))])  # the last weight is the bias
    for a in (Z, y, d.y):
        a.flags.writeable = False
    return Z, y, d.y


def wine_regression():
    """The lesson's data, in the order of the file (sorted by cultivar).

    Returns:
        ``(Z, y, cultivar)``: Z float64 (178, 13), the twelve wine measurements other than
        alcohol, standardized, and a last column of ones (for the bias); y float64 (178,), the
        alcohol content, standardized; cultivar int64 (178,) in {0, 1, 2}, 59 + 71 + 48 wines
        in that order. Fresh copies.
    """
    return tuple(a.copy() for a in _wine_arrays())


def batch_plan(n_samples, batch_size, drop_last=False):
    """The sizes of the batches of one epoch, e.g. ``batch_plan(178, 32) == [32] * 5 + [18]``.

    Their number is :func:`nnlesson.data.iterations_per_epoch`; they add up to ``n_samples``
    (to ``n_samples - n_samples % batch_size`` with ``drop_last=True``).
    """
    ipe = iterations_per_epoch(n_samples, batch_size, drop_last=drop_last)
    full, rest = divmod(n_samples, batch_size)
    sizes = [batch_size] * min(full, ipe)
    if len(sizes) < ipe:
        sizes.append(rest)
    return sizes


def seed_loop_batches(data, batch_size):
    """The batches of the seeds' loop, exactly as written there::

        for i in range(0, len(data), batch_size):
            batch = data[i:i + batch_size]

    Returns the list of batches. It keeps the last, smaller batch (slicing past the end is
    allowed), but it never shuffles: every epoch sees the same batches in the same order.
    """
    batch_size = check_int("batch_size", batch_size, low=1)
    return [data[i:i + batch_size] for i in range(0, len(data), batch_size)]


def epoch_cost(n_samples, n_weights, batch_size):
    """What one epoch of :func:`train_minibatch` costs: ``(updates, samples, flops)``.

    Floating-point operations of one update on a batch of m rows and p weights: the
    prediction ``Z_b w`` (2 m p), the residual (m), the loss (2 m), the gradient
    ``(2 / m) Z_b^T r`` (2 m p + p) and the update ``w - lr g`` (2 p). Summed over an epoch::

        flops = 4 n p + 3 n + updates * 3 p

    The first two terms are the same for every batch size; only the last grows with the
    number of updates. (Wall time grows with the updates much faster than that: every update
    has a fixed cost - a turn of the Python loop, a kernel launch on a GPU - that flops do not
    count.)
    """
    n_samples = check_int("n_samples", n_samples, low=1)
    n_weights = check_int("n_weights", n_weights, low=1)
    updates = iterations_per_epoch(n_samples, batch_size)
    flops = 4 * n_samples * n_weights + 3 * n_samples + updates * 3 * n_weights
    return updates, n_samples, flops


# --------------------------------------------------------------------------- one run


@dataclass(frozen=True, eq=False)
class MinibatchRun:
    """One training run of :func:`train_minibatch`.

    Attributes:
        batch_size, lr, epochs, shuffle, n_samples: what was run.
        iterations_per_epoch: updates per epoch, ``ceil(n_samples / batch_size)``.
        batch_sizes: (T,) the size of the mini-batch of each update (T updates in all).
        batch_loss: (T,) the loss of that mini-batch, at the weights before the update.
        full_loss: (T + 1,) the loss on all the samples: at the start, then after each update.
        diverged_at: None, or the update (from 0) after which the loss on all the samples
            exceeded 1e6 or was not finite; the arrays stop there.
    """

    batch_size: int
    lr: float
    epochs: int
    shuffle: bool
    n_samples: int
    iterations_per_epoch: int
    batch_sizes: np.ndarray
    batch_loss: np.ndarray
    full_loss: np.ndarray
    diverged_at: int | None

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def updates(self):
        """Number of updates made."""
        return len(self.batch_loss)

    @property
    def samples_processed(self):
        """How many samples the gradients were computed on, in all (``epochs * n`` if complete)."""
        return int(self.batch_sizes.sum())

    @property
    def epoch_loss(self):
        """(epochs + 1,): the loss on all the samples at the start and after each epoch (NaN
        for epochs not completed)."""
        out = np.full(self.epochs + 1, np.nan)
        ends = np.arange(self.epochs + 1) * self.iterations_per_epoch
        done = ends < len(self.full_loss)
        out[done] = self.full_loss[ends[done]]
        return out

    @property
    def final_loss(self):
        """The loss on all the samples after the last epoch (NaN if the run diverged)."""
        return float(self.epoch_loss[-1])

    @property
    def noise(self):
        """How far the mini-batch loss strays from the loss on all the samples, relative to it:
        ``sqrt(mean(((batch_loss - full_loss) / full_loss)^2))`` over the updates, both at the
        same weights. 0 for batch gradient descent."""
        full = self.full_loss[: self.updates]
        return float(np.sqrt(np.mean(((self.batch_loss - full) / full) ** 2)))


def _sq_loss(Z, y, w):
    """The seeds' mean squared error ``1/m sum_i (z_i . w - y_i)^2`` of the rows of ``Z``."""
    r = Z @ w - y
    return float(r @ r) / len(y)


def train_minibatch(Z, y, batch_size, lr, epochs=EPOCHS, shuffle=True, seed=0):
    """Mini-batch gradient descent on linear least squares, starting from zero weights.

    The model is ``y_hat = Z w`` and the loss of a mini-batch of m rows ``Z_b, y_b`` is the
    seeds' average ``L_b(w) = 1/m sum (Z_b w - y_b)^2`` (as :func:`nnlesson.losses.mse_loss`);
    its gradient is ``g_b = (2 / m) Z_b^T (Z_b w - y_b)``. One epoch is::

        for Z_b, y_b in minibatches(Z, y, batch_size, shuffle=shuffle, rng=rng):
            w = gd_update(w, g_b(w), lr=lr)

    with a fresh order from ``rng = np.random.default_rng(seed)`` at every epoch (or the order
    of the rows every time with ``shuffle=False``); the last, smaller batch is kept.

    Args:
        Z: (n, p) inputs (include a column of ones for a bias). y: (n,) targets.
        batch_size: 1 .. anything (``>= n`` is batch gradient descent).
        lr: learning rate >= 0. epochs: >= 1. shuffle: True or False. seed: int.

    Returns:
        :class:`MinibatchRun`.
    """
    Z = check_array("Z", Z, ndim=2, dtype=np.float64, min_rows=1)
    y = check_array("y", y, ndim=1, dtype=np.float64)
    if y.shape[0] != Z.shape[0]:
        raise ValueError(f"Z and y must have the same number of rows, got {Z.shape} and {y.shape}")
    batch_size = check_int("batch_size", batch_size, low=1)
    lr = check_number("lr", lr, low=0)
    epochs = check_int("epochs", epochs, low=1)
    shuffle = check_bool("shuffle", shuffle)
    seed = check_int("seed", seed, low=0)
    rng = np.random.default_rng(seed)
    n = Z.shape[0]
    w = np.zeros(Z.shape[1])
    sizes, batch_loss, full_loss = [], [], [_sq_loss(Z, y, w)]
    diverged_at = None
    for _ in range(epochs):
        for Zb, yb in minibatches(Z, y, batch_size, shuffle=shuffle, rng=rng):
            m = len(yb)
            r = Zb @ w - yb
            batch_loss.append(float(r @ r) / m)
            w = gd_update(w, (2.0 / m) * (Zb.T @ r), lr=lr, inplace=True)
            sizes.append(m)
            full_loss.append(_sq_loss(Z, y, w))
            if not full_loss[-1] <= DIVERGED:  # also catches NaN
                diverged_at = len(batch_loss) - 1
                break
        if diverged_at is not None:
            break
    return MinibatchRun(batch_size=batch_size, lr=lr, epochs=epochs, shuffle=shuffle, n_samples=n,
                        iterations_per_epoch=iterations_per_epoch(n, batch_size),
                        batch_sizes=np.array(sizes, dtype=np.int64),
                        batch_loss=np.array(batch_loss), full_loss=np.array(full_loss),
                        diverged_at=diverged_at)


@functools.lru_cache(maxsize=512)
def _wine_run(batch_size, lr, shuffle, epochs, seed):
    Z, y, _ = _wine_arrays()
    return train_minibatch(Z, y, batch_size, lr, epochs=epochs, shuffle=shuffle, seed=seed)


def wine_run(batch_size, lr, shuffle=True, epochs=EPOCHS, seed=0):
    """:func:`train_minibatch` on :func:`wine_regression`, cached (runs are deterministic)."""
    return _wine_run(check_int("batch_size", batch_size, low=1), check_number("lr", lr, low=0),
                     check_bool("shuffle", shuffle), check_int("epochs", epochs, low=1),
                     check_int("seed", seed, low=0))


def min_loss():
    """The lowest loss the linear model can reach on the wine data (least squares)."""
    Z, y, _ = _wine_arrays()
    w = np.linalg.lstsq(Z, y, rcond=None)[0]
    return _sq_loss(Z, y, w)


# --------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class BatchSizeRow:
    """One row of :func:`batch_size_table`."""

    batch_size: int
    iterations_per_epoch: int
    last_batch: int
    updates: int
    samples_processed: int
    noise: float
    final_loss: float


def batch_size_table(batch_sizes=(1, 4, 16, 64, 178), lr=0.01, shuffle=True, epochs=EPOCHS,
                     seed=0):
    """For each batch size: updates per epoch, the size of the last batch, updates and samples
    in all, the noise of the mini-batch loss and the loss after ``epochs`` epochs."""
    rows = []
    for b in batch_sizes:
        run = wine_run(b, lr, shuffle, epochs, seed)
        plan = batch_plan(run.n_samples, b)
        rows.append(BatchSizeRow(batch_size=b, iterations_per_epoch=run.iterations_per_epoch,
                                 last_batch=plan[-1], updates=run.updates,
                                 samples_processed=run.samples_processed, noise=run.noise,
                                 final_loss=run.final_loss))
    return rows


def format_batch_size_table(rows):
    """The rows of :func:`batch_size_table` as aligned text (numbers rounded for printing)."""
    lines = [f"{'batch size':>10}{'updates/epoch':>15}{'last batch':>12}{'updates':>9}"
             f"{'samples':>9}{'noise':>8}{'loss after':>12}"]
    for r in rows:
        loss = "diverged" if not math.isfinite(r.final_loss) else f"{r.final_loss:.3f}"
        lines.append(f"{r.batch_size:>10d}{r.iterations_per_epoch:>15d}{r.last_batch:>12d}"
                     f"{r.updates:>9,d}{r.samples_processed:>9,d}{r.noise:>8.2f}{loss:>12}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- the figure


def _positive(a, floor=1e-3):
    """Values for a log axis: NaN stays NaN (a gap), everything else at least ``floor``."""
    a = np.asarray(a, dtype=np.float64)
    return np.where(np.isnan(a), np.nan, np.maximum(a, floor))


def _plain_log_ticks(ax, ticks):
    """Label a log y axis with plain numbers (0.4, 0.6, 1) instead of powers of ten."""
    from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator, ScalarFormatter

    ax.yaxis.set_major_locator(FixedLocator(ticks))
    ax.yaxis.set_major_formatter(ScalarFormatter())
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())


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


def figure_shuffling(batch_size=16, lr=0.1, epochs=EPOCHS):
    """Shuffled every epoch vs the file's order (sorted by cultivar), same batch size and rate.

    Left: the cultivars in each batch of one epoch. Right: the loss on all the data
    after every update; dotted lines mark the epochs.
    """
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    _, _, cultivar = _wine_arrays()
    n = len(cultivar)
    fig, (ax_b, ax_l) = new_figure(2, 1, width=11.0, height=4.0)
    order = np.random.default_rng(0).permutation(n)
    _draw_batch_contents(ax_b, {
        "file order": [cultivar[i:i + batch_size] for i in range(0, n, batch_size)],
        "shuffled": [cultivar[order[i:i + batch_size]] for i in range(0, n, batch_size)],
    }, batch_size)

    for i, shuffle in enumerate([True, False]):
        run = wine_run(batch_size, lr, shuffle, epochs)
        st = dict(series_style(i), markevery=run.iterations_per_epoch, markersize=4)
        ax_l.plot(np.arange(len(run.full_loss)), _positive(run.full_loss),
                  label="shuffled every epoch" if shuffle else "file order, never shuffled",
                  **st)
    ipe = iterations_per_epoch(n, batch_size)
    for e in range(1, epochs):
        ax_l.axvline(e * ipe, color="#dddddd", linewidth=0.8, zorder=0)
    ax_l.axhline(min_loss(), color="#555555", linestyle=":", linewidth=1.0,
                 label="lowest possible loss")
    ax_l.set_yscale("log")
    _plain_log_ticks(ax_l, (0.4, 0.6, 1.0, 1.5, 2.0, 3.0))
    ax_l.legend(loc="upper right", fontsize=8)
    label_axes(ax_l, title=f"batch size {batch_size}, lr {lr:g}: does the order matter?",
               xlabel="update (grey lines: epochs)", ylabel="loss on all the wines")
    return fig


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
    ax.set_xlim(0, batch_size * 1.5)
    ax.legend(loc="center right", fontsize=8)
    label_axes(ax, title=f"what is in each batch of {batch_size}?", xlabel="wines in the batch",
               ylabel="batches of one epoch, top to bottom")


def figure_batch_contents(groups, batch_size):
    """The cultivars in each batch of an epoch, for one or more ways of cutting the wines.

    ``groups``: name -> list of label arrays (the cultivars of the wines of each batch).
    """
    from nnlesson.viz.plotting import new_figure

    fig, ax = new_figure(1, 1, width=6.0, height=4.0)
    _draw_batch_contents(ax, dict(groups), check_int("batch_size", batch_size, low=1))
    return fig
