"""Lesson 09: does the start matter for training? The same deep network from four starts.

``mlp([64, 32, 32, 32, 32, 32, 32, 10])`` trained on the digits with plain SGD for 5 epochs
(100 updates), from all-zero weights, tiny random weights, Xavier and He, for ReLU and tanh, at
the learning rates of :data:`TRAINING_LRS` and the random seeds of :data:`TRAINING_SEEDS`:
:func:`train_with_init` (one run, cached), :func:`init_training_grid` (all of them),
:func:`mean_accuracy` and :func:`best_rate` (what the lesson prints).

The explorer shows, for one activation and rate, what :func:`training_view` computes from the
runs. A setting takes about a second of CPU to train, so the views of every setting of the
explorer's controls ship with the package (:mod:`._training_table`, written by
:func:`write_training_table`); the test suite recomputes every one of them from fresh runs and
compares, so the table cannot drift from the code.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_choice, check_int, check_number, check_rng
from nnlesson.course.lessons.weight_initialization.schemes import SCHEMES, make_initializer
from nnlesson.course.lessons.weight_initialization.symmetry import distinct_units
from nnlesson.data import train_val_split
from nnlesson.datasets import load_digits
from nnlesson.optim import SGD
from nnlesson.scaling import StandardScaler
from nnlesson.train import evaluate, fit, mlp
from nnlesson.viz.plotting import trailing_mean

__all__ = ["TRAINING_SCHEMES", "TRAINING_LRS", "TRAINING_SEEDS", "TRAINING_ACTIVATIONS", "EPOCHS",
           "HIDDEN", "TrainingRun", "train_with_init", "init_training_grid", "mean_accuracy",
           "best_rate", "TrainingView", "training_view", "stored_training_view",
           "write_training_table"]

#: Schemes compared in the training experiment, its learning rates (1-3 per decade, the
#: explorer's slider) and its random seeds (initial weights and shuffling).
TRAINING_SCHEMES = ("zeros", "small", "xavier_uniform", "he_uniform")
TRAINING_LRS = (0.01, 0.03, 0.1, 0.3, 1.0)
TRAINING_SEEDS = (0, 1, 2)
#: The activations of the training experiment (the explorer's choice).
TRAINING_ACTIVATIONS = ("relu", "tanh")
#: Epochs of every run (20 mini-batches of 64 each: 100 updates) and the hidden layers.
EPOCHS = 5
HIDDEN = (32,) * 6


@functools.lru_cache(maxsize=1)
def _digits_standardized():
    d = load_digits()
    X_train, X_val, y_train, y_val = train_val_split(d.X, d.y, 0.3, rng=0, stratify=True)
    scaler = StandardScaler().fit(X_train)
    arrays = (scaler.transform(X_train), scaler.transform(X_val), y_train, y_val)
    for a in arrays:
        a.flags.writeable = False
    return arrays


@dataclass(frozen=True, eq=False)
class TrainingRun:
    """One run of :func:`train_with_init`.

    Attributes:
        loss (updates,): mini-batch training loss of each update (NaN after a divergence).
        val_acc: validation accuracy at the end (NaN if training diverged).
        diverged: True if the loss or a gradient became NaN/inf.
        distinct_units: number of distinct hidden units in the first layer at the end.
    """

    loss: np.ndarray
    val_acc: float
    diverged: bool
    distinct_units: int


def train_with_init(scheme, activation="relu", lr=0.1, *, hidden=HIDDEN, epochs=EPOCHS,
                    batch_size=64, seed=0):
    """Train ``mlp([64, *hidden, 10], activation)`` on the digits with plain SGD from ``scheme``.

    The digits are split 70/30 (stratified, random seed 0) and standardized with the training
    part's statistics; :func:`nnlesson.train.fit` runs ``epochs`` epochs of mini-batches
    (``ceil(1257 / batch_size)`` updates each) with ``nnlesson.optim.SGD(lr)``; the weights come
    from ``scheme`` (a key of :data:`SCHEMES`), biases start at zero. Runs are cached.

    Returns:
        :class:`TrainingRun`.
    """
    check_choice("scheme", scheme, tuple(SCHEMES))
    check_choice("activation", activation, ("relu", "tanh", "sigmoid"))
    lr = check_number("lr", lr, low=0, low_open=True)
    hidden = tuple(check_int("hidden[i]", h, low=1) for h in hidden)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    seed = check_int("seed", seed, low=0)
    return _run(scheme, activation, lr, hidden, epochs, batch_size, seed)


@functools.lru_cache(maxsize=None)
def _run(scheme, activation, lr, hidden, epochs, batch_size, seed):
    _, name, kwargs = SCHEMES[scheme]
    X, X_val, y, y_val = _digits_standardized()
    model = mlp([X.shape[1], *hidden, 10], activation=activation, init=name, rng=seed)
    if kwargs:  # a scheme with non-default arguments: redraw the weights with them
        rng = check_rng(seed)
        f = make_initializer(scheme)
        for p in model.parameters():
            if p.value.ndim == 2:
                p.value[...] = f(p.value.shape, rng=rng)
    opt = SGD(model.parameters(), lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverged run is part of the measurement
        history = fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=batch_size, rng=seed)
    total = epochs * history.iterations_per_epoch
    loss = np.full(total, np.nan)
    loss[:len(history.loss)] = history.loss
    loss.flags.writeable = False
    val_acc = math.nan if history.diverged else float(evaluate(model, X_val, y_val)[1])
    first = model[0]
    return TrainingRun(loss=loss, val_acc=val_acc, diverged=history.diverged,
                       distinct_units=distinct_units(first.W.value, first.b.value))


def init_training_grid(activations=("relu", "tanh"), schemes=TRAINING_SCHEMES, lrs=TRAINING_LRS,
                       seeds=TRAINING_SEEDS):
    """Every run of :func:`train_with_init` for these activations, schemes, rates and seeds.

    Returns ``{(activation, scheme, lr, seed): TrainingRun}``; the runs are cached, so the
    explorer, the lesson's tables and the tests share them. Cost:
    ``len(activations) * len(schemes) * len(lrs) * len(seeds)`` runs of 100 updates.
    """
    return {(a, s, float(lr), int(seed)): train_with_init(s, a, lr, seed=seed)
            for a in activations for s in schemes for lr in lrs for seed in seeds}


def mean_accuracy(grid, activation, scheme, lr):
    """``(mean validation accuracy over the random seeds that did not diverge, number diverged)``;
    the mean is NaN when every seed diverged."""
    runs = [run for (a, s, r, _), run in grid.items() if (a, s, r) == (activation, scheme, lr)]
    if not runs:
        raise ValueError(f"the grid has no run for {activation}, {scheme}, lr {lr}")
    kept = [run.val_acc for run in runs if not run.diverged]
    return (float(np.mean(kept)) if kept else math.nan), len(runs) - len(kept)


def best_rate(grid, activation, scheme):
    """``(lr, mean accuracy)`` at the rate of the grid with the highest mean accuracy."""
    lrs = sorted({r for (a, s, r, _) in grid if (a, s) == (activation, scheme)})
    means = [mean_accuracy(grid, activation, scheme, lr)[0] for lr in lrs]
    k = int(np.nanargmax(means))
    return lrs[k], means[k]


# --------------------------------------------------------------------------- the explorer's view

#: Significant digits of the loss curves stored in :mod:`._training_table` (a pixel of the
#: explorer's loss axis is about 0.01; four digits are far below it).
TABLE_DIGITS = 4


@dataclass(frozen=True, eq=False)
class TrainingView:
    """What the training explorer draws for one scheme at one activation and rate.

    Attributes:
        curve (updates,): the mean over the random seeds (those that had not diverged yet) of
            each run's loss, smoothed by a trailing mean over 5 updates; NaN once every seed
            has diverged.
        accuracies: the validation accuracy of each random seed's run (NaN if it diverged).
    """

    curve: np.ndarray
    accuracies: tuple

    @property
    def diverged(self):
        """How many random seeds diverged."""
        return sum(math.isnan(a) for a in self.accuracies)

    @property
    def mean_accuracy(self):
        """Mean validation accuracy of the random seeds that did not diverge (NaN if none)."""
        kept = [a for a in self.accuracies if not math.isnan(a)]
        return float(np.mean(kept)) if kept else math.nan


def training_view(activation, lr, seeds=TRAINING_SEEDS):
    """``{scheme: TrainingView}`` at this activation and rate, from fresh runs of
    :func:`train_with_init` (about a second of CPU when the runs are not cached yet)."""
    views = {}
    for scheme in TRAINING_SCHEMES:
        runs = [train_with_init(scheme, activation, lr, seed=seed) for seed in seeds]
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all seeds NaN: the mean is NaN
            curves = np.array([trailing_mean(r.loss) for r in runs])
            curve = np.nanmean(curves, axis=0)
        curve.flags.writeable = False
        views[scheme] = TrainingView(curve=curve, accuracies=tuple(
            math.nan if r.diverged else r.val_acc for r in runs))
    return views


def _rounded(x):
    return float(f"{x:.{TABLE_DIGITS}g}")


def _table():
    from nnlesson.course.lessons.weight_initialization import _training_table

    return _training_table.TABLE


def stored_training_view(activation, lr):
    """:func:`training_view` from the table shipped with the package (instant); a setting the
    table does not hold is computed."""
    entry = _table().get((activation, float(lr)))
    if entry is None:
        return training_view(activation, lr)
    views = {}
    for scheme, (curve, accuracies) in entry.items():
        curve = np.array(curve, dtype=np.float64)
        curve.flags.writeable = False
        views[scheme] = TrainingView(curve=curve, accuracies=tuple(accuracies))
    return views


def training_table_text():
    """The source of :mod:`._training_table`: every explorer setting's views, the curves rounded
    to :data:`TABLE_DIGITS` significant digits."""
    lines = [
        '"""Lesson 09\'s training explorer, precomputed: what it draws for every setting.',
        "",
        "``TABLE[(activation, lr)][scheme] = (curve, accuracies)``: the fields of",
        "``training.TrainingView``, the curve rounded to 4 significant digits. Written by",
        "``training.write_training_table()``; tests/test_lessons_weight_initialization.py",
        "recomputes every entry from fresh runs and compares. Do not edit by hand.",
        '"""',
        'nan = float("nan")',
        'inf = float("inf")',
        "",
        "TABLE = {",
    ]
    for activation in TRAINING_ACTIVATIONS:
        for lr in TRAINING_LRS:
            lines.append(f"    ({activation!r}, {float(lr)!r}): {{")
            for scheme, view in training_view(activation, lr).items():
                numbers = [repr(_rounded(v)) for v in view.curve]
                rows = [", ".join(numbers[i:i + 10]) for i in range(0, len(numbers), 10)]
                curve = (",\n" + " " * 12).join(rows)
                accuracies = ", ".join(repr(a) for a in view.accuracies)
                lines.append(f"        {scheme!r}: (")
                lines.append(f"            ({curve}),")
                lines.append(f"            ({accuracies}),")
                lines.append("        ),")
            lines.append("    },")
    lines.append("}")
    return "\n".join(lines) + "\n"


def write_training_table():
    """Recompute every view and rewrite :mod:`._training_table` (after a change to the
    experiment; the test suite says when)."""
    import pathlib

    path = pathlib.Path(__file__).with_name("_training_table.py")
    path.write_text(training_table_text(), encoding="utf-8")
    return path
