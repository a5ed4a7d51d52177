"""Lesson 08, gradient clipping: the experiments (compute, draw, widget).

* **A gradient that explodes.** A linear recurrent unit with one hidden state,
  ``h_t = w h_(t-1) + u`` from ``h_0 = 0``, has ``h_T = u (1 + w + ... + w^(T-1))``: the weight
  ``w`` is multiplied into the state ``T`` times, so for ``w > 1`` the loss and its gradient grow
  like ``w^T`` (:class:`RepeatedMultiplication`, a two-weight surface). Gradient descent that
  steps onto that wall is thrown further up it and explodes within a few steps; clipping the
  gradient bounds the step. :func:`clipped_descent` runs plain gradient descent with no
  clipping, clipping by norm or clipping by value (all from :mod:`nnlesson.clip`) and records
  the gradient norm *before* clipping and the cosine between the gradient and its clipped
  version; :class:`ClippingExplorer`, :func:`explore_clipping`, :func:`snapshot_clipping`.
* **A deep network on the digits** trained with :func:`nnlesson.train.fit` at a learning rate
  where it diverges, with and without ``clip_norm``: :func:`train_deep_digits`,
  :func:`figure_deep_digits`.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.clip import Clipping, clip_by_global_norm, clip_by_value
from nnlesson.course.surfaces import Surface
from nnlesson.datasets import load_digits_split
from nnlesson.viz.plotting import Backdrop
from nnlesson.optim import SGD, gd_update

__all__ = [
    "RepeatedMultiplication",
    "MODES",
    "ClipRun",
    "clipped_descent",
    "ClippingExplorer",
    "explore_clipping",
    "snapshot_clipping",
    "train_deep_digits",
    "dead_units",
    "figure_deep_digits",
]

#: How the gradient is treated before each step.
MODES = ("none", "norm", "value")


@dataclass(frozen=True, eq=False)
class RepeatedMultiplication(Surface):
    """The loss of a one-unit linear RNN on its last state: repeated multiplication by ``w``.

    Equations (``x = w``, the recurrent weight; ``y = u``, the input weight; input 1 at every
    step, ``h_0 = 0``)::

        h_t  = w h_(t-1) + u                    t = 1 .. T
        h_T  = u S(w),   S(w) = 1 + w + ... + w^(T-1)
        f    = (h_T - target)^2 / 2
        df/du = (h_T - target) S(w)
        df/dw = (h_T - target) u S'(w),   S'(w) = 1 + 2 w + ... + (T-1) w^(T-2)

    For ``w < 1`` the sums stay near ``1 / (1 - w)``; for ``w > 1`` they grow like ``w^T``, and so
    does the gradient: a wall. The zero-loss points form the valley ``u = target / S(w)``; with
    the default ``target = T`` it passes through ``(1, 1)``.
    """

    T: int = 12
    target: float = 12.0

    name = "repeated multiplication"
    formula = r"\frac{1}{2}\left(u\,(1 + w + \dots + w^{T-1}) - y\right)^2"
    default_start = (0.3, 0.3)
    bounds = ((0.0, 1.5), (0.0, 2.0))

    def __post_init__(self):
        object.__setattr__(self, "T", check_int("T", self.T, low=2))
        object.__setattr__(self, "target", check_number("target", self.target))

    @property
    def minimum(self):
        """One point of the zero-loss valley: ``(1, target / T)``."""
        return (1.0, self.target / self.T)

    min_value = 0.0

    def _sums(self, w):
        # Horner's rule for S(w) and S'(w); overflow to inf is the point of this surface
        S = np.ones_like(w)
        dS = np.zeros_like(w)
        for _ in range(self.T - 1):
            dS = dS * w + S
            S = S * w + 1.0
        return S, dS

    def grad_point(self, w):
        """``grad(w)`` for one point ``w = (w, u)``, without argument checks (for fast loops)."""
        x, y = float(w[0]), float(w[1])
        S, dS = 1.0, 0.0
        for _ in range(self.T - 1):  # Horner's rule, as in _sums; floats overflow to inf
            dS = dS * x + S
            S = S * x + 1.0
        r = y * S - self.target
        return np.array([r * y * dS, r * S])

    def _value(self, x, y):
        with np.errstate(over="ignore", invalid="ignore"):
            S, _ = self._sums(x)
            return 0.5 * (y * S - self.target) ** 2

    def _grad(self, x, y):
        with np.errstate(over="ignore", invalid="ignore"):
            S, dS = self._sums(x)
            r = y * S - self.target
            return r * y * dS, r * S


@dataclass(frozen=True, eq=False)
class ClipRun:
    """Gradient descent on a surface with one way of clipping.

    Attributes:
        points (k + 1, 2): the start and the weights after each step taken.
        loss (k + 1,): the loss at each point.
        grad_norm (k',): the gradient's L2 norm *before* clipping at each step (k' = k, or
            k + 1 when the run stopped on a non-finite gradient, which is then recorded).
        cosine (k,): cosine between the raw and the clipped gradient of each step (1 when
            nothing was clipped).
        diverged_at: None, or the step (from 0) whose gradient or result was not finite or
            left ``|w| < 1e6``.
    """

    points: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    cosine: np.ndarray
    diverged_at: int | None

    @property
    def diverged(self):
        return self.diverged_at is not None


def clipped_descent(surface, lr, mode="norm", threshold=1.0, n_steps=60, start=None):
    """Plain gradient descent on ``surface``, clipping each gradient before the step.

    Each step, in the order of a training loop::

        g      = surface.grad(w)
        g_clip = g                                      mode "none"
                 clip_by_global_norm([g], threshold)    mode "norm"
                 clip_by_value([g], threshold)          mode "value"
        w      = gd_update(w, g_clip, lr=lr)

    and, for the plots, ``||g||_2`` before clipping (what ``clip_grad_norm`` returns) and
    ``cos(g, g_clip) = <g, g_clip> / (||g|| ||g_clip||)`` (:func:`nnlesson.clip.direction_cosine`;
    1 when a gradient is zero), computed for all steps at once after the loop.

    Args:
        surface: a :class:`nnlesson.course.surfaces.Surface` (one with a ``grad_point(w)`` method,
            such as :class:`RepeatedMultiplication`, is stepped without re-checking ``w``).
        lr: learning rate > 0. mode: ``"none"``, ``"norm"`` or ``"value"``.
        threshold: ``max_norm`` or ``clip_value``, > 0 (ignored for ``"none"``).
        n_steps: number of steps, >= 1. start: (2,), default ``surface.default_start``.

    Returns:
        :class:`ClipRun`; the run stops early when it diverges.
    """
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be a nnlesson.course.surfaces.Surface, got {surface!r}")
    lr = check_number("lr", lr, low=0, low_open=True)
    check_choice("mode", mode, MODES)
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    n_steps = check_int("n_steps", n_steps, low=1)
    w = check_array("start", surface.default_start if start is None else start, ndim=1,
                    dtype=np.float64).copy()
    if w.shape != (2,):
        raise ValueError(f"start must be a point (w, u) of shape (2,), got shape {w.shape}")
    grad = getattr(surface, "grad_point", surface.grad)
    points, raw, clipped = [w.copy()], [], []
    diverged_at = None
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(n_steps):
            g = grad(w)
            raw.append(g)
            if not math.isfinite(math.hypot(g[0], g[1])):
                diverged_at = t
                break
            if mode == "norm":
                g_clip = clip_by_global_norm([g], threshold)[0][0]
            elif mode == "value":
                g_clip = clip_by_value([g], threshold)[0]
            else:
                g_clip = g
            clipped.append(g_clip)
            w = gd_update(w, g_clip, lr=lr)
            if not abs(w[0]) + abs(w[1]) < 1e6:  # also catches NaN
                diverged_at = t
                break
            points.append(w.copy())
        raw = np.array(raw).reshape(-1, 2)
        clipped = np.array(clipped).reshape(-1, 2)
        norms = np.sqrt(np.sum(raw * raw, axis=1))
        k = len(clipped)
        dots = np.sum(raw[:k] * clipped, axis=1)
        lengths = norms[:k] * np.sqrt(np.sum(clipped * clipped, axis=1))
        cosine = np.where(lengths > 0, dots / np.where(lengths > 0, lengths, 1.0), 1.0)
        points = np.array(points)
        loss = surface.value(points)
    return ClipRun(points=points, loss=loss, grad_norm=norms, cosine=cosine,
                   diverged_at=diverged_at)


# --------------------------------------------------------------------------- the figure


_LABELS = {"none": "no clipping", "norm": "clip by norm", "value": "clip by value"}


def _describe(run, mode):
    # short: this text is re-rendered at every slider move
    if run.diverged:
        return f"{mode}: exploded, step {run.diverged_at}"
    return f"{mode}: loss {run.loss[-1]:.2g}"


class ClippingExplorer:
    """Four panels, built once: the paths on the loss contours, the gradient norm before
    clipping per step, the cosine between raw and clipped gradient, and the loss per step.

    Three runs at the same learning rate: no clipping (cached per learning rate), clipping by
    norm and clipping by value at the same threshold. ``bake=True`` paints the static parts
    once (:class:`~nnlesson.viz.plotting.Backdrop`).
    """

    def __init__(self, surface=None, n_steps=60, bake=True):
        from nnlesson.course.surfaces import loss_grid
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.surface = RepeatedMultiplication() if surface is None else surface
        self.n_steps = n_steps
        self._unclipped = {}
        fig, axes = new_figure(2, 2, width=10.0, height=6.6)
        self.figure = fig
        ax_path, ax_norm, ax_cos, ax_loss = axes.ravel()
        self.axes = (ax_path, ax_norm, ax_cos, ax_loss)
        styles = {m: dict(series_style(i), markevery=0.1, markersize=4)
                  for i, m in enumerate(MODES)}
        self.styles = styles

        X, Y, Z = loss_grid(self.surface, n=160)
        ax_path.contour(X, Y, np.log10(Z + 1e-3), levels=[0, 1, 2, 3, 4, 5],
                        colors="#999999", linewidths=0.7)
        w_axis = np.linspace(*self.surface.bounds[0], 200)
        S, _ = self.surface._sums(w_axis)
        ax_path.plot(w_axis, self.surface.target / S, color=PALETTE[7], linewidth=0.8,
                     linestyle=(0, (4, 2)), label="zero-loss valley")
        ax_path.axvline(1.0, color="#999999", linewidth=0.8, linestyle=":")
        ax_path.text(1.02, 0.05, r"$w > 1$: $w^T$ grows", fontsize=8, color="#555555")
        ax_path.plot(*self.surface.default_start, marker="o", color=PALETTE[7],
                     linestyle="none", label="start")
        self.path = {}
        for m in MODES:
            (self.path[m],) = ax_path.plot([], [], label=_LABELS[m], linewidth=1.2,
                                           **dict(styles[m], markevery=1, markersize=3))
        (x0, x1), (y0, y1) = self.surface.bounds
        ax_path.set_xlim(x0, x1)
        ax_path.set_ylim(y0, y1)
        label_axes(ax_path, title="the path: past w = 1 the wall throws unclipped steps away",
                   xlabel="recurrent weight w", ylabel="input weight u")
        ax_path.legend(loc="upper right", fontsize=8)

        steps = np.arange(n_steps)
        self.norm = {}
        for m in MODES:
            (self.norm[m],) = ax_norm.plot(steps, np.ones(n_steps), label=_LABELS[m], **styles[m])
        self.threshold_line = ax_norm.axhline(1.0, color=PALETTE[7], linewidth=0.8,
                                              linestyle=":", label="threshold")
        ax_norm.set_yscale("log")
        ax_norm.set_xlim(0, n_steps)
        ax_norm.set_ylim(1e-2, 1e8)
        label_axes(ax_norm, title="gradient norm before clipping (what clip_grad_norm returns)",
                   xlabel="step", ylabel="‖g‖ before clipping")
        ax_norm.legend(loc="upper right", fontsize=8)

        self.cos = {}
        for m in ("norm", "value"):
            (self.cos[m],) = ax_cos.plot(steps, np.ones(n_steps), label=_LABELS[m], **styles[m])
        ax_cos.set_xlim(0, n_steps)
        ax_cos.set_ylim(0.5, 1.03)
        label_axes(ax_cos, title="direction kept? cosine(g, clipped g): 1 = same direction",
                   xlabel="step", ylabel="cosine")
        ax_cos.legend(loc="lower right", fontsize=8)

        self.loss = {}
        for m in MODES:
            (self.loss[m],) = ax_loss.plot(np.arange(n_steps + 1), np.ones(n_steps + 1),
                                           label=_LABELS[m], **styles[m])
        ax_loss.set_yscale("log")
        ax_loss.set_xlim(0, n_steps)
        ax_loss.set_ylim(1e-8, 1e8)
        label_axes(ax_loss, title="the loss: clipped runs go down, the unclipped one explodes",
                   xlabel="step", ylabel="loss (log)")
        self.loss_text = ax_loss.text(0.02, 0.03, "", transform=ax_loss.transAxes, fontsize=8,
                                      va="bottom")

        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:
            dynamic = [*self.path.values(), *self.norm.values(), self.threshold_line,
                       *self.cos.values(), *self.loss.values(), self.loss_text]
            self.background = Backdrop(fig, dynamic)

    def compute(self, lr=0.01, threshold=2.0):
        """``{mode: ClipRun}`` for the three modes (the unclipped run is cached per ``lr``)."""
        with np.errstate(over="ignore", invalid="ignore"):
            if lr not in self._unclipped:
                self._unclipped[lr] = clipped_descent(self.surface, lr, "none", 1.0, self.n_steps)
            runs = {"none": self._unclipped[lr]}
            for m in ("norm", "value"):
                runs[m] = clipped_descent(self.surface, lr, m, threshold, self.n_steps)
        return runs

    def update(self, lr=0.01, threshold=2.0):
        self.runs = runs = self.compute(lr, threshold)
        n = self.n_steps
        for m, run in runs.items():
            self.path[m].set_data(run.points[:, 0], run.points[:, 1])
            norms = np.full(n, np.nan)
            finite = np.where(np.isfinite(run.grad_norm), np.minimum(run.grad_norm, 1e30), 1e30)
            norms[:len(finite)] = finite
            self.norm[m].set_ydata(norms)
            loss = np.full(n + 1, np.nan)
            loss[:len(run.loss)] = np.clip(run.loss, 1e-12, 1e30)
            if run.diverged:  # draw the explosion off the top of the plot
                loss[len(run.loss)] = 1e30
            self.loss[m].set_ydata(loss)
            if m in self.cos:
                cos = np.full(n, np.nan)
                cos[:len(run.cosine)] = run.cosine
                self.cos[m].set_ydata(cos)
        self.threshold_line.set_ydata([threshold, threshold])
        self.loss_text.set_text("\n".join(_describe(runs[m], m) for m in MODES))


def explore_clipping(lr=0.01, threshold=2.0, surface=None):
    """Learning rate (log slider) and clip threshold (log slider) on the exploding surface."""
    from nnlesson.viz.widgets import interactive_plot, lr_slider

    drawing = ClippingExplorer(surface)
    return interactive_plot(
        drawing.figure, drawing.update,
        lr=lr_slider(lr, min_exp=-3, max_exp=-1),
        threshold=lr_slider(threshold, min_exp=-1, max_exp=2,
                            description="clip threshold (norm or value)"),
    )


def snapshot_clipping(lr=0.01, threshold=2.0, surface=None):
    """The explorer's figure for one setting (a static Figure for slides)."""
    drawing = ClippingExplorer(surface, bake=False)
    drawing.update(lr=lr, threshold=threshold)
    return drawing.figure


# --------------------------------------------------------------------------- real data


def train_deep_digits(clip_norm=None, lr=0.1, *, depth=6, width=64, epochs=5, batch_size=64,
                      momentum=0.9, seed=0, return_model=False):
    """A deep ReLU network on the digits with SGD (momentum), with or without norm clipping.

    ``mlp([64] + [width] * depth + [10])`` with He initialization, trained by
    :func:`nnlesson.train.fit` (which clips after backward and before the step, and records
    the norm before clipping in ``History.grad_norm``). Divergence stops the run (no warning).
    Returns the :class:`~nnlesson.train.History`, or ``(history, model)`` with
    ``return_model=True``.
    """
    from nnlesson.train import fit, mlp

    clipping = None if clip_norm is None else Clipping(max_norm=clip_norm)
    X_train, X_val, y_train, y_val = load_digits_split()
    model = mlp([X_train.shape[1]] + [width] * depth + [10], rng=seed)
    opt = SGD(model.parameters(), lr=lr, momentum=momentum)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence is what we measure
        history = fit(model, X_train, y_train, optimizer=opt, epochs=epochs,
                      batch_size=batch_size, rng=seed, clipping=clipping, X_val=X_val,
                      y_val=y_val)
    return (history, model) if return_model else history


def dead_units(model, X):
    """For each ReLU layer of ``model``: the fraction of its units that output 0 for every row
    of ``X`` (evaluation mode). A dead unit passes no gradient back, so it never recovers.

    Returns a float64 array, one entry per ReLU layer, in order.
    """
    from nnlesson.layers import ReLU

    X = check_array("X", X, ndim=2)
    was_training = model.training
    model.eval()
    try:
        out, fractions = X, []
        for layer in model:
            out = layer.forward(out)
            if isinstance(layer, ReLU):
                fractions.append(float(np.mean(np.all(out == 0, axis=0))))
    finally:
        model.train(was_training)
    return np.array(fractions)


def figure_deep_digits(histories):
    """Gradient norm before clipping per iteration for each ``{label: History}``."""
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    fig, ax = new_figure(width=8.0, height=3.8)
    for i, (label, h) in enumerate(histories.items()):
        norms = np.array(h.grad_norm, dtype=float)
        norms = np.where(np.isfinite(norms), np.minimum(norms, 1e30), 1e30)  # keep log axes finite
        if h.diverged:
            label += f" (diverged at iteration {h.diverged_at})"
        ax.plot(np.arange(len(norms)), norms, label=label, **dict(series_style(i), markevery=0.1))
    ax.set_yscale("log")
    ax.set_ylim(1e-1, 1e12)
    label_axes(ax, title="digits, 6 ReLU layers: without clipping one spike feeds the next",
               xlabel="iteration", ylabel="gradient norm before clipping")
    ax.legend(fontsize=8, loc="upper left")
    return fig
