"""Lesson 07's live experiment: pick a schedule and its knobs; see its learning-rate curve, the
training loss it leads to, and the path of the weights (mini-batch SGD on
:class:`~nnlesson.course.lessons.learning_rate_schedules.problem.Problem`)."""
from __future__ import annotations

import functools

import numpy as np

from nnlesson.course.lessons.learning_rate_schedules.problem import (
    epoch_excess,
    final_excess,
    make_problem,
    train_with_schedule,
)
from nnlesson.course.lessons.learning_rate_schedules.schedules import (
    KNOBS,
    SCHEDULES,
    make_schedule,
)
from nnlesson.viz.explorer import Choice, Explorer, Slider, linear_ladder, log_ladder
from nnlesson.viz.panels import Curves, PathsOnContours
from nnlesson.viz.plotting import PALETTE

__all__ = ["LR0_LADDER", "DEFAULT_KNOBS", "ScheduleExplorer", "explore_schedules",
           "snapshot_schedules"]

#: The explorer's peak rates: 1-2-3-5 per decade from 0.001 to 1, and 1.5 (the lesson's
#: example of a rate that diverges).
LR0_LADDER = log_ladder(1e-3, 1.5, "1-2-3-5", include=(1.5,))
#: The knobs' defaults (a knob a schedule does not use is computed at its default, so moving
#: it redraws nothing new).
DEFAULT_KNOBS = {"decay": 0.3, "period": 5, "T_mult": 1, "pct_start": 0.3}

_SERIES = {
    "schedule": {"label": "the schedule", "color": PALETTE[0], "marker": "o", "linestyle": "-",
                 "linewidth": 1.8},
    "constant": {"label": "constant lr0", "color": PALETTE[1], "marker": "s",
                 "linestyle": "--", "linewidth": 1.2},
}


class _Contours:
    """The problem's loss as a surface for the contour panel (shifted so the minimum is 0)."""

    bounds = ((-2.6, 2.6), (-2.6, 3.0))

    def __init__(self, problem):
        self.problem = problem
        self.minimum = tuple(problem.w_star)
        self.min_value = 0.0

    def value(self, w):
        return self.problem.loss(w) - self.problem.loss_star


@functools.lru_cache(maxsize=512)
def _train(problem, name, lr0, decay, period, T_mult, pct_start):
    sched = make_schedule(name, lr0, steps_per_epoch=problem.steps_per_epoch,
                          epochs=problem.epochs, decay=decay, period=period, T_mult=T_mult,
                          pct_start=pct_start)
    return train_with_schedule(problem, sched)


def _fmt(x):
    return "diverged" if not np.isfinite(x) else f"{x:.1e}"


class ScheduleExplorer(Explorer):
    """A schedule and its knobs: the learning rate of each update divided by lr0 (top left),
    the training loss above its minimum, mean per epoch on a log axis (bottom left), and the
    path of the weights on the loss's contours (right); the constant rate lr0 dashed in each.
    Only the knobs the chosen schedule uses are shown (:data:`KNOBS`).

    Args:
        problem: the :class:`Problem` (default :func:`make_problem`).
    """

    controls = (
        Choice("schedule", "schedule", SCHEDULES, default="cosine annealing"),
        Slider("lr0", "lr0 (peak rate)", LR0_LADDER, default=0.1),
        Slider("decay", "decay factor γ", linear_ladder(0.05, 0.95, 0.05), default=0.3,
               visible_when={"schedule": KNOBS["decay"]}),
        Slider("period", "period (epochs)", linear_ladder(1, 10, 1), default=5,
               visible_when={"schedule": KNOBS["period"]}),
        Slider("T_mult", "T_mult (restarts)", linear_ladder(1, 3, 1), default=1,
               visible_when={"schedule": KNOBS["T_mult"]}),
        Slider("pct_start", "warm-up fraction", linear_ladder(0.05, 0.5, 0.05), default=0.3,
               visible_when={"schedule": KNOBS["pct_start"]}),
    )
    size = (880, 440)
    columns = 3
    alt = ("Top left: the learning rate of each update divided by lr0 against the epoch, for "
           "the chosen schedule and for the constant rate lr0. Bottom left: the training loss "
           "above its minimum, averaged over each epoch, on a log axis, for both. Right: "
           "contour lines of the loss of a two-weight linear regression with the path of the "
           "weights under each, from the same start to the minimum.")

    def __init__(self, problem=None):
        super().__init__()
        self.problem = make_problem() if problem is None else problem

    def build(self, fig):
        p = self.problem
        axes = fig.subplot_mosaic([["lr", "path"], ["loss", "path"]], width_ratios=[1.15, 1])
        self.lr = Curves(axes["lr"], np.arange(p.total_steps) / p.steps_per_epoch, _SERIES,
                         title="the rate of each update", xlabel="", ylabel="lr ÷ lr0",
                         ylim=(0, 1.12), legend=None)
        self.loss = Curves(axes["loss"], np.arange(p.epochs + 1), _SERIES, log=True,
                           ylim=(1e-6, 1e2), title="does the loss settle lower?",
                           xlabel="epoch", ylabel="loss − minimum", legend=None)
        self.loss.lines["schedule"].set_markevery(1)
        self.loss.lines["constant"].set_markevery(1)
        for ax in (axes["lr"], axes["loss"]):  # the same epochs, in whole numbers, on both
            ax.set_xlim(0, p.epochs)
            ax.set_xticks(np.arange(0, p.epochs + 1, 5))
        levels = np.logspace(-2, 1.5, 9)
        self.map = PathsOnContours(axes["path"], {"loss": _Contours(p)},
                                   {"constant": dict(_SERIES["constant"], marker=""),
                                    "schedule": dict(_SERIES["schedule"], marker="")},
                                   title="the weights", levels=levels,
                                   xlabel="weight w1", ylabel="weight w2")
        self.map.draw_scene("loss")
        # the curves and the path cross every corner for some schedule: the key sits above
        fig.legend(handles=[self.lr.lines["schedule"], self.lr.lines["constant"],
                            self.map.minimum, self.map.start], loc="outside upper center",
                   ncols=4, frameon=False)
        return self.lr.artists + self.loss.artists + self.map.artists

    def compute(self, schedule, lr0, decay, period, T_mult, pct_start):
        """``(run, constant run)``: the knobs the schedule does not use are set to their
        defaults, so those runs are shared (values checked by the base)."""
        knobs = dict(decay=decay, period=period, T_mult=T_mult, pct_start=pct_start)
        for name in knobs:
            if schedule not in KNOBS[name]:
                knobs[name] = DEFAULT_KNOBS[name]
        p = self.problem
        return (_train(p, schedule, lr0, **knobs),
                _train(p, "constant", lr0, **DEFAULT_KNOBS))

    def update(self, result, schedule, lr0):
        run, base = result
        p = self.problem
        for name, path in (("schedule", run), ("constant", base)):
            lrs = np.full(p.total_steps, np.nan)
            lrs[:len(path.lrs)] = path.lrs
            self.lr.set(name, lrs / lr0)
            loss = epoch_excess(p, path)
            if path.diverged:  # the explosion drawn off the top of the plot
                loss[np.argmax(np.isnan(loss))] = np.inf
            self.loss.set(name, loss)
            self.map.set(name, path.points)
        ending = (f"diverged at update {run.diverged_at}" if run.diverged
                  else f"last epoch {_fmt(final_excess(p, run))} above the minimum")
        return (f"{schedule}: {ending} (constant lr0: "
                f"{_fmt(final_excess(p, base)) if not base.diverged else 'diverged'})")


def explore_schedules(problem=None, **values):
    """The schedule explorer's widget (controls ``schedule``, ``lr0``, ``decay``, ``period``,
    ``T_mult``, ``pct_start``; see :class:`ScheduleExplorer` and :func:`make_schedule`)."""
    return ScheduleExplorer(problem).explore(**values)


def snapshot_schedules(problem=None, **values):
    """The schedule explorer's figure for one setting, with its alt text (a static Figure)."""
    return ScheduleExplorer(problem).snapshot(**values)
