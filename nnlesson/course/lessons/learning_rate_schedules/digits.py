"""Lesson 07, schedules on real data: a small network on the digits, trained with
:func:`nnlesson.train.fit` under several schedules, budgets and peak rates, to measure two
claims of popular tutorials (one-cycle "up to 50 %" less training, warm restarts "2-3 %" better
accuracy); and the linear scaling rule for a larger batch (Goyal et al. 2017), which exercise 4
plans a schedule for.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_choice, check_int, check_number
from nnlesson.course.lessons.learning_rate_schedules.schedules import SCHEDULES, make_schedule
from nnlesson.optim import SGD
from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

__all__ = [
    "train_digits",
    "DigitsComparison",
    "compare_on_digits",
    "figure_digits_comparison",
    "train_digits_batch",
]


def _fit(batch_size, epochs, lr, schedule, seed, hidden, momentum):
    from nnlesson.datasets import load_digits_split
    from nnlesson.train import fit, mlp

    X_train, X_val, y_train, y_val = load_digits_split()
    model = mlp([X_train.shape[1], hidden, 10], rng=seed)
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # a diverged run is part of the measurement
        return fit(model, X_train, y_train, optimizer=opt, epochs=epochs,
                   batch_size=batch_size, rng=seed, schedule=schedule, X_val=X_val, y_val=y_val)


@functools.lru_cache(maxsize=256)
def train_digits(schedule, epochs, lr0, seed=0, *, batch_size=128, hidden=32, momentum=0.9):
    """Train ``mlp([64, hidden, 10])`` on the digits with SGD (classical momentum) and ``fit``.

    ``schedule`` is a name of :data:`SCHEDULES`, built by :func:`make_schedule` with the budget
    (step decay and warm restarts use ``period = epochs // 2``: one drop, two cycles). The
    network's initial weights and the shuffling come from the random seed ``seed``; the split
    is always the same. Returns the :class:`~nnlesson.train.History` (a diverged run is
    returned as it is; cached).
    """
    from nnlesson.datasets import load_digits_split

    check_choice("schedule", schedule, SCHEDULES)
    epochs = check_int("epochs", epochs, low=1)
    n_train = len(load_digits_split()[0])
    ipe = math.ceil(n_train / batch_size)
    sched = make_schedule(schedule, lr0, steps_per_epoch=ipe, epochs=epochs, decay=0.1,
                          period=max(1, epochs // 2), T_mult=1, pct_start=0.3)
    if isinstance(sched, float):  # constant: the optimizer's own rate
        sched = None
    return _fit(batch_size, epochs, lr0, sched, seed, hidden, momentum)


@dataclass(frozen=True, eq=False)
class DigitsComparison:
    """Validation accuracies of :func:`compare_on_digits`.

    Attributes:
        schedules, budgets (epochs), lrs (peak rates), seeds: what was run.
        accuracy: array (len(schedules), len(budgets), len(lrs)): the final validation accuracy,
            mean over the random seeds (NaN if a run diverged).
        curves: {(schedule, budget, lr): (lr per update, val accuracy per epoch)} of the first
            random seed.
    """

    schedules: tuple
    budgets: tuple
    lrs: tuple
    seeds: tuple
    accuracy: np.ndarray
    curves: dict

    def best(self, schedule, budget):
        """``(accuracy, lr)``: the best peak rate of ``schedule`` at ``budget`` epochs."""
        row = self.accuracy[self.schedules.index(schedule), self.budgets.index(budget)]
        if np.all(np.isnan(row)):
            return math.nan, None
        k = int(np.nanargmax(row))
        return float(row[k]), self.lrs[k]

    def at(self, schedule, budget, lr):
        """The mean final validation accuracy of one setting."""
        return float(self.accuracy[self.schedules.index(schedule), self.budgets.index(budget),
                                   self.lrs.index(lr)])

    def table(self):
        """A text table: best accuracy (and its peak rate) per schedule and budget."""
        head = "schedule".ljust(18) + "".join(f"{b:>4d} epochs (lr)   " for b in self.budgets)
        lines = [head.rstrip()]
        for s in self.schedules:
            cells = []
            for b in self.budgets:
                acc, lr = self.best(s, b)
                cells.append(f"{100 * acc:10.1f} % ({lr:g})".ljust(19))
            lines.append((s.ljust(18) + "".join(cells)).rstrip())
        return "\n".join(lines)


def compare_on_digits(schedules=("constant", "cosine annealing", "warm restarts", "one-cycle"),
                      budgets=(5, 10), lrs=(0.03, 0.1, 0.3, 1.0), seeds=(0, 1)):
    """Train the digits network for every schedule, budget and peak rate (:func:`train_digits`).

    Returns a :class:`DigitsComparison`. Cost: ``len(schedules) * sum(budgets) * len(lrs) *
    len(seeds)`` epochs of 10 updates each.
    """
    for s in schedules:
        check_choice("schedules", s, SCHEDULES)
    acc = np.full((len(schedules), len(budgets), len(lrs)), np.nan)
    curves = {}
    for i, s in enumerate(schedules):
        for j, E in enumerate(budgets):
            for k, lr in enumerate(lrs):
                runs = []
                for seed in seeds:
                    h = train_digits(s, E, lr, seed)
                    runs.append(math.nan if h.diverged else h.val_acc[-1])
                    if seed == seeds[0]:
                        curves[(s, E, lr)] = (np.array(h.lr), np.array(h.val_acc))
                acc[i, j, k] = np.mean(runs)
    return DigitsComparison(tuple(schedules), tuple(budgets), tuple(lrs), tuple(seeds), acc,
                            curves)


def figure_digits_comparison(comparison, lr=None, budget=None):
    """Learning-rate curves and validation accuracy per epoch of each schedule on the digits.

    ``lr`` and ``budget`` pick the runs shown (default: the largest of each).
    """
    lr = max(comparison.lrs) if lr is None else lr
    budget = max(comparison.budgets) if budget is None else budget
    fig, (ax_lr, ax_acc) = figure((880, 380), 2, 1)
    lowest = 100.0
    for i, s in enumerate(comparison.schedules):
        lrs, acc = comparison.curves[(s, budget, lr)]
        style = dict(series_style(i), markevery=0.1, markersize=5)
        ipe = len(lrs) / max(1, len(acc)) if len(acc) else 1
        ax_lr.plot(np.arange(len(lrs)) / ipe, lrs, label=s, **style)
        ax_acc.plot(np.arange(1, len(acc) + 1), 100 * acc, label=s, **dict(style, markevery=1))
        if len(acc) and np.isfinite(acc).any():
            lowest = min(lowest, 100 * float(np.nanmin(acc)))
    label_axes(ax_lr, title=f"the rate (peak {lr:g}, {budget} epochs)", xlabel="epoch",
               ylabel="learning rate")
    label_axes(ax_acc, title="validation accuracy", xlabel="epoch",
               ylabel="validation accuracy (%)")
    bottom = min(80, 5 * int((lowest - 1) // 5))  # every point shown, on a scale of fives
    ax_acc.set_ylim(bottom, 100)
    ax_acc.set_yticks(np.arange(bottom, 101, 5))
    ax_lr.set_xlim(0, budget)
    ax_acc.set_xlim(1, budget)
    fig.legend(handles=ax_lr.get_lines(), loc="outside upper center",
               ncols=len(comparison.schedules), frameon=False)
    readable(fig)
    names = ", ".join(comparison.schedules)
    return describe(fig, (
        f"Left: the learning rate against the epoch of {names}, each with peak rate {lr:g} "
        f"over {budget} epochs. Right: the validation accuracy after each epoch of the same "
        f"runs (first random seed), on an axis from {bottom} to 100 %."))


@functools.lru_cache(maxsize=64)
def train_digits_batch(batch_size, epochs, lr, schedule=None, seed=0, *, hidden=32,
                       momentum=0.9):
    """Train the digits network with mini-batches of ``batch_size`` (:func:`nnlesson.train.fit`,
    SGD with classical momentum 0.9) at the rate ``lr``, or under ``schedule`` (a schedule of
    :mod:`nnlesson.schedules`, stepped once per update); the random seed ``seed`` sets the
    initial weights and the shuffling. Returns the :class:`~nnlesson.train.History` (cached).
    """
    batch_size = check_int("batch_size", batch_size, low=1)
    epochs = check_int("epochs", epochs, low=1)
    lr = check_number("lr", lr, low=0, low_open=True)
    if schedule is not None and not callable(schedule):
        raise TypeError(f"schedule must be None or a schedule t -> lr, got {schedule!r}")
    return _fit(batch_size, epochs, lr, schedule, check_int("seed", seed, low=0), hidden,
                momentum)
