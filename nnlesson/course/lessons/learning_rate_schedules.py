"""Lesson 07, learning-rate schedules: the experiments (compute, draw, widget).

Two experiments, each a pure compute function, a drawing object with ``update(**values)`` and a
thin widget function:

* **The schedule explorer.** Pick a schedule of :mod:`nnlesson.schedules` and its knobs; see its
  learning-rate curve and the training it produces: mini-batch SGD on a two-weight linear
  regression, whose whole loss surface fits in one contour plot. Mini-batches make the gradient
  noisy, so a constant rate leaves the weights jittering around the minimum at a distance that
  grows with the rate; a rate that decays lets them settle. :func:`make_problem`,
  :func:`make_schedule`, :func:`train_with_schedule`, :class:`ScheduleExplorer`,
  :func:`explore_schedules`, :func:`snapshot_schedules`.
* **Schedules on real data.** A small network on the digits, trained with
  :func:`nnlesson.train.fit` under several schedules, budgets and peak rates, to measure the
  seeds' claims (one-cycle "up to 50 %" less training, warm restarts "2-3 %" better accuracy).
  :func:`compare_on_digits`, :func:`figure_digits_comparison`.

:func:`figure_schedule_gallery` draws every schedule of the library side by side.

The step convention is the library's: ``schedule(t)`` is the rate of update ``t = 0, 1, ...``.
Knobs given in epochs become steps through ``steps_per_epoch``.
"""
from __future__ import annotations

import copy
import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_choice, check_int, check_number, check_rng
from nnlesson.optim import SGD, gd_update
from nnlesson.viz.plotting import Backdrop
from nnlesson.schedules import (
    CosineAnnealing,
    CosineWarmRestarts,
    InverseTimeDecay,
    LinearWarmup,
    NaturalExpDecay,
    OneCycle,
    ReduceLROnPlateau,
    StepDecay,
    schedule_values,
)

__all__ = [
    "SCHEDULES",
    "make_schedule",
    "Problem",
    "make_problem",
    "ScheduleRun",
    "train_with_schedule",
    "ScheduleExplorer",
    "explore_schedules",
    "snapshot_schedules",
    "figure_schedule_gallery",
    "figure_lr_curves",
    "DigitsComparison",
    "compare_on_digits",
    "train_digits",
    "figure_digits_comparison",
]

#: The schedules of the explorer, in the order of its dropdown.
SCHEDULES = (
    "constant",
    "step decay",
    "exponential decay",
    "1/t decay",
    "cosine annealing",
    "warm restarts",
    "one-cycle",
    "warm-up + cosine",
    "reduce on plateau",
)

#: Where the linear warm-up of "warm-up + cosine" starts, as a fraction of lr0.
WARMUP_START = 0.1


class _Constant:
    """``lr(t) = lr0``: the baseline every schedule is compared with."""

    def __init__(self, lr0):
        self.lr0 = lr0

    def __call__(self, t):
        return self.lr0

    def __repr__(self):
        return f"constant(lr0={self.lr0:g})"


def make_schedule(name, lr0, *, steps_per_epoch, epochs, decay=0.3, period=5, T_mult=1,
                  pct_start=0.3):
    """Build the library schedule ``name`` from the explorer's knobs.

    The knobs are shared by the schedules so that one set of sliders drives them all:

    ======================  ==============================================================
    name                    library object (``T = epochs * steps_per_epoch``,
                            ``P = period * steps_per_epoch``)
    ======================  ==============================================================
    ``constant``            ``lr(t) = lr0``
    ``step decay``          ``StepDecay(lr0, step_size=P, gamma=decay)``
    ``exponential decay``   ``NaturalExpDecay(lr0, k=-ln(decay) / P)``
    ``1/t decay``           ``InverseTimeDecay(lr0, k=(1 / decay - 1) / P)``
    ``cosine annealing``    ``CosineAnnealing(lr0, T_max=T)``
    ``warm restarts``       ``CosineWarmRestarts(lr0, T_0=P, T_mult=T_mult)``
    ``one-cycle``           ``OneCycle(max_lr=lr0, total_steps=T, pct_start=pct_start)``
    ``warm-up + cosine``    ``LinearWarmup(lr0, W, 0.1, after=CosineAnnealing(lr0, T - W))``
                            with ``W = round(pct_start * T)`` warm-up steps
    ``reduce on plateau``   ``ReduceLROnPlateau(lr0, factor=decay, patience=period)``,
                            stepped once per epoch
    ======================  ==============================================================

    So step, exponential and 1/t decay all reach ``decay * lr0`` after ``period`` epochs: the
    same target, reached in one jump, smoothly, or ever more slowly.

    Returns:
        a schedule ``t -> lr`` (a :class:`~nnlesson.schedules.ReduceLROnPlateau` for
        ``"reduce on plateau"``, which is driven with ``step(metric)`` instead).
    """
    check_choice("name", name, SCHEDULES)
    lr0 = check_number("lr0", lr0, low=0, low_open=True)
    steps_per_epoch = check_int("steps_per_epoch", steps_per_epoch, low=1)
    epochs = check_int("epochs", epochs, low=1)
    decay = check_number("decay", decay, low=0, high=1, low_open=True, high_open=True)
    period = check_int("period", period, low=1)
    T_mult = check_int("T_mult", T_mult, low=1)
    pct_start = check_number("pct_start", pct_start, low=0, high=1, low_open=True, high_open=True)
    T = epochs * steps_per_epoch
    P = period * steps_per_epoch
    if name == "constant":
        return _Constant(lr0)
    if name == "step decay":
        return StepDecay(lr0, step_size=P, gamma=decay)
    if name == "exponential decay":
        return NaturalExpDecay(lr0, k=-math.log(decay) / P)
    if name == "1/t decay":
        return InverseTimeDecay(lr0, k=(1 / decay - 1) / P)
    if name == "cosine annealing":
        return CosineAnnealing(lr0, T_max=T)
    if name == "warm restarts":
        return CosineWarmRestarts(lr0, T_0=P, T_mult=T_mult)
    if name == "one-cycle":
        return OneCycle(max_lr=lr0, total_steps=T, pct_start=pct_start)
    if name == "warm-up + cosine":
        warm = min(max(1, round(pct_start * T)), T - 1)
        return LinearWarmup(lr0, warmup_steps=warm, start_factor=WARMUP_START,
                            after=CosineAnnealing(lr0, T_max=T - warm))
    return ReduceLROnPlateau(lr0, factor=decay, patience=period)


# --------------------------------------------------------------------------- the explorer's problem


@dataclass(frozen=True, eq=False)
class Problem:
    """A two-weight linear regression ``y ~ X @ w`` trained with mini-batch SGD.

    The loss is the mean squared error of :func:`nnlesson.losses.mse_loss`. For a linear model
    its gradient on the rows ``b`` of one mini-batch is a small linear map of ``w``::

        L_b(w) = mean_b (X_b w - y_b)^2
        g_b(w) = (2 / B) X_b^T (X_b w - y_b) = A_b w - c_b,
        A_b = (2 / B) X_b^T X_b   (2, 2),        c_b = (2 / B) X_b^T y_b   (2,)

    so ``A`` and ``c`` are computed once for every mini-batch of every epoch (the shuffling is
    fixed by the seed) and a training step costs one 2x2 product. The full training loss is
    ``L(w) = L(w*) + (w - w*)^T H (w - w*)`` with ``H = X^T X / n``.

    Attributes:
        X (n, 2), y (n,): training data; X_val, y_val: validation data.
        batch_size, epochs, steps_per_epoch: the training budget.
        order (epochs, steps_per_epoch, batch_size): the rows of each mini-batch.
        A (epochs, steps_per_epoch, 2, 2), c (epochs, steps_per_epoch, 2): the batch maps.
        w_star (2,): the least-squares solution; loss_star: L(w_star); H (2, 2).
        start (2,): where training starts.
    """

    X: np.ndarray
    y: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    batch_size: int
    epochs: int
    steps_per_epoch: int
    order: np.ndarray
    A: np.ndarray
    c: np.ndarray
    w_star: np.ndarray
    loss_star: float
    H: np.ndarray
    start: np.ndarray

    @property
    def total_steps(self):
        return self.epochs * self.steps_per_epoch

    def loss(self, w):
        """Training MSE at ``w`` of shape (2,) or (..., 2) (returns a float or shape (...))."""
        w = np.asarray(w, dtype=np.float64)
        d = w - self.w_star
        out = self.loss_star + np.einsum("...i,ij,...j->...", d, self.H, d)
        return float(out) if out.ndim == 0 else out

    def val_loss(self, w):
        """Validation MSE at ``w`` of shape (2,)."""
        r = self.X_val @ w - self.y_val
        return float(np.mean(r * r))


def make_problem(n_train=160, n_val=80, batch_size=8, epochs=20, scales=(1.0, 0.5), noise=0.5,
                 w_true=(1.0, -1.0), start=(-2.0, 2.5), seed=0):
    """The explorer's regression problem (see :class:`Problem`), fully determined by ``seed``.

    ``X[:, j] = scales[j] * N(0, 1)``, ``y = X @ w_true + noise * N(0, 1)``; the mini-batches
    of each epoch are a fresh permutation of the rows, cut into ``n_train // batch_size``
    batches (the remainder is dropped so every batch has the same size).
    """
    n_train = check_int("n_train", n_train, low=2)
    n_val = check_int("n_val", n_val, low=1)
    batch_size = check_int("batch_size", batch_size, low=1, high=n_train)
    epochs = check_int("epochs", epochs, low=1)
    noise = check_number("noise", noise, low=0)
    rng = check_rng(seed)
    scales = np.asarray(scales, dtype=np.float64)
    w_true = np.asarray(w_true, dtype=np.float64)
    X_all = rng.standard_normal((n_train + n_val, 2)) * scales
    y_all = X_all @ w_true + noise * rng.standard_normal(n_train + n_val)
    X, y, X_val, y_val = X_all[:n_train], y_all[:n_train], X_all[n_train:], y_all[n_train:]
    ipe = n_train // batch_size
    order = np.stack([rng.permutation(n_train)[: ipe * batch_size] for _ in range(epochs)])
    order = order.reshape(epochs, ipe, batch_size)
    Xb, yb = X[order], y[order]
    A = (2.0 / batch_size) * np.einsum("ekbi,ekbj->ekij", Xb, Xb)
    c = (2.0 / batch_size) * np.einsum("ekbi,ekb->eki", Xb, yb)
    w_star = np.linalg.solve(X.T @ X, X.T @ y)
    r = X @ w_star - y
    return Problem(X=X, y=y, X_val=X_val, y_val=y_val, batch_size=batch_size, epochs=epochs,
                   steps_per_epoch=ipe, order=order, A=A, c=c, w_star=w_star,
                   loss_star=float(np.mean(r * r)),
                   H=X.T @ X / n_train, start=np.asarray(start, dtype=np.float64))


@dataclass(frozen=True, eq=False)
class ScheduleRun:
    """One training run of the explorer.

    Attributes:
        lr (T,): the learning rate of each update.
        path (T + 1, 2): the weights, from the start to after the last update; rows after a
            divergence are NaN.
        excess (T + 1,): ``L(w_t) - L(w*)``, the training loss above its minimum (NaN after a
            divergence).
        val_loss (epochs,): validation MSE after each epoch (NaN after a divergence).
        diverged_at: None, or the update (from 0) after which ``|w|`` exceeded 1e3.
    """

    lr: np.ndarray
    path: np.ndarray
    excess: np.ndarray
    val_loss: np.ndarray
    diverged_at: int | None

    @property
    def epoch_excess(self):
        """(epochs + 1,): the excess loss at the start, then its mean over each epoch's updates."""
        E = len(self.val_loss)
        per_epoch = self.excess[1:].reshape(E, -1).mean(axis=1)
        return np.concatenate([self.excess[:1], per_epoch])

    @property
    def final_excess(self):
        """Mean excess loss over the last epoch: the level training settled at (NaN if diverged)."""
        return float(self.epoch_excess[-1])


def train_with_schedule(problem, schedule):
    """Mini-batch SGD on ``problem`` with the learning rate of update ``t`` from ``schedule``.

    Each update is ``w = gd_update(w, g_b(w), lr=schedule(t))`` (plain SGD, no momentum). A
    :class:`~nnlesson.schedules.ReduceLROnPlateau` is copied, reset and stepped once per
    epoch with the validation loss (the one passed in is not changed). Training stops when
    ``|w| > 1e3`` (diverged).

    Returns:
        :class:`ScheduleRun`.
    """
    if not isinstance(problem, Problem):
        raise TypeError(f"problem must be a Problem from make_problem(), got {problem!r}")
    plateau = isinstance(schedule, ReduceLROnPlateau)
    if plateau:
        schedule = copy.deepcopy(schedule)
        schedule.reset()
    elif not callable(schedule):
        raise TypeError(
            f"schedule must be a callable t -> lr or a ReduceLROnPlateau, got {schedule!r}")
    E, ipe = problem.epochs, problem.steps_per_epoch
    T = E * ipe
    lr = np.full(T, np.nan)
    path = np.full((T + 1, 2), np.nan)
    val = np.full(E, np.nan)
    w = problem.start.copy()
    path[0] = w
    diverged_at = None
    if not plateau:
        lr[:] = schedule_values(schedule, T)
    for e in range(E):
        if plateau:
            lr[e * ipe:(e + 1) * ipe] = schedule.lr
        for k in range(ipe):
            t = e * ipe + k
            g = problem.A[e, k] @ w - problem.c[e, k]
            w = gd_update(w, g, lr=lr[t])
            if not abs(w[0]) + abs(w[1]) < 1e3:  # also catches NaN
                diverged_at = t
                break
            path[t + 1] = w
        if diverged_at is not None:
            break
        val[e] = problem.val_loss(w)
        if plateau:
            schedule.step(val[e])
    excess = problem.loss(path) - problem.loss_star
    return ScheduleRun(lr=lr, path=path, excess=excess, val_loss=val, diverged_at=diverged_at)


# --------------------------------------------------------------------------- the explorer's figure


def _fmt(x):
    return "diverged" if not np.isfinite(x) else f"{x:.1e}"


class ScheduleExplorer:
    """The explorer's figure, built once; :meth:`update` changes its artists only.

    Three panels: the learning-rate curve divided by ``lr0`` (the chosen schedule and the
    constant ``lr0``), the training loss above its minimum (mean per epoch, log scale), and the
    path of the weights on the contours of the loss. The constant-rate run is cached per
    ``lr0``. With ``bake=True`` (the widget) the static parts are painted once
    (:class:`~nnlesson.viz.plotting.Backdrop`); ``bake=False`` keeps an ordinary figure (snapshots).
    """

    def __init__(self, problem=None, bake=True):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.problem = make_problem() if problem is None else problem
        self.bake = bake
        p = self.problem
        self._baseline = {}
        fig, (ax_lr, ax_loss, ax_path) = new_figure(3, 1, width=13.0, height=4.0)
        self.figure = fig
        self.axes = (ax_lr, ax_loss, ax_path)
        s0 = dict(series_style(0), markevery=0.1, markersize=4)
        s1 = dict(series_style(1), markevery=0.1, markersize=4)

        epochs = np.arange(p.total_steps) / p.steps_per_epoch
        (self.lr_line,) = ax_lr.plot(epochs, np.ones(p.total_steps), label="schedule", **s0)
        (self.lr_const,) = ax_lr.plot(epochs, np.ones(p.total_steps), label="constant lr0",
                                      **s1)
        ax_lr.set_xlim(0, p.epochs)
        ax_lr.set_ylim(0, 1.12)
        label_axes(ax_lr, title="the learning rate of each update, divided by lr0",
                   xlabel="epoch", ylabel="learning rate / lr0")
        self.lr_text = ax_lr.text(0.98, 0.03, "", transform=ax_lr.transAxes, fontsize=9,
                                  ha="right", va="bottom")

        e = np.arange(p.epochs + 1)
        (self.loss_line,) = ax_loss.plot(e, np.ones(p.epochs + 1), label="schedule",
                                         **dict(s0, markevery=1))
        (self.loss_const,) = ax_loss.plot(e, np.ones(p.epochs + 1), label="constant lr0",
                                          **dict(s1, markevery=1))
        ax_loss.set_yscale("log")
        ax_loss.set_xlim(0, p.epochs)
        ax_loss.set_ylim(1e-6, 1e2)
        label_axes(ax_loss, title="does the loss settle lower than with a constant rate?",
                   xlabel="epoch", ylabel="training loss − minimum (epoch mean)")
        ax_loss.legend(loc="lower left", fontsize=8)
        self.loss_text = ax_loss.text(0.98, 0.97, "", transform=ax_loss.transAxes, fontsize=8,
                                      ha="right", va="top")

        # the loss surface: computed and drawn once
        xs = np.linspace(-2.6, 2.6, 120)
        ys = np.linspace(-2.6, 3.0, 120)
        GX, GY = np.meshgrid(xs, ys)
        Z = p.loss(np.stack([GX, GY], axis=-1)) - p.loss_star
        ax_path.contour(GX, GY, Z, levels=np.logspace(-2, 1.5, 9), colors="#999999",
                        linewidths=0.7)
        ax_path.plot(*p.w_star, marker="*", color=PALETTE[7], markersize=12, linestyle="none",
                     label="minimum w*")
        ax_path.plot(*p.start, marker="o", color=PALETTE[7], markersize=5, linestyle="none",
                     label="start")
        (self.path_const,) = ax_path.plot([], [], color=s1["color"], linestyle="--",
                                          linewidth=0.8, label="constant lr0")
        (self.path_line,) = ax_path.plot([], [], color=s0["color"], linestyle="-",
                                         linewidth=1.0, label="schedule")
        (self.path_end,) = ax_path.plot([], [], color=s0["color"], marker="o", markersize=6,
                                        linestyle="none")
        ax_path.set_xlim(xs[0], xs[-1])
        ax_path.set_ylim(ys[0], ys[-1])
        label_axes(ax_path, title="the weights: a decaying rate lets them settle at w*",
                   xlabel="weight w1", ylabel="weight w2")
        ax_path.legend(loc="lower left", fontsize=8)

        self.update()  # draw the default knobs once, so the layout sees real data
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, [
                self.lr_line, self.lr_const, self.lr_text, self.loss_line, self.loss_const,
                self.loss_text, self.path_const, self.path_line, self.path_end])

    def _constant_run(self, lr0):
        if lr0 not in self._baseline:
            self._baseline[lr0] = train_with_schedule(
                self.problem, make_schedule("constant", lr0, steps_per_epoch=1, epochs=1))
        return self._baseline[lr0]

    def compute(self, schedule="cosine annealing", lr0=0.1, decay=0.3, period=5, T_mult=1,
                pct_start=0.3):
        """``(run, constant_run, schedule_object)`` for these knobs (the baseline is cached)."""
        p = self.problem
        sched = make_schedule(schedule, lr0, steps_per_epoch=p.steps_per_epoch, epochs=p.epochs,
                              decay=decay, period=period, T_mult=T_mult, pct_start=pct_start)
        return train_with_schedule(p, sched), self._constant_run(lr0), sched

    def update(self, schedule="cosine annealing", lr0=0.1, decay=0.3, period=5, T_mult=1,
               pct_start=0.3):
        run, base, sched = self.compute(schedule, lr0, decay, period, T_mult, pct_start)
        self.run, self.baseline_run, self.schedule = run, base, sched
        self.lr_line.set_ydata(run.lr / lr0)
        self.lr_const.set_ydata(base.lr / lr0)
        self.lr_text.set_text(f"lr0 = {lr0:.3g}")
        if not self.bake:  # a snapshot has no dropdown: name the schedule in the title
            self.axes[0].set_title(f"learning rate / lr0: {schedule}", fontsize=10)
        self.loss_line.set_ydata(np.clip(run.epoch_excess, 1e-12, None))
        self.loss_const.set_ydata(np.clip(base.epoch_excess, 1e-12, None))
        # short: this text is re-rendered at every slider move
        self.loss_text.set_text(
            f"end {_fmt(run.final_excess)} (constant {_fmt(base.final_excess)})")
        self.path_line.set_data(run.path[:, 0], run.path[:, 1])
        self.path_const.set_data(base.path[:, 0], base.path[:, 1])
        ok = run.path[np.isfinite(run.path[:, 0])]
        self.path_end.set_data([ok[-1, 0]], [ok[-1, 1]])


def explore_schedules(schedule="cosine annealing", lr0=0.1, decay=0.3, period=5, T_mult=1,
                      pct_start=0.3, problem=None):
    """The schedule explorer: a dropdown for the schedule, ``lr0`` on a log slider, the knobs.

    Knobs (see :func:`make_schedule` for what each schedule does with them): ``decay`` (the
    factor of step, exponential and 1/t decay and of reduce-on-plateau), ``period`` in epochs
    (step size, the time to reach ``decay * lr0``, the first cycle of warm restarts, the
    patience of reduce-on-plateau), ``T_mult`` (warm restarts: each cycle this many times longer)
    and ``pct_start`` (one-cycle and warm-up: the fraction of training spent warming up).
    """
    from nnlesson.viz.widgets import choice, float_slider, int_slider, interactive_plot, lr_slider

    drawing = ScheduleExplorer(problem)
    return interactive_plot(
        drawing.figure, drawing.update,
        schedule=choice(list(SCHEDULES), schedule, description="schedule"),
        lr0=lr_slider(lr0, min_exp=-3, max_exp=0, description="lr0 (peak rate)"),
        decay=float_slider(decay, min=0.05, max=0.95, step=0.05,
                           description="decay factor γ"),
        period=int_slider(period, min=1, max=10, description="period (epochs)"),
        T_mult=int_slider(T_mult, min=1, max=3, description="T_mult (restarts)"),
        pct_start=float_slider(pct_start, min=0.05, max=0.5, step=0.05,
                               description="warm-up fraction"),
    )


def snapshot_schedules(schedule="cosine annealing", lr0=0.1, decay=0.3, period=5, T_mult=1,
                       pct_start=0.3, problem=None):
    """The explorer's figure for one setting of the knobs (a static Figure for slides)."""
    drawing = ScheduleExplorer(problem, bake=False)
    drawing.update(schedule=schedule, lr0=lr0, decay=decay, period=period, T_mult=T_mult,
                   pct_start=pct_start)
    return drawing.figure


def figure_schedule_gallery(lr0=0.1, epochs=30, steps_per_epoch=10):
    """Every schedule of the library on one page, each over the same budget."""
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    fig, axes = new_figure(3, 3, width=12.0, height=8.0)
    T = epochs * steps_per_epoch
    t = np.arange(T) / steps_per_epoch
    plateau_losses = _plateau_demo_losses(epochs)
    for i, (ax, name) in enumerate(zip(axes.ravel(), SCHEDULES)):
        sched = make_schedule(name, lr0, steps_per_epoch=steps_per_epoch, epochs=epochs,
                              decay=0.3, period=epochs // 5 if name != "reduce on plateau" else 2,
                              T_mult=2, pct_start=0.3)
        if isinstance(sched, ReduceLROnPlateau):
            # epoch e uses the rate set after the losses of epochs 0 .. e-1
            per_epoch = [sched.lr] + [sched.step(v) for v in plateau_losses[:-1]]
            lrs = np.repeat(per_epoch, steps_per_epoch)
        else:
            lrs = schedule_values(sched, T)
        style = series_style(i if i < 6 else i + 1)  # skip the pale yellow on white
        style["markevery"] = 0.1
        style["markersize"] = 4
        ax.plot(t, lrs, **style)
        ax.set_ylim(0, 1.08 * lr0)
        label_axes(ax, title=name, xlabel="epoch" if i >= 6 else "",
                   ylabel="learning rate" if i % 3 == 0 else "")
    axes[2, 2].set_title("reduce on plateau (loss stalls at epochs 6, 15)", fontsize=10)
    return fig


def figure_lr_curves(curves, *, title="learning rate per step"):
    """Learning-rate curves ``{label: rates}`` (each a sequence indexed by the step ``t``)."""
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    fig, ax = new_figure(width=7.0, height=3.2)
    for i, (label, rates) in enumerate(curves.items()):
        rates = np.asarray(rates, dtype=np.float64)
        ax.plot(np.arange(len(rates)), rates, label=label,
                **dict(series_style(i), markevery=0.1, markersize=4))
    label_axes(ax, title=title, xlabel="step t", ylabel="learning rate")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    return fig


def _plateau_demo_losses(epochs):
    """A made-up validation loss that improves, stalls at epoch 6 and again at 15."""
    loss = []
    value = 1.0
    for e in range(epochs):
        if e < 6 or 10 <= e < 15:
            value *= 0.8
        loss.append(value)
    return loss


# --------------------------------------------------------------------------- real data: digits


@functools.lru_cache(maxsize=2)
def train_digits(schedule, epochs, lr0, seed=0, *, batch_size=128, hidden=32, momentum=0.9):
    """Train ``mlp([64, hidden, 10])`` on the digits with SGD (classical momentum) and ``fit``.

    ``schedule`` is a name of :data:`SCHEDULES`, built by :func:`make_schedule` with the budget
    (step decay and warm restarts use ``period = epochs // 2``: one drop, two cycles). The
    network's initial weights and the shuffling come from ``seed``; the split is always the
    same. Returns the :class:`~nnlesson.train.History` (a diverged run is returned as it is).
    """
    from nnlesson.datasets import load_digits_split
    from nnlesson.train import fit, mlp

    X_train, X_val, y_train, y_val = load_digits_split()
    ipe = math.ceil(len(X_train) / batch_size)
    sched = make_schedule(schedule, lr0, steps_per_epoch=ipe, epochs=epochs, decay=0.1,
                          period=max(1, epochs // 2), T_mult=1, pct_start=0.3)
    model = mlp([X_train.shape[1], hidden, 10], rng=seed)
    opt = SGD(model.parameters(), lr=lr0, momentum=momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverged run is part of the measurement
        return fit(model, X_train, y_train, optimizer=opt, epochs=epochs, batch_size=batch_size,
                   rng=seed, schedule=sched, X_val=X_val, y_val=y_val)


@dataclass(frozen=True, eq=False)
class DigitsComparison:
    """Validation accuracies of :func:`compare_on_digits`.

    Attributes:
        schedules, budgets (epochs), lrs (peak rates), seeds: what was run.
        accuracy: array (len(schedules), len(budgets), len(lrs)): the final validation accuracy,
            mean over the seeds (NaN if a run diverged).
        curves: {(schedule, budget, lr): (lr per update, val accuracy per epoch)} of seed 0.
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
                      budgets=(5, 10), lrs=(0.1, 0.3, 1.0), seeds=(0, 1)):
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
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    lr = max(comparison.lrs) if lr is None else lr
    budget = max(comparison.budgets) if budget is None else budget
    fig, (ax_lr, ax_acc) = new_figure(2, 1, width=11.0, height=4.0)
    for i, s in enumerate(comparison.schedules):
        lrs, acc = comparison.curves[(s, budget, lr)]
        style = series_style(i)
        ipe = len(lrs) / max(1, len(acc)) if len(acc) else 1
        ax_lr.plot(np.arange(len(lrs)) / ipe, lrs, label=s, **style)
        ax_acc.plot(np.arange(1, len(acc) + 1), 100 * acc, label=s, **style)
    label_axes(ax_lr, title=f"the learning rate (peak {lr:g}, {budget} epochs)", xlabel="epoch",
               ylabel="learning rate")
    label_axes(ax_acc, title="validation accuracy: a rate that ends small ends higher",
               xlabel="epoch", ylabel="validation accuracy (%)")
    ax_acc.set_ylim(80, 100)
    ax_lr.legend(fontsize=8)
    ax_acc.legend(fontsize=8, loc="lower right")
    return fig
