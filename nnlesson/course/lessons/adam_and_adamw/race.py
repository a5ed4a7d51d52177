"""Lesson 06, the race: SGD, momentum, Nesterov, RMSProp and Adam on the same problems, each at
its own tuned learning rate.

A fair race gives every method its best rate. On three surfaces (the ravine, Beale's function,
Rosenbrock's valley) each method tries every rate of a ladder and keeps the one that gets the
loss below a tolerance *for good* in the fewest steps (:func:`surface_race`, the course's
runner). On a small network (64-32-10 on the digits, mini-batches) each method trains at every
rate of a ladder and we compare the validation accuracies (:func:`digits_race`): the best one,
and how wide the range of rates that come close to it is.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.course.runner import run
from nnlesson.course.surfaces import Beale, Ravine, Rosenbrock
from nnlesson.optim import SGD, Adam, RMSprop
from nnlesson.viz.explorer import log_ladder
from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

__all__ = [
    "RACERS",
    "RACE_SURFACES",
    "RACE_LRS",
    "DIGITS_LRS",
    "Entry",
    "SurfaceRace",
    "surface_race",
    "DigitsComparison",
    "digits_race",
    "figure_race",
]

#: The methods of the race: ``name -> (rule of the runner, its hyperparameters)``, PyTorch's
#: defaults apart from the rate (momentum 0.9 for the two momentum methods).
RACERS = {
    "SGD": ("gd", {}),
    "momentum 0.9": ("sgd", {"momentum": 0.9}),
    "Nesterov 0.9": ("sgd", {"momentum": 0.9, "nesterov": True}),
    "RMSProp": ("rmsprop", {"alpha": 0.99, "eps": 1e-8}),
    "Adam": ("adam", {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8}),
}
#: The surfaces of the race and each one's budget of steps.
RACE_SURFACES = {"ravine": (Ravine(), 500), "beale": (Beale(), 1000),
                 "rosenbrock": (Rosenbrock(), 2000)}
#: The rates each method tries on the surfaces: 1-2-5 per decade from 0.0001 to 5.
RACE_LRS = log_ladder(1e-4, 5.0, "1-2-5")
#: The rates each method tries on the network: 1-3 per decade from 0.001 to 3 (plain SGD is
#: best at 1 and fails at 3, so its best rate lies inside the ladder).
DIGITS_LRS = log_ladder(1e-3, 3.0, "1-3")

_OPTIMIZERS = {
    "SGD": lambda params, lr: SGD(params, lr=lr),
    "momentum 0.9": lambda params, lr: SGD(params, lr=lr, momentum=0.9),
    "Nesterov 0.9": lambda params, lr: SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "RMSProp": lambda params, lr: RMSprop(params, lr=lr, alpha=0.99, eps=1e-8),
    "Adam": lambda params, lr: Adam(params, lr=lr),
}


def _steps_to(values, tol):
    """The first step from which ``values`` stay at or below ``tol`` to the end, or None."""
    above = np.flatnonzero(values > tol)
    if len(above) == 0:
        return 0
    last = int(above[-1])
    return None if last == len(values) - 1 else last + 1


# --------------------------------------------------------------------------- the surfaces


@dataclass(frozen=True, eq=False)
class Entry:
    """One method on one surface at its tuned rate.

    Attributes:
        lr: the tuned rate: the fewest steps to the tolerance, or (if no rate of the ladder
            gets there) the lowest loss at the end of the budget.
        steps: steps until the loss stays at or below the tolerance, or None.
        final: the loss at the end of the budget at that rate.
        reached: how many rates of the ladder get below the tolerance within the budget.
        path: the :class:`~nnlesson.course.runner.OptimizerPath` at that rate.
    """

    lr: float
    steps: int | None
    final: float
    reached: int
    path: object


@dataclass(frozen=True, eq=False)
class SurfaceRace:
    """The result of :func:`surface_race`: ``entries[surface][method]`` is an :class:`Entry`;
    ``tol``, ``lrs`` and ``budgets`` (steps per surface) as run."""

    entries: dict
    tol: float
    lrs: tuple
    budgets: dict

    def table(self):
        """Per method and surface: the tuned rate and the steps to the tolerance ("never":
        no rate of the ladder gets there within the budget; then a line gives the lowest loss
        that method reached)."""
        surfaces = list(self.entries)
        head = "method".ljust(14) + "".join(f"{s}: lr, steps".rjust(26) for s in surfaces)
        lines, never = [head], []
        for method in RACERS:
            cells = []
            for s in surfaces:
                e = self.entries[s][method]
                if e.steps is None:
                    never.append(f"{method} on {s} ends at {e.final:.1e} at best (lr {e.lr:g})")
                steps = f"{e.steps:d}" if e.steps is not None else "never"
                cells.append(f"{e.lr:>16g}{steps:>10s}")
            lines.append(method.ljust(14) + "".join(cells))
        lines.append(f"(steps until the loss stays below {self.tol:g}; budgets "
                     + ", ".join(f"{s} {n}" for s, n in self.budgets.items()) + ")")
        return "\n".join(lines + never)


def _tune(surface, rule, hyperparameters, lrs, n_steps, tol):
    """Every rate of ``lrs`` on ``surface``; the :class:`Entry` of the tuned one."""
    best, reached, lowest = None, 0, None
    for lr in sorted(lrs, reverse=True):
        path = run(surface, rule, lr=lr, hyperparameters=hyperparameters, n_steps=n_steps)
        final = np.inf if path.diverged else float(path.values[-1])
        steps = None if path.diverged else _steps_to(path.values, tol)
        if steps is not None:
            reached += 1
            if best is None or steps <= best.steps:  # a tie goes to the smaller rate
                best = Entry(lr, steps, final, 0, path)
        if lowest is None or final < lowest.final:
            lowest = Entry(lr, None, final, 0, path)
    chosen = best if best is not None else lowest
    return Entry(chosen.lr, chosen.steps, chosen.final, reached, chosen.path)


@functools.lru_cache(maxsize=8)
def _surface_race(tol, lrs, budget_scale):
    entries, budgets = {}, {}
    for name, (surface, n_steps) in RACE_SURFACES.items():
        budgets[name] = n_steps * budget_scale
        entries[name] = {method: _tune(surface, rule, hp, lrs, budgets[name], tol)
                         for method, (rule, hp) in RACERS.items()}
    return SurfaceRace(entries, tol, lrs, budgets)


def surface_race(tol=1e-6, lrs=RACE_LRS, budget_scale=1):
    """Race every method of :data:`RACERS` on every surface of :data:`RACE_SURFACES`.

    Each method runs at every rate of ``lrs`` from the surface's default start for the
    surface's budget (times ``budget_scale``); its tuned rate is the one whose loss gets below
    ``tol`` for good in the fewest steps (the smaller rate on a tie), or, if none does, the one
    with the lowest loss at the end.

    Returns:
        :class:`SurfaceRace` (cached).
    """
    tol = check_number("tol", tol, low=0, low_open=True)
    lrs = tuple(check_number("lrs", lr, low=0, low_open=True) for lr in lrs)
    budget_scale = check_int("budget_scale", budget_scale, low=1, high=100)
    return _surface_race(tol, lrs, budget_scale)


# --------------------------------------------------------------------------- the network


@dataclass(frozen=True, eq=False)
class DigitsComparison:
    """Validation accuracies of :func:`digits_race`.

    Attributes:
        lrs: the learning rates tried; epochs: the training budget.
        accuracy: ``{method: array (len(lrs),)}``, validation accuracy after training (NaN
            if the run diverged), for every method of :data:`RACERS`.
    """

    lrs: tuple
    epochs: int
    accuracy: dict

    def best(self, method):
        """``(accuracy, lr)`` of the best learning rate of one method."""
        acc = self.accuracy[method]
        if np.all(np.isnan(acc)):
            return float("nan"), None
        k = int(np.nanargmax(acc))
        return float(acc[k]), self.lrs[k]

    def good_range(self, method, within=0.02):
        """The learning rates whose accuracy is within ``within`` of the method's best."""
        best = self.best(method)[0]
        return tuple(lr for lr, a in zip(self.lrs, self.accuracy[method]) if a >= best - within)

    def table(self):
        """Rows: methods; columns: learning rates (accuracies to 2 decimals)."""
        head = "method".ljust(14) + "".join(f"{lr:>7g}" for lr in self.lrs)
        lines = [head]
        for method, acc in self.accuracy.items():
            lines.append(method.ljust(14)
                         + "".join("    div" if np.isnan(a) else f"{a:7.2f}" for a in acc))
        return "\n".join(lines)


@functools.lru_cache(maxsize=4)
def _digits_race(lrs, epochs, seed, batch_size):
    from nnlesson.datasets import load_digits_split
    from nnlesson.train import fit, mlp

    X_train, X_val, y_train, y_val = load_digits_split()
    accuracy = {}
    for method, make in _OPTIMIZERS.items():
        acc = []
        for lr in lrs:
            model = mlp([X_train.shape[1], 32, 10], rng=seed)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # a diverged run is part of the measurement
                hist = fit(model, X_train, y_train, optimizer=make(model.parameters(), lr),
                           epochs=epochs, batch_size=batch_size, rng=seed, X_val=X_val,
                           y_val=y_val)
            ok = hist.diverged_at is None and len(hist.val_acc) == epochs
            acc.append(hist.val_acc[-1] if ok else np.nan)
        accuracy[method] = np.array(acc, dtype=np.float64)
        accuracy[method].flags.writeable = False
    return DigitsComparison(lrs=lrs, epochs=epochs, accuracy=accuracy)


def digits_race(lrs=DIGITS_LRS, epochs=5, seed=0, batch_size=64):
    """Train ``mlp([64, 32, 10])`` on the digits with every method of :data:`RACERS`.

    The digits split of :func:`nnlesson.datasets.load_digits_split` (standardized with the
    training part's statistics); each run uses :func:`nnlesson.train.fit` with mini-batches of
    ``batch_size`` for ``epochs`` epochs, the same initial weights and the same shuffling
    (random seed ``seed``), and the library's optimizers with PyTorch's defaults apart from
    ``lr`` (momentum 0.9 for the two momentum methods).

    Returns:
        :class:`DigitsComparison` (cached).
    """
    lrs = tuple(check_number("lrs", lr, low=0, low_open=True) for lr in lrs)
    epochs = check_int("epochs", epochs, low=1)
    seed = check_int("seed", seed, low=0)
    batch_size = check_int("batch_size", batch_size, low=1)
    return _digits_race(lrs, epochs, seed, batch_size)


# --------------------------------------------------------------------------- the figure

_TITLES = {"ravine": "the ravine (x² + 25y²) / 2", "beale": "Beale's function",
           "rosenbrock": "Rosenbrock's valley"}


def figure_race(race, digits):
    """The race in one figure: the loss per step of each method at its tuned rate on each
    surface (log axes), and the digits network's validation accuracy against the rate."""
    fig, axes = figure((880, 560), 2, 2)
    styles = {m: dict(series_style(i), markevery=0.1, markersize=5, linewidth=1.5)
              for i, m in enumerate(RACERS)}
    for ax, (name, row) in zip(axes.ravel(), race.entries.items()):
        for method, entry in row.items():
            values = np.maximum(entry.path.values, 1e-30)
            ax.plot(np.arange(len(values)), values, label=method, **styles[method])
        ax.axhline(race.tol, color="#777777", linewidth=1, linestyle=":")
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e3)
        ax.set_xlim(0, race.budgets[name])
        label_axes(ax, title=_TITLES.get(name, name), xlabel="step",
                   ylabel="loss (log axis)")
    ax = axes[1, 1]
    for method, acc in digits.accuracy.items():
        ax.plot(digits.lrs, 100 * np.nan_to_num(acc, nan=0.0), label=method,
                **dict(styles[method], markevery=1))
    ax.set_xscale("log")
    ax.set_ylim(0, 100)
    label_axes(ax, title=f"digits network, {digits.epochs} epochs",
               xlabel="learning rate (log axis)", ylabel="validation accuracy (%)")
    fig.legend(handles=axes[0, 0].get_lines()[:len(RACERS)], loc="outside lower center",
               ncols=len(RACERS), frameon=False)
    readable(fig)
    alt = ("Four panels. Three show the loss per step, on a log axis, of SGD, momentum 0.9, "
           "Nesterov 0.9, RMSProp and Adam, each at its tuned learning rate, with the "
           "tolerance 1e-6 dotted: on the ravine, on Beale's function and on Rosenbrock's "
           "valley. The fourth shows the validation accuracy of the digits network after "
           f"{digits.epochs} epochs against the learning rate, on a log axis, for each method.")
    return describe(fig, alt)
