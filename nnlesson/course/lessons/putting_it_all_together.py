"""Lesson 13, putting it all together: the experiments (compute, draw, widget).

**The recipe.** Seed 000's "typical modern approach" (feature scaling and batch norm, mini-batch
gradient descent with Adam, learning-rate decay) plus the stabilizers of seed 001 (gradient
clipping) and a regularizer, as seven pieces that can each be switched off (:data:`PIECES`):

=============== ==================================================== ==========================
piece           on (the recipe)                                      off
=============== ==================================================== ==========================
scaling         standardize the pixels (fit on the training part)    raw pixels, 0 to 16
minibatches     batches of :data:`BATCH_SIZE`                        one full batch per epoch
adam            ``Adam`` (PyTorch defaults but the rate)             plain ``SGD``, same rate
batch_norm      ``mlp(..., batch_norm=True)``                        no batch norm (biases back)
schedule        ``CosineAnnealing(lr, T_max = all updates)``         constant rate
clipping        ``fit(..., clipping=Clipping(max_norm=CLIP_NORM))``  no clipping
l2              ``fit(..., penalty=Penalty(l2=L2))``, weights only   no penalty
=============== ==================================================== ==========================

on the digits (70 % for training, 30 % for validation, stratified), with a network
``64 -> 32 -> 32 -> 10`` (ReLU, He init) trained by :func:`nnlesson.train.fit` for
:data:`EPOCHS` epochs. Every run is deterministic given its pieces, learning rate and seed, and
is cached (:func:`recipe_run`), so the lesson's tables and the widget share their runs.

**The ablation.** :func:`ablation_configs` lists the full recipe and the recipe minus each piece
(leave one out); :func:`run_ablation` trains each on several seeds and reports the final
validation accuracy as mean and range; :func:`lr_sweep` trains a few configurations over a grid
of learning rates. :class:`RecipeExplorer` / :func:`explore_recipe` put a toggle on every piece
and a learning-rate slider on the curves and the ablation bars.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_bool, check_int, check_number
# the recipe as data lives in the course (the exercise check uses it too); re-exported here
from nnlesson.course.recipe import PIECES, RECIPE, ablation_configs

__all__ = [
    "PIECES",
    "PIECE_LABELS",
    "RECIPE",
    "LR",
    "EPOCHS",
    "BATCH_SIZE",
    "WIDTH",
    "CLIP_NORM",
    "L2",
    "SEEDS",
    "LR_GRID",
    "digits_split",
    "recipe_settings",
    "train_recipe",
    "recipe_run",
    "final_accuracy",
    "ablation_configs",
    "AblationRow",
    "Ablation",
    "run_ablation",
    "lr_sweep",
    "lr_sweep_table",
    "RecipeExplorer",
    "explore_recipe",
    "snapshot_recipe",
    "figure_ablation",
    "figure_lr_sweep",
]

PIECE_LABELS = {
    "scaling": "feature scaling",
    "minibatches": "mini-batches",
    "adam": "Adam",
    "batch_norm": "batch norm",
    "schedule": "cosine schedule",
    "clipping": "gradient clipping",
    "l2": "L2 penalty",
}
LR = 0.1          # the recipe's (peak) learning rate
EPOCHS = 6
BATCH_SIZE = 64
WIDTH = 32        # two hidden layers of this width
CLIP_NORM = 1.0
L2 = 1e-3
SEEDS = (0, 1, 2)
#: Learning rates the widget snaps to: quarter decades from 1e-3 to 1 (three digits).
LR_GRID = tuple(float(f"{10.0 ** e:.3g}") for e in np.arange(-3.0, 0.001, 0.25))

_VAL_FRACTION = 0.3
_SPLIT_SEED = 0


# --------------------------------------------------------------------------- data and one run


@functools.lru_cache(maxsize=1)
def _split():
    from nnlesson.data import train_val_split
    from nnlesson.datasets import load_digits

    digits = load_digits()
    parts = train_val_split(digits.X, digits.y, val_fraction=_VAL_FRACTION, rng=_SPLIT_SEED,
                            stratify=True)
    for part in parts:
        part.setflags(write=False)  # shared by every run: nobody may change it
    return parts


def digits_split():
    """The digits split once for the whole lesson: ``(X_train, X_val, y_train, y_val)``.

    Raw pixels (0 to 16), 1257 training and 540 validation images, each class in the same
    proportion in both parts (``train_val_split(..., val_fraction=0.3, rng=0, stratify=True)``).
    Returns copies.
    """
    return tuple(part.copy() for part in _split())


@functools.lru_cache(maxsize=1)
def _scaled_split():
    from nnlesson.scaling import StandardScaler

    X_train, X_val, y_train, y_val = _split()
    scaler = StandardScaler().fit(X_train)  # statistics of the training part only
    parts = (scaler.transform(X_train), scaler.transform(X_val))
    for part in parts:
        part.setflags(write=False)
    return parts


def recipe_settings(recipe=None, **pieces):
    """A recipe as a dict ``{piece: bool}`` in the order of :data:`PIECES`.

    Starts from ``recipe`` (a dict; default the full :data:`RECIPE`), then applies ``pieces``
    (``scaling=False`` ...). Missing pieces are on. Unknown names and non-booleans are refused.
    """
    settings = dict(RECIPE)
    for source in (recipe or {}, pieces):
        if not isinstance(source, dict):
            raise TypeError(f"recipe must be a dict {{piece: bool}}, got {type(source).__name__}")
        for name, value in source.items():
            if name not in settings:
                raise ValueError(f"piece must be one of {', '.join(PIECES)}; got {name!r}")
            settings[name] = check_bool(name, value)
    return settings


def train_recipe(recipe=None, *, lr=LR, seed=0, epochs=EPOCHS, progress=False,
                 return_model=False):
    """Train the digits network with the pieces of ``recipe`` switched on; return the History.

    Args:
        recipe: dict ``{piece: bool}`` (see :func:`recipe_settings`); None is the full recipe.
        lr: the learning rate (the peak of the cosine schedule), > 0.
        seed: initial weights and shuffling order.
        epochs: passes over the training part, >= 1.
        progress: show :func:`nnlesson.train.fit`'s progress bar.
        return_model: also return the trained model.

    Returns:
        :class:`nnlesson.train.History` (validation loss and accuracy per epoch), or
        ``(history, model)``. A run that diverges stops (no warning) with ``history.diverged``.
    """
    from nnlesson.clip import Clipping
    from nnlesson.optim import SGD, Adam
    from nnlesson.schedules import CosineAnnealing
    from nnlesson.train import Penalty, fit, mlp

    settings = recipe_settings(recipe)
    lr = check_number("lr", lr, low=0, low_open=True)
    seed = check_int("seed", seed, low=0)
    epochs = check_int("epochs", epochs, low=1)
    X_train, X_val, y_train, y_val = _split()
    if settings["scaling"]:
        X_train, X_val = _scaled_split()
    n = X_train.shape[0]
    batch_size = BATCH_SIZE if settings["minibatches"] else n
    model = mlp([X_train.shape[1], WIDTH, WIDTH, 10], batch_norm=settings["batch_norm"], rng=seed)
    optimizer = (Adam if settings["adam"] else SGD)(model.parameters(), lr=lr)
    schedule = None
    if settings["schedule"]:
        schedule = CosineAnnealing(lr, T_max=epochs * math.ceil(n / batch_size))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence is part of what the ablation measures
        history = fit(model, X_train, y_train, optimizer=optimizer, epochs=epochs,
                      batch_size=batch_size, rng=seed, schedule=schedule,
                      clipping=Clipping(max_norm=CLIP_NORM) if settings["clipping"] else None,
                      penalty=Penalty(l2=L2) if settings["l2"] else None, X_val=X_val, y_val=y_val,
                      progress=progress)
    return (history, model) if return_model else history


_RUNS = {}


def recipe_run(recipe=None, lr=LR, seed=0):
    """:func:`train_recipe` for :data:`EPOCHS` epochs, cached by (pieces, lr, seed).

    The lesson's tables, figures and widget share these runs; do not change the History.
    """
    settings = recipe_settings(recipe)
    key = (tuple(settings.values()), float(lr), int(seed))
    if key not in _RUNS:
        _RUNS[key] = train_recipe(settings, lr=lr, seed=seed)
    return _RUNS[key]


def final_accuracy(history):
    """Validation accuracy after the last epoch; NaN if the run diverged."""
    if history.diverged or not history.val_acc:
        return math.nan
    return float(history.val_acc[-1])


def _final_loss(history):
    if history.diverged or not history.val_loss:
        return math.nan
    return float(history.val_loss[-1])


# --------------------------------------------------------------------------- the ablation


@dataclass(frozen=True, eq=False)
class AblationRow:
    """One configuration of an ablation: final validation accuracy and loss per seed."""

    label: str
    recipe: dict
    val_acc: np.ndarray   # (n_seeds,), NaN for a diverged run
    val_loss: np.ndarray  # (n_seeds,)

    @property
    def mean(self):
        return float(np.mean(self.val_acc))

    @property
    def low(self):
        return float(np.min(self.val_acc))

    @property
    def high(self):
        return float(np.max(self.val_acc))

    @property
    def diverged(self):
        return int(np.sum(np.isnan(self.val_acc)))


@dataclass(frozen=True, eq=False)
class Ablation:
    """The result of :func:`run_ablation`: one :class:`AblationRow` per configuration."""

    lr: float
    seeds: tuple
    rows: tuple

    def row(self, label):
        for r in self.rows:
            if r.label == label:
                return r
        raise ValueError(f"label must be one of {', '.join(r.label for r in self.rows)}; "
                         f"got {label!r}")

    @property
    def baseline(self):
        """The first row (the full recipe)."""
        return self.rows[0]

    def effect(self, label):
        """Mean accuracy of ``label`` minus the full recipe's, in accuracy units (-0.03 = 3 points)."""
        return self.row(label).mean - self.baseline.mean

    def verdict(self, label):
        """``"hurts"`` when every seed of ``label`` is below every seed of the full recipe,
        ``"helps"`` when every seed is above, ``"no clear effect"`` when the ranges overlap."""
        r, b = self.row(label), self.baseline
        if r.diverged or r.high < b.low:
            return "hurts"
        if r.low > b.high:
            return "helps"
        return "no clear effect"

    def table(self):
        """The ablation as aligned text: mean and range of the accuracy, change, verdict."""
        lines = [f"validation accuracy after {EPOCHS} epochs, lr {self.lr:g}, "
                 f"seeds {', '.join(map(str, self.seeds))}",
                 f"{'configuration':26s}{'mean':>8s}{'range':>16s}{'change':>9s}  verdict"]
        for r in self.rows:
            if r.diverged == len(self.seeds):
                lines.append(f"{r.label:26s}{'diverged':>8s}")
                continue
            change = "" if r is self.baseline else f"{100 * self.effect(r.label):+9.1f}"
            verdict = "" if r is self.baseline else "  " + self.verdict(r.label)
            spread = f"{100 * r.low:.1f} - {100 * r.high:.1f} %"
            lines.append(f"{r.label:26s}{100 * r.mean:7.1f}%{spread:>16s}{change:>9s}{verdict}")
        return "\n".join(lines)


def run_ablation(configs=None, *, lr=LR, seeds=SEEDS):
    """Train every ``(label, settings)`` of ``configs`` (default :func:`ablation_configs`)
    for each seed (cached runs) and collect the final validation accuracy and loss."""
    configs = ablation_configs() if configs is None else list(configs)
    if not configs:
        raise ValueError("configs must list at least one (label, settings) pair, got none")
    lr = check_number("lr", lr, low=0, low_open=True)
    seeds = tuple(check_int("seeds[i]", s, low=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed, got none")
    rows = []
    for label, settings in configs:
        runs = [recipe_run(settings, lr, s) for s in seeds]
        rows.append(AblationRow(label, recipe_settings(settings),
                                np.array([final_accuracy(h) for h in runs]),
                                np.array([_final_loss(h) for h in runs])))
    return Ablation(lr, seeds, tuple(rows))


def lr_sweep(configs, lrs, *, seed=0):
    """Final validation accuracy of each ``(label, settings)`` at each learning rate.

    Returns ``(lrs, {label: array (len(lrs),)})``; NaN where the run diverged.
    """
    lrs = np.array([check_number("lrs[i]", v, low=0, low_open=True) for v in lrs])
    out = {}
    for label, settings in configs:
        out[label] = np.array([final_accuracy(recipe_run(settings, float(v), seed)) for v in lrs])
    return lrs, out


def lr_sweep_table(lrs, accuracy, *, min_lr=0.0, max_lr=math.inf):
    """:func:`lr_sweep`'s result as text, in percent, for the rates in [min_lr, max_lr]."""
    keep = [i for i, lr in enumerate(lrs) if min_lr <= lr <= max_lr]
    lines = ["learning rate       " + "".join(f"{lrs[i]:>7g}" for i in keep)]
    for label, acc in accuracy.items():
        lines.append(f"{label:20s}" + "".join(f"{100 * acc[i]:7.1f}" for i in keep))
    return "\n".join(lines)


# --------------------------------------------------------------------------- the widget


_CURRENT = "your combination"


class RecipeExplorer:
    """Two panels, built once: the loss per epoch of the chosen combination (training and
    validation, with the full recipe's validation loss for reference), and the final validation
    accuracy of the full recipe and of each leave-one-out configuration at the same learning
    rate, with the chosen combination on top.

    One seed (``seed``). Runs are cached: a combination or learning rate seen before redraws at
    once; a new learning rate trains the 8 ablation runs (about a second), a new combination one.
    The constructor trains what the defaults need.
    """

    def __init__(self, seed=0, bake=True):
        from nnlesson.viz.plotting import (PALETTE, Backdrop, freeze_layout, label_axes, new_figure,
                                       series_style)

        self.seed = check_int("seed", seed, low=0)
        self.configs = ablation_configs()
        fig, (ax_loss, ax_bar) = new_figure(2, 1, width=11.0, height=4.4)
        self.figure, self.axes = fig, (ax_loss, ax_bar)
        epochs = np.arange(1, EPOCHS + 1)
        nan = np.full(EPOCHS, np.nan)
        (self.val_line,) = ax_loss.plot(epochs, nan, label="your combination: validation",
                                        linewidth=2, **dict(series_style(0), markevery=1))
        (self.train_line,) = ax_loss.plot(epochs, nan, label="your combination: training",
                                          **dict(series_style(1), markevery=1))
        (self.full_line,) = ax_loss.plot(epochs, nan, label="full recipe: validation",
                                         color="#777777", linestyle=":", marker="x",
                                         markevery=1)
        ax_loss.set_yscale("log")
        ax_loss.set_xlim(0.8, EPOCHS + 0.2)
        ax_loss.set_ylim(0.02, 10)
        label_axes(ax_loss, title="loss per epoch: does your combination keep up with the recipe?",
                   xlabel="epoch", ylabel="cross-entropy loss (log)")
        ax_loss.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncols=2, fontsize=8)
        self.status = ax_loss.text(0.02, 0.03, "", transform=ax_loss.transAxes, fontsize=9,
                                   va="bottom")

        labels = [_CURRENT] + [label for label, _ in self.configs]
        y = np.arange(len(labels))[::-1]
        colours = [PALETTE[3]] + [PALETTE[0]] + [PALETTE[5]] * (len(labels) - 2)
        hatches = ["//", "", *[""] * (len(labels) - 2)]
        self.bars = list(ax_bar.barh(y, np.zeros(len(labels)), color=colours, height=0.7))
        for bar, hatch in zip(self.bars, hatches):
            bar.set_hatch(hatch)
            bar.set_edgecolor("#333333")
        ax_bar.set_yticks(y, labels, fontsize=9)
        ax_bar.set_xlim(0, 100)
        ax_bar.set_ylim(-0.6, len(labels) - 0.4)
        self.bar_texts = [ax_bar.text(1, yi, "", va="center", fontsize=8,
                                      color="#ffffff" if i == 1 else "#000000")
                          for i, yi in enumerate(y)]
        self.full_marker = ax_bar.axvline(0, color="#333333", linewidth=0.8, linestyle="--")
        label_axes(ax_bar, title="leave one out: which piece does this learning rate need?",
                   xlabel=f"validation accuracy after {EPOCHS} epochs (%, seed {self.seed})",
                   ylabel="")

        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:
            dynamic = [self.val_line, self.train_line, self.full_line, self.status, *self.bars,
                       *self.bar_texts, self.full_marker]
            self.background = Backdrop(fig, dynamic)

    def compute(self, lr=LR, **pieces):
        """``(current History, {label: History})`` at ``lr`` snapped to :data:`LR_GRID`."""
        from nnlesson.viz.plotting import nearest_on_log_grid

        lr = nearest_on_log_grid(LR_GRID, lr)
        current = recipe_run(recipe_settings(**pieces), lr, self.seed)
        ablation = {label: recipe_run(settings, lr, self.seed) for label, settings in self.configs}
        return lr, current, ablation

    def update(self, lr=LR, scaling=True, minibatches=True, adam=True, batch_norm=True,
               schedule=True, clipping=True, l2=True):
        pieces = dict(scaling=scaling, minibatches=minibatches, adam=adam, batch_norm=batch_norm,
                      schedule=schedule, clipping=clipping, l2=l2)
        lr, current, ablation = self.compute(lr, **pieces)
        self.val_line.set_ydata(_per_epoch(current.val_loss))
        self.train_line.set_ydata(_per_epoch(current.train_loss))
        self.full_line.set_ydata(_per_epoch(ablation["full recipe"].val_loss))
        off = [PIECE_LABELS[p] for p, on in pieces.items() if not on]
        acc = final_accuracy(current)
        what = "full recipe" if not off else "without " + ", ".join(off)
        end = (f"diverged at update {current.diverged_at}" if current.diverged
               else f"validation accuracy {100 * acc:.1f} %")
        self.status.set_text(f"learning rate {lr:.3g}\n{what}\n{end}")
        histories = [current] + [ablation[label] for label, _ in self.configs]
        for bar, text, h in zip(self.bars, self.bar_texts, histories):
            a = final_accuracy(h)
            bar.set_width(0.0 if math.isnan(a) else 100 * a)
            text.set_text("diverged" if math.isnan(a) else f"{100 * a:.1f}")
            text.set_x(1.0 if math.isnan(a) else max(100 * a - 9.0, 1.0))
        full = final_accuracy(ablation["full recipe"])
        self.full_marker.set_xdata([0 if math.isnan(full) else 100 * full] * 2)


def _per_epoch(values):
    """Values per epoch padded with NaN to :data:`EPOCHS` and kept inside the plot."""
    out = np.full(EPOCHS, np.nan)
    v = np.asarray(values, dtype=float)[:EPOCHS]
    out[:len(v)] = np.clip(v, 0.021, 9.9)
    return out


def explore_recipe(lr=LR, seed=0, **pieces):
    """A toggle for every piece of the recipe and a learning-rate slider (log, 1e-3 to 1)."""
    from nnlesson.viz.widgets import interactive_plot, lr_slider, toggle

    settings = recipe_settings(**pieces)
    drawing = RecipeExplorer(seed)
    controls = {"lr": lr_slider(lr, min_exp=-3, max_exp=0, steps=0.25)}
    for piece in PIECES:
        controls[piece] = toggle(settings[piece], description=PIECE_LABELS[piece])
    return interactive_plot(drawing.figure, drawing.update, **controls)


def snapshot_recipe(lr=LR, seed=0, **pieces):
    """The explorer's figure for one setting (a static Figure for slides)."""
    drawing = RecipeExplorer(seed, bake=False)
    drawing.update(lr=lr, **recipe_settings(**pieces))
    return drawing.figure


# --------------------------------------------------------------------------- static figures


def figure_ablation(ablation):
    """Mean validation accuracy of each configuration (dot) with its range over the seeds
    (whiskers); the shaded band is the full recipe's range. Diverged configurations are listed
    at the left edge."""
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure

    fig, ax = new_figure(width=8.0, height=3.8)
    rows = list(ablation.rows)
    y = np.arange(len(rows))[::-1]
    base = ablation.baseline
    finite = [r for r in rows if not r.diverged]
    left = math.floor(min(100 * r.low for r in finite)) - 2 if finite else 0
    ax.axvspan(100 * base.low, 100 * base.high, color="#dddddd", zorder=0,
               label="full recipe: range over the seeds")
    for i, (yi, r) in enumerate(zip(y, rows)):
        colour, marker = (PALETTE[0], "s") if i == 0 else (PALETTE[3], "o")
        if r.diverged:
            ax.text(left + 0.3, yi, f"diverged ({r.diverged} of {len(ablation.seeds)} seeds)",
                    va="center", fontsize=8)
            continue
        ax.errorbar([100 * r.mean], [yi], xerr=[[100 * (r.mean - r.low)], [100 * (r.high - r.mean)]],
                    fmt=marker, color=colour, ecolor="#000000", capsize=3, markersize=6)
        ax.text(100 * r.high + 0.3, yi, f"{100 * r.mean:.1f}", va="center", fontsize=8)
    ax.set_yticks(y, [r.label for r in rows], fontsize=9)
    ax.set_xlim(left, 100)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    label_axes(ax, title=f"the ablation at lr {ablation.lr:g}: far left of the grey band = "
                         "the piece matters",
               xlabel=f"validation accuracy after {EPOCHS} epochs (%): mean and range over "
                      f"{len(ablation.seeds)} seeds", ylabel="")
    ax.legend(loc="lower left", fontsize=8)
    return fig


def figure_lr_sweep(lrs, accuracies):
    """Final validation accuracy against the learning rate, one line per configuration."""
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    fig, ax = new_figure(width=8.0, height=3.8)
    for i, (label, acc) in enumerate(accuracies.items()):
        ax.plot(lrs, 100 * np.nan_to_num(acc, nan=0.0), label=label,
                **dict(series_style(i), markevery=1))
    ax.set_xscale("log")
    ax.set_ylim(0, 100)
    label_axes(ax, title="which learning rates work? (0 % = diverged)",
               xlabel="learning rate (peak of the schedule)",
               ylabel=f"validation accuracy after {EPOCHS} epochs (%)")
    ax.legend(loc="lower left", fontsize=8)
    return fig
