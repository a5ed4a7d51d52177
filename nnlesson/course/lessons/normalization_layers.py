"""Lesson 10, normalization layers: the experiments (compute, draw, widget).

* **Training with and without batch norm.** The same network, ``mlp([64, 64, 64, 10])``, trained
  on the digits with and without :class:`~nnlesson.norm.BatchNorm`, for a grid of batch sizes and
  learning rates (all runs computed once, then the sliders only pick).
  :func:`train_run`, :func:`batchnorm_training_grid`, :class:`BatchNormExplorer`,
  :func:`explore_batchnorm_training`, :func:`snapshot_batchnorm_training`.
* **How much faster?** Seed 001 says networks with batch norm "often train 10-15x faster".
  :func:`batchnorm_speedup` measures, on the digits, how many epochs each network needs to reach
  a target validation accuracy at its best learning rate; :func:`figure_batchnorm_speedup`.
* **Does a sample's output depend on its batch?** One fixed sample put into many different
  random batches: batch norm in training mode gives it a different output in each batch (the
  batch's statistics), evaluation mode (running statistics) and layer/group norm do not.
  :func:`batch_dependence`, :class:`TrainEvalExplorer`, :func:`explore_train_vs_eval`,
  :func:`snapshot_train_vs_eval`.
* :func:`figure_norm_axes`: which numbers share a mean and a variance in each layer.

Every normalization comes from :mod:`nnlesson.norm`, training from :mod:`nnlesson.train`.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_bool, check_choice, check_int, check_number, check_rng
from nnlesson.datasets import load_digits_split
from nnlesson.viz.plotting import Backdrop, nearest_on_log_grid, trailing_mean

__all__ = [
    "BN_BATCH_SIZES",
    "BN_LRS",
    "TrainRun",
    "train_run",
    "batchnorm_training_grid",
    "batchnorm_grid_table",
    "BatchNormExplorer",
    "explore_batchnorm_training",
    "snapshot_batchnorm_training",
    "Speedup",
    "batchnorm_speedup",
    "figure_batchnorm_speedup",
    "LAYERS",
    "Dependence",
    "make_features",
    "batch_dependence",
    "TrainEvalExplorer",
    "explore_train_vs_eval",
    "snapshot_train_vs_eval",
    "figure_norm_axes",
]

#: Batch sizes and learning rates of the training experiment (the sliders' positions).
BN_BATCH_SIZES = (2, 8, 32, 64)
BN_LRS = tuple(float(10.0 ** e) for e in np.arange(-2.0, 0.51, 0.5))  # 0.01 ... 3.16

#: Hidden layer widths of the network of the training experiments.
HIDDEN = (64, 64)


# --------------------------------------------------------------------------- training runs


@dataclass(frozen=True, eq=False)
class TrainRun:
    """One training run (see :func:`train_run`).

    Attributes:
        loss (updates,): the mini-batch loss of each update (NaN after a divergence).
        val_acc: validation accuracy at the end, in evaluation mode (NaN if diverged).
        diverged: True if the loss or a gradient became NaN/inf.
    """

    loss: np.ndarray
    val_acc: float
    diverged: bool


def _model(batch_norm, seed, hidden=HIDDEN):
    from nnlesson.train import mlp

    return mlp([64, *hidden, 10], batch_norm=batch_norm, rng=seed)


def train_run(batch_norm, lr, batch_size, *, updates=50, seed=0):
    """Train ``mlp([64, 64, 64, 10], batch_norm=...)`` on the digits for a fixed number of updates.

    Plain SGD (``nnlesson.optim.SGD(lr)``, no momentum) through :func:`nnlesson.train.fit`, on
    ``updates`` mini-batches of ``batch_size`` rows taken epoch after epoch from fresh
    permutations of the 1257 training digits (so every run takes the same number of steps,
    whatever its batch size). With ``batch_norm=True`` every hidden ``Linear`` is followed by a
    ``BatchNorm`` (PyTorch's defaults: momentum 0.1, eps 1e-5) and has no bias.

    Returns:
        :class:`TrainRun`; the validation accuracy is measured in evaluation mode (running
        statistics), as a deployed network would be.
    """
    from nnlesson.optim import SGD
    from nnlesson.train import evaluate, fit

    check_bool("batch_norm", batch_norm)
    lr = check_number("lr", lr, low=0, low_open=True)
    batch_size = check_int("batch_size", batch_size, low=2)
    updates = check_int("updates", updates, low=1)
    X, X_val, y, y_val = load_digits_split()
    rng = check_rng(seed)
    need = updates * batch_size
    order = np.concatenate([rng.permutation(len(X)) for _ in range(need // len(X) + 1)])[:need]
    model = _model(batch_norm, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverged run is part of the measurement
        history = fit(model, X[order], y[order], optimizer=SGD(model.parameters(), lr=lr),
                      epochs=1, batch_size=batch_size, shuffle=False)
    loss = np.full(updates, np.nan)
    if history.diverged:
        loss[:history.diverged_at] = history.loss[:history.diverged_at]
    else:
        loss[:] = history.loss
    val_acc = math.nan if history.diverged else float(evaluate(model, X_val, y_val)[1])
    return TrainRun(loss=loss, val_acc=val_acc, diverged=history.diverged)


def batchnorm_training_grid(batch_sizes=BN_BATCH_SIZES, lrs=BN_LRS, updates=50):
    """Every :func:`train_run` of the grid, with and without batch norm.

    Returns ``{(batch_norm, batch_size, lr): TrainRun}``; cached, so the widget and the snapshot
    share it. Cost: ``2 * len(batch_sizes) * len(lrs)`` runs of ``updates`` updates.
    """
    return dict(_training_grid(tuple(int(b) for b in batch_sizes),
                               tuple(float(lr) for lr in lrs), int(updates)))


def batchnorm_grid_table(grid, batch_sizes=BN_BATCH_SIZES):
    """Validation accuracy of the grid as text: a row per batch size and with/without batch
    norm, a column per learning rate ("div." where the run diverged)."""
    lrs = sorted({lr for (_, _, lr) in grid})
    lines = ["learning rate           " + "".join(f"{lr:>7.2g}" for lr in lrs)]
    for bs in batch_sizes:
        for bn in (False, True):
            runs = [grid[(bn, int(bs), lr)] for lr in lrs]
            cells = "".join(f"{'div.':>7}" if r.diverged else f"{r.val_acc:>7.2f}" for r in runs)
            lines.append(f"batch {bs:>2}, {'with BN   ' if bn else 'without BN'}{cells}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=2)
def _training_grid(batch_sizes, lrs, updates):
    return {(bn, bs, lr): train_run(bn, lr, bs, updates=updates)
            for bn in (False, True) for bs in batch_sizes for lr in lrs}


_nearest = nearest_on_log_grid  # shared with the other lessons' sliders
_smooth = trailing_mean


def _acc_text(run):
    return "diverged" if run.diverged else f"{100 * run.val_acc:.0f} %"


class BatchNormExplorer:
    """Loss curves with and without batch norm for one batch size and learning rate.

    All runs come from :func:`batchnorm_training_grid` (computed once); :meth:`update` picks the
    grid point nearest to the sliders and changes the artists only. With ``bake=True`` (the
    widget) the static parts are painted once
    (:class:`~nnlesson.viz.plotting.Backdrop`).
    """

    def __init__(self, bake=True):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.grid = batchnorm_training_grid()
        self.updates = len(next(iter(self.grid.values())).loss)
        fig, ax = new_figure(1, 1, width=7.5, height=4.3)
        self.figure, self.axes = fig, ax
        steps = np.arange(1, self.updates + 1)
        self.lines = {}
        for i, (bn, name) in enumerate(((False, "without batch norm"), (True, "with batch norm"))):
            style = dict(series_style(i), markevery=0.1, markersize=5)
            (raw,) = ax.plot(steps, np.ones(self.updates), color=style["color"], alpha=0.25,
                             linewidth=0.8, linestyle="-")
            (line,) = ax.plot(steps, np.ones(self.updates), label=name, **style)
            self.lines[bn] = (raw, line)
        ax.axhline(math.log(10), color=PALETTE[7], linestyle=":", linewidth=1)
        ax.text(self.updates, math.log(10), "ln 10: guessing", fontsize=8, ha="right",
                va="bottom")
        ax.set_xlim(0, self.updates + 1)
        ax.set_ylim(0, 3.5)
        label_axes(ax, title="same network, same steps: which one learns faster?",
                   xlabel="update", ylabel="training loss (thick: mean of 5 mini-batches)")
        ax.legend(fontsize=8, loc="lower left")
        # only the two numbers change: dynamic text is the slowest thing to redraw
        ax.text(0.98, 0.97, "validation accuracy\n(eval mode) at the end:", transform=ax.transAxes,
                ha="right", va="top", fontsize=8)
        self.acc_text = {}
        for i, (bn, name) in enumerate(((False, "without BN"), (True, "with BN"))):
            y = 0.83 - 0.07 * i
            ax.text(0.86, y, f"{name}:", transform=ax.transAxes, ha="right", va="top", fontsize=8,
                    color=PALETTE[i])
            self.acc_text[bn] = ax.text(0.98, y, "", transform=ax.transAxes, ha="right",
                                        va="top", fontsize=8, color=PALETTE[i])
        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(
                fig, [a for pair in self.lines.values() for a in pair]
                + list(self.acc_text.values()))

    def compute(self, batch_size=32, lr=0.316):
        """``({False: run, True: run}, lr)`` at the grid point nearest to the sliders."""
        check_choice("batch_size", batch_size, BN_BATCH_SIZES)
        lr = _nearest(BN_LRS, lr)
        return {bn: self.grid[(bn, batch_size, lr)] for bn in (False, True)}, lr

    def update(self, batch_size=32, lr=0.316):
        runs, lr = self.compute(batch_size, lr)
        self.runs = runs
        for bn, (raw, line) in self.lines.items():
            loss = runs[bn].loss
            raw.set_ydata(np.clip(loss, 0, 3.45))
            line.set_ydata(np.clip(_smooth(loss), 0, 3.45))
            self.acc_text[bn].set_text(_acc_text(runs[bn]))


def explore_batchnorm_training(batch_size=32, lr=0.316):
    """Batch size and learning rate (log) sliders; loss curves with and without batch norm."""
    from nnlesson.viz.widgets import interactive_plot, lr_slider, selection_slider

    drawing = BatchNormExplorer()
    batch = selection_slider(BN_BATCH_SIZES, batch_size, description="batch size")
    return interactive_plot(drawing.figure, drawing.update, batch_size=batch,
                            lr=lr_slider(lr, min_exp=-2.0, max_exp=0.5, steps=0.5))


def snapshot_batchnorm_training(batch_size=32, lr=0.316):
    """The explorer's figure for one setting (a static Figure for slides)."""
    drawing = BatchNormExplorer(bake=False)
    drawing.update(batch_size=batch_size, lr=lr)
    lr = drawing.compute(batch_size, lr)[1]
    drawing.axes.set_title(f"batch size {batch_size}, learning rate {lr:.3g}: which one learns "
                           f"faster?", fontsize=10)
    return drawing.figure


# --------------------------------------------------------------------------- the speed-up claim


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
        """(len(lrs),): epochs to the target, mean over the seeds (inf if a seed never did)."""
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


def batchnorm_speedup(lrs=(0.1, 0.316, 1.0, 3.16), seeds=(0, 1), epochs=8, target=0.95,
                      batch_size=64):
    """Epochs to reach ``target`` validation accuracy on the digits, with and without batch norm.

    For every learning rate and seed, ``mlp([64, 64, 64, 10], batch_norm=...)`` is trained with
    plain SGD by :func:`nnlesson.train.fit` (``epochs`` epochs of ``batch_size``, validation
    accuracy after each epoch, in evaluation mode). Both networks get the same learning-rate
    grid and the same seeds (initial weights and shuffling).

    Returns:
        :class:`Speedup`.
    """
    from nnlesson.optim import SGD
    from nnlesson.train import fit

    epochs = check_int("epochs", epochs, low=1)
    target = check_number("target", target, low=0, high=1)
    batch_size = check_int("batch_size", batch_size, low=2)
    X, X_val, y, y_val = load_digits_split()
    lrs, seeds = tuple(float(lr) for lr in lrs), tuple(seeds)
    acc = np.full((2, len(lrs), len(seeds), epochs), np.nan)
    for b, bn in enumerate((False, True)):
        for i, lr in enumerate(lrs):
            for j, seed in enumerate(seeds):
                model = _model(bn, seed)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    h = fit(model, X, y, optimizer=SGD(model.parameters(), lr=lr), epochs=epochs,
                            batch_size=batch_size, rng=seed, X_val=X_val, y_val=y_val)
                acc[b, i, j, :len(h.val_acc)] = h.val_acc
    reached = np.nan_to_num(acc, nan=0.0) >= target
    first = np.where(reached.any(axis=-1), reached.argmax(axis=-1) + 1.0, np.inf)
    return Speedup(lrs=lrs, seeds=seeds, epochs=epochs, target=target, batch_size=batch_size,
                   val_acc=acc, epochs_to_target=first)


def figure_batchnorm_speedup(result):
    """Validation accuracy per epoch at each network's best learning rate (seed means)."""
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure, series_style

    fig, ax = new_figure(1, 1, width=6.5, height=4.0)
    epochs = np.arange(1, result.epochs + 1)
    for i, (bn, name) in enumerate(((False, "without batch norm"), (True, "with batch norm"))):
        n, lr = result.best(bn)
        k = result.lrs.index(lr)
        ax.plot(epochs, 100 * np.nanmean(result.val_acc[int(bn), k], axis=0),
                label=f"{name} (lr {lr:.3g})", **dict(series_style(i), markevery=1))
    ax.axhline(100 * result.target, color=PALETTE[7], linestyle=":", linewidth=1)
    ax.text(result.epochs, 100 * result.target, f"target {100 * result.target:.0f} %",
            fontsize=8, ha="right", va="bottom")
    ax.set_ylim(80, 100)
    label_axes(ax, title=f"each at its best learning rate: {result.ratio:.1f}x fewer epochs "
                         f"with batch norm",
               xlabel="epoch", ylabel="validation accuracy (%)")
    ax.legend(fontsize=8, loc="lower right")
    return fig


# --------------------------------------------------------------------------- batch dependence

#: The layers of the train-vs-eval experiment.
LAYERS = ("batch norm", "layer norm", "group norm")
N_FEATURES = 12
N_GROUPS = 3


def make_features(n=2000, n_features=N_FEATURES, seed=0):
    """Synthetic hidden-layer values: feature ``j`` is ``N(mean_j, scale_j^2)``.

    Means ~ N(0, 2^2), scales log-uniform in [0.3, 3]: features on different scales, as the
    pre-activations of a hidden layer often are. Returns an array (n, n_features).
    """
    rng = check_rng(seed)
    means = rng.normal(0.0, 2.0, n_features)
    scales = np.exp(rng.uniform(np.log(0.3), np.log(3.0), n_features))
    return means + scales * rng.standard_normal((n, n_features))


@dataclass(frozen=True, eq=False)
class Dependence:
    """Sample 0's normalized output in many random batches (see :func:`batch_dependence`).

    Attributes:
        outputs (n_batches, D): its output in each batch.
        reference (D,): the output it would get from statistics of the whole data set
            (batch norm) or on its own (layer/group norm: the same thing in any batch).
        spread: mean over features of (max - min) of ``outputs`` over the batches.
        running_mean, running_var (D,): batch norm's running statistics (None otherwise).
    """

    outputs: np.ndarray
    reference: np.ndarray
    spread: float
    running_mean: np.ndarray | None
    running_var: np.ndarray | None


def batch_dependence(layer="batch norm", eval_mode=False, batch_size=4, momentum=0.1,
                     batches_seen=50, *, n_batches=20, seed=0):
    """Put sample 0 of :func:`make_features` into ``n_batches`` random batches; normalize each.

    * ``"batch norm"``: a :class:`~nnlesson.norm.BatchNorm` (gamma 1, beta 0, ``momentum``) first
      sees ``batches_seen`` random training batches of ``batch_size`` in training mode, which
      moves its running statistics from (0, 1) towards the data's
      (``running = (1 - momentum) * running + momentum * batch``). Then each test batch (sample 0
      plus ``batch_size - 1`` random others) goes through it in training mode (batch statistics,
      :func:`~nnlesson.norm.batchnorm_forward`; the running statistics are left as they were
      after the warm-up) or, with ``eval_mode``, in evaluation mode (running statistics).
    * ``"layer norm"`` / ``"group norm"``: :func:`~nnlesson.norm.layernorm_forward` /
      :func:`~nnlesson.norm.groupnorm_forward` (3 groups of 4 features); they have no mode.

    Returns:
        :class:`Dependence`.
    """
    from nnlesson.norm import BatchNorm, batchnorm_forward, groupnorm_forward, layernorm_forward

    check_choice("layer", layer, LAYERS)
    eval_mode = check_bool("eval_mode", eval_mode)
    batch_size = check_int("batch_size", batch_size, low=2)
    momentum = check_number("momentum", momentum, low=0, high=1)
    batches_seen = check_int("batches_seen", batches_seen, low=0)
    n_batches = check_int("n_batches", n_batches, low=1)
    data = _features(seed)
    x0, pool = data[0], data[1:]
    rng = check_rng(seed + 1)
    gamma, beta = np.ones(N_FEATURES), np.zeros(N_FEATURES)
    batches = [np.vstack([x0, pool[rng.choice(len(pool), batch_size - 1, replace=False)]])
               for _ in range(n_batches)]
    running_mean = running_var = None
    if layer == "batch norm":
        bn = BatchNorm(N_FEATURES, momentum=momentum)
        warm = np.random.default_rng(seed + 2)
        for _ in range(batches_seen):
            bn.forward(pool[warm.choice(len(pool), batch_size, replace=False)])
        running_mean, running_var = bn.running_mean.copy(), bn.running_var.copy()
        if eval_mode:
            bn.eval()
            outputs = np.array([bn.forward(b)[0] for b in batches])
        else:
            outputs = np.array([batchnorm_forward(b, gamma, beta)[0][0] for b in batches])
        reference = (x0 - data.mean(axis=0)) / np.sqrt(data.var(axis=0) + bn.eps)
    elif layer == "layer norm":
        outputs = np.array([layernorm_forward(b, gamma, beta)[0][0] for b in batches])
        reference = layernorm_forward(x0[None], gamma, beta)[0][0]
    else:
        outputs = np.array([groupnorm_forward(b, gamma, beta, N_GROUPS)[0][0] for b in batches])
        reference = groupnorm_forward(x0[None], gamma, beta, N_GROUPS)[0][0]
    spread = float(np.mean(outputs.max(axis=0) - outputs.min(axis=0)))
    return Dependence(outputs=outputs, reference=reference, spread=spread,
                      running_mean=running_mean, running_var=running_var)


@functools.lru_cache(maxsize=4)
def _features(seed):
    data = make_features(seed=seed)
    data.flags.writeable = False
    return data


class TrainEvalExplorer:
    """Sample 0's output in 20 random batches, for one layer, mode, batch size and momentum.

    ``bake`` as in :class:`BatchNormExplorer`.
    """

    def __init__(self, n_batches=20, bake=True):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure

        self.n_batches = check_int("n_batches", n_batches, low=1)
        fig, ax = new_figure(1, 1, width=7.5, height=4.3)
        self.figure, self.axes = fig, ax
        feats = np.arange(1, N_FEATURES + 1)
        jitter = np.linspace(-0.25, 0.25, self.n_batches)
        self._x = (feats[None, :] + jitter[:, None]).ravel()
        (self.dots,) = ax.plot(self._x, np.zeros_like(self._x), linestyle="none", marker="o",
                               markersize=4, color=PALETTE[0], alpha=0.7,
                               label=f"sample 0 in {self.n_batches} different batches")
        (self.ref,) = ax.plot(feats, np.zeros(N_FEATURES), linestyle="none", marker="_",
                              markersize=18, markeredgewidth=2.5, color=PALETTE[3],
                              label="reference: BN with the data set's statistics;\n"
                                    "LN and GN with sample 0 alone")
        ax.axhline(0.0, color="#999999", linewidth=0.7)
        ax.set_xlim(0.4, N_FEATURES + 0.6)
        ax.set_ylim(-4.0, 4.0)
        ax.set_xticks(feats)
        label_axes(ax, title="does sample 0's output depend on the rest of its batch?",
                   xlabel="feature", ylabel="normalized output")
        ax.legend(fontsize=8, loc="lower left")
        ax.text(0.90, 0.97, "spread over the batches:", transform=ax.transAxes, ha="right",
                va="top", fontsize=9)
        self.text = ax.text(0.98, 0.97, "", transform=ax.transAxes, ha="right", va="top",
                            fontsize=9)
        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, [self.dots, self.ref, self.text])

    def compute(self, layer="batch norm", eval_mode=False, batch_size=4, momentum=0.1,
                batches_seen=50):
        return batch_dependence(layer, eval_mode, batch_size, momentum, batches_seen,
                                n_batches=self.n_batches)

    def update(self, layer="batch norm", eval_mode=False, batch_size=4, momentum=0.1,
               batches_seen=50):
        res = self.compute(layer, eval_mode, batch_size, momentum, batches_seen)
        self.result = res
        self.dots.set_ydata(np.clip(res.outputs, -3.95, 3.95).ravel())
        self.ref.set_ydata(res.reference)
        self.text.set_text(f"{res.spread:.2f}")


def explore_train_vs_eval(layer="batch norm", eval_mode=False, batch_size=4, momentum=0.1,
                          batches_seen=50):
    """The layer, a train/eval toggle, the batch size, BN's momentum and how many batches it saw."""
    from nnlesson.viz.widgets import choice, float_slider, int_slider, interactive_plot, toggle

    drawing = TrainEvalExplorer()
    return interactive_plot(
        drawing.figure, drawing.update,
        layer=choice(list(LAYERS), layer, description="layer"),
        eval_mode=toggle(eval_mode, description="evaluation mode (eval())"),
        batch_size=int_slider(batch_size, min=2, max=64, description="batch size"),
        momentum=float_slider(momentum, min=0.01, max=1.0, step=0.01,
                              description="BN momentum (PyTorch)"),
        batches_seen=int_slider(batches_seen, min=0, max=200, description="batches seen (BN)"),
    )


def snapshot_train_vs_eval(layer="batch norm", eval_mode=False, batch_size=4, momentum=0.1,
                           batches_seen=50):
    """The experiment's figure for one setting (a static Figure)."""
    drawing = TrainEvalExplorer(bake=False)
    drawing.update(layer=layer, eval_mode=eval_mode, batch_size=batch_size, momentum=momentum,
                   batches_seen=batches_seen)
    if layer == "batch norm":
        mode = (f"eval mode (running stats after {batches_seen} batches)" if eval_mode
                else "train mode")
        layer = f"{layer}, {mode}"
    drawing.axes.set_title(f"{layer}, batch size {batch_size}: does sample 0's output depend "
                           f"on its batch?", fontsize=10)
    return drawing.figure


# --------------------------------------------------------------------------- who shares statistics


def figure_norm_axes(n=6, channels=8, groups=2):
    """Three grids of a batch (rows: samples, columns: features/channels), one per layer.

    Cells of one colour share one mean and one variance: a column in batch norm, a row in layer
    norm, a row's group of ``channels / groups`` channels in group norm.
    """
    from matplotlib.colors import ListedColormap

    from nnlesson.viz.plotting import PALETTE, new_figure

    fig, axes = new_figure(3, 1, width=11.0, height=3.6)
    size = channels // groups
    layouts = {
        "batch norm: each feature over the batch": np.tile(np.arange(channels), (n, 1)),
        "layer norm: each sample over its features": np.tile(np.arange(n)[:, None], (1, channels)),
        f"group norm: each sample, per group of {size}":
            np.arange(n)[:, None] * groups + np.arange(channels)[None, :] // size,
    }
    colours = ListedColormap([PALETTE[k] for k in (0, 1, 2, 3, 4, 5)])
    hatches = ("", "//", "..", "xx", "\\\\", "oo")
    for ax, (title, ids) in zip(axes, layouts.items()):
        ax.imshow(ids % 6, cmap=colours, vmin=-0.5, vmax=5.5, aspect="equal")
        for (r, c), k in np.ndenumerate(ids):
            if hatches[k % 6]:
                ax.add_patch(_cell(c, r, hatches[k % 6]))
        ax.set_xticks(np.arange(-0.5, channels, 1), minor=True)
        ax.set_yticks(np.arange(-0.5, n, 1), minor=True)
        ax.grid(which="minor", color="#FFFFFF", linewidth=1.5)
        ax.tick_params(which="both", length=0)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(title, fontsize=10)
        ax.set_xlabel(f"features / channels ({channels})")
        ax.set_ylabel(f"samples in the batch ({n})")
    return fig


def _cell(c, r, hatch):
    from matplotlib.patches import Rectangle

    return Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, hatch=hatch, edgecolor="#FFFFFF",
                     linewidth=0)
