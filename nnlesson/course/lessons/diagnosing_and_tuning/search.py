"""Lesson 14's hyperparameter search: random search on a log scale against grid search
(Bergstra & Bengio 2012), with as many trials, on the digits."""
from __future__ import annotations

import functools
import math
import warnings

from nnlesson.datasets import load_digits_split
from nnlesson.optim import SGD
from nnlesson.train import DivergenceWarning, fit, mlp
from nnlesson.tuning import grid_configs, sample_configs
from nnlesson.viz.plotting import describe, figure, label_axes, series_style

__all__ = ["SEARCH_SPACE", "search_objective", "search_comparison", "figure_search"]

_LOSS_TOP = 30.0  # losses above this (runs that blew up) are drawn at the top of the axis

#: The two knobs searched, each on a log scale.
SEARCH_SPACE = {"lr": (1e-3, 1.0), "weight_decay": (1e-6, 1e-2)}


@functools.lru_cache(maxsize=256)
def search_objective(lr, weight_decay, epochs=4, seed=0):
    """The validation loss of ``mlp([64, 32, 10])`` after ``epochs`` epochs of SGD (momentum
    0.9, ``weight_decay``) at ``lr`` on the digits, mini-batches of 64; inf if it diverged."""
    X, X_val, y, y_val = load_digits_split()
    model = mlp([64, 32, 10], rng=seed)
    opt = SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)
        history = fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=64, rng=seed,
                      X_val=X_val, y_val=y_val)
    return math.inf if history.diverged else float(history.val_loss[-1])


def search_comparison(n_trials=9, repeats=3, seed=0):
    """Grid search (3 x 3 on a log scale) against random log-scale search with as many trials.

    The objective is :func:`search_objective` over :data:`SEARCH_SPACE`. Random search is
    repeated ``repeats`` times with random seeds ``seed, seed + 1, ...``.

    Returns a dict: ``grid`` and ``random`` (lists of ``(config, val_loss)``; random holds
    every repeat), ``grid_best``, ``random_best`` (one best per repeat), ``grid_lrs`` (the
    distinct rates the grid tried), ``random_lrs`` (those of the first repeat).
    """
    side = int(round(math.sqrt(n_trials)))
    grid = [(c, search_objective(c["lr"], c["weight_decay"]))
            for c in grid_configs(SEARCH_SPACE, side)]
    random, bests = [], []
    for k in range(repeats):
        trial = [(c, search_objective(c["lr"], c["weight_decay"]))
                 for c in sample_configs(SEARCH_SPACE, side * side, rng=seed + k)]
        random += trial
        bests.append(min(v for _, v in trial))
    return {"grid": grid, "random": random, "grid_best": min(v for _, v in grid),
            "random_best": bests, "grid_lrs": sorted({c["lr"] for c, _ in grid}),
            "random_lrs": sorted({c["lr"] for c, _ in random[: side * side]})}


def figure_search(comparison=None):
    """Where grid and random search looked, and the validation loss against the rate."""
    c = search_comparison() if comparison is None else comparison
    n = len(c["grid"])
    fig, (ax_pts, ax_lr) = figure((880, 340), ncols=2)
    for k, (name, points) in enumerate((("grid", c["grid"]), ("random (first repeat)",
                                                              c["random"][:n]))):
        style = dict(series_style(k), linestyle="none", markevery=None, markersize=8)
        ax_pts.plot([p["lr"] for p, _ in points], [p["weight_decay"] for p, _ in points],
                    label=name, **style)
        ok = sorted((p["lr"], min(v, _LOSS_TOP)) for p, v in points if math.isfinite(v))
        ax_lr.plot(*zip(*ok), label=name, **dict(style, linestyle=series_style(k)["linestyle"]))
    for ax in (ax_pts, ax_lr):
        ax.set_xscale("log")
        ax.set_yscale("log")
    label_axes(ax_pts, title="3 rates on the grid, 9 at random", xlabel="learning rate",
               ylabel="weight decay")
    ax_lr.set_ylim(0.05, _LOSS_TOP * 1.5)
    label_axes(ax_lr, title="the loss depends on the rate", xlabel="learning rate",
               ylabel=f"validation loss (top: {_LOSS_TOP:g} or more)")
    ax_pts.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2, frameon=False)
    return describe(fig, "Left: the 9 grid points sit on 3 learning rates and 3 weight decays; "
                         "the 9 random points spread over 9 rates. Right: the validation loss "
                         "of each trial against its learning rate: it depends mostly on the "
                         "rate, so the random points trace the curve more finely.")
