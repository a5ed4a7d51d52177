"""Lesson 13's ablation: the full recipe and the recipe minus each piece, over random seeds,
and over learning rates.

:func:`run_ablation` trains each configuration of :func:`~nnlesson.course.recipe.ablation_configs`
(or any list) for several random seeds (cached runs) and reports the final validation accuracy
as mean and range with a verdict; :func:`lr_sweep` trains configurations over a grid of
learning rates. :func:`figure_ablation` and :func:`figure_lr_sweep` draw them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.course.lessons.putting_it_all_together.training import (
    EPOCHS,
    LR,
    SEEDS,
    ablation_configs,
    final_accuracy,
    final_loss,
    recipe_run,
    recipe_settings,
)
from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes, series_style

__all__ = ["AblationRow", "Ablation", "run_ablation", "lr_sweep", "lr_sweep_table",
           "figure_ablation", "figure_lr_sweep"]


@dataclass(frozen=True, eq=False)
class AblationRow:
    """One configuration of an ablation: final validation accuracy and loss per random seed."""

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
        """Mean accuracy of ``label`` minus the full recipe's (-0.03 = 3 points)."""
        return self.row(label).mean - self.baseline.mean

    def verdict(self, label):
        """``"hurts"`` when every random seed of ``label`` is below every one of the full
        recipe, ``"helps"`` when every one is above, ``"no clear effect"`` when the ranges
        overlap."""
        r, b = self.row(label), self.baseline
        if r.diverged or r.high < b.low:
            return "hurts"
        if r.low > b.high:
            return "helps"
        return "no clear effect"

    def table(self):
        """The ablation as aligned text: mean and range of the accuracy, change, verdict."""
        lines = [f"validation accuracy after {EPOCHS} epochs, lr {self.lr:g}, "
                 f"random seeds {', '.join(map(str, self.seeds))}",
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


def run_ablation(configs=None, *, lr=LR, seeds=SEEDS, weight_decay=None):
    """Train every ``(label, settings)`` of ``configs`` (default :func:`ablation_configs`) for
    each random seed (cached runs) and collect the final validation accuracy and loss.
    ``weight_decay``: AdamW's in place of the L2 piece (:func:`~.training.train_recipe`)."""
    configs = ablation_configs() if configs is None else list(configs)
    if not configs:
        raise ValueError("configs must list at least one (label, settings) pair, got none")
    lr = check_number("lr", lr, low=0, low_open=True)
    seeds = tuple(check_int("seeds[i]", s, low=0) for s in seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one random seed, got none")
    rows = []
    for label, settings in configs:
        runs = [recipe_run(settings, lr, s, weight_decay=weight_decay) for s in seeds]
        rows.append(AblationRow(label, recipe_settings(settings),
                                np.array([final_accuracy(h) for h in runs]),
                                np.array([final_loss(h) for h in runs])))
    return Ablation(lr, seeds, tuple(rows))


def lr_sweep(configs, lrs, *, seed=0):
    """Final validation accuracy of each ``(label, settings)`` at each learning rate.

    Returns:
        ``(lrs, {label: array (len(lrs),)})``; NaN where the run diverged.
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


def figure_ablation(ablation):
    """Mean validation accuracy of each configuration (marker) with its range over the random
    seeds (whiskers); the shaded band is the full recipe's range; the legend sits above the
    plot, and a diverged configuration is written in at the left edge."""
    rows = list(ablation.rows)
    fig, ax = figure((760, 70 + 34 * len(rows) + 90))
    y = np.arange(len(rows))[::-1]
    base = ablation.baseline
    finite = [r for r in rows if not r.diverged]
    left = math.floor(min(100 * r.low for r in finite)) - 3 if finite else 0
    band = ax.axvspan(100 * base.low, 100 * base.high, color="#dddddd", zorder=0,
                      label="full recipe: range over the random seeds")
    for i, (yi, r) in enumerate(zip(y, rows)):
        colour, marker = (PALETTE[0], "s") if i == 0 else (PALETTE[3], "o")
        if r.diverged:
            ax.text(left + 0.3, yi, f"diverged ({r.diverged} of {len(ablation.seeds)})",
                    va="center")
            continue
        ax.errorbar([100 * r.mean], [yi], xerr=[[100 * (r.mean - r.low)],
                                                [100 * (r.high - r.mean)]],
                    fmt=marker, color=colour, ecolor="#000000", capsize=4, markersize=8)
        ax.text(min(100 * r.high + 0.4, 99.5), yi, f"{100 * r.mean:.1f}", va="center",
                ha="left" if 100 * r.high < 96 else "right")
    ax.set_yticks(y, [r.label for r in rows])
    ax.set_xlim(left, 100)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    label_axes(ax, title=f"leave one out at lr {ablation.lr:g}",
               xlabel=f"validation accuracy after {EPOCHS} epochs (%): mean and range over "
                      f"{len(ablation.seeds)} random seeds", ylabel="")
    fig.legend(handles=[band], loc="outside upper center", frameon=False)
    summary = "; ".join(f"{r.label} {100 * r.mean:.1f} %" for r in rows if not r.diverged)
    return describe(fig, (
        f"The validation accuracy after {EPOCHS} epochs of each configuration of the ablation "
        f"at learning rate {ablation.lr:g}, one row each, as a marker at the mean with whiskers "
        f"spanning the {len(ablation.seeds)} random seeds, over a grey band for the full "
        f"recipe's range: {summary}."))


def figure_lr_sweep(lrs, accuracies):
    """Final validation accuracy against the learning rate, one line per configuration (0 %
    for a diverged run), the legend above the plot."""
    fig, ax = figure((760, 400))
    lines = []
    for i, (label, acc) in enumerate(accuracies.items()):
        (line,) = ax.plot(lrs, 100 * np.nan_to_num(acc, nan=0.0), label=label,
                          **dict(series_style(i), markevery=1, linewidth=2, markersize=7))
        lines.append(line)
    ax.set_xscale("log")
    ax.set_ylim(0, 100)
    label_axes(ax, title="which learning rates work? (0 % = diverged)",
               xlabel="learning rate (peak of the schedule)",
               ylabel=f"accuracy after {EPOCHS} epochs (%)")
    fig.legend(handles=lines, loc="outside upper center", ncols=2, frameon=False)
    return describe(fig, (
        f"The validation accuracy after {EPOCHS} epochs against the learning rate from "
        f"{lrs[0]:g} to {lrs[-1]:g} on a log axis, one line for each of "
        f"{', '.join(accuracies)}; a diverged run is drawn at 0 %."))
