"""Lesson 11's penalties: L2 and L1 on the weights, choosing lambda, sparsity, and L2 in the
loss against decoupled weight decay.

* :func:`lambda_sweep` trains the lesson's network (:func:`~.data.train_regularized`) at every
  strength of :data:`LAMBDAS`; :func:`choose_lambda` picks one on the validation set.
* :func:`near_zero_fraction` and :func:`pixel_usage` read the first layer's weights.
* :class:`PenaltyExplorer` (:func:`explore_penalty`, :func:`snapshot_penalty`): the curves, the
  choice of lambda, the weights' magnitudes and what each pixel still gets.
* :func:`decay_comparison`: L2 in the loss against decoupled weight decay, with SGD and with
  Adam, on a small least-squares problem (the course's runner).
"""
from __future__ import annotations

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.lessons.regularization._panels import (
    GREY,
    LOSS_TOP,
    WholeGrid,
    final_losses,
    legend_on_top,
    loss_curves,
    show_run,
)
from nnlesson.course.lessons.regularization.data import KINDS, LRS, train_regularized
from nnlesson.course.runner import run
from nnlesson.viz.explorer import Choice, Explorer, Slider, log_ladder
from nnlesson.viz.plotting import PALETTE, label_axes

__all__ = ["LAMBDAS", "NEAR_ZERO", "lambda_sweep", "choose_lambda", "near_zero_fraction",
           "pixel_usage", "PenaltyExplorer", "explore_penalty", "snapshot_penalty",
           "LeastSquares", "decay_comparison"]

#: Penalty strengths of the sweep and of the explorer's slider (1-3 per decade).
LAMBDAS = log_ladder(3e-4, 0.3, "1-3")
#: A weight counts as "near zero" below this magnitude (typical weights are about 0.15).
NEAR_ZERO = 1e-2

_KIND_LABEL = {"l2": "L2", "l1": "L1"}


def lambda_sweep(kind="l2", lr=0.1, lambdas=LAMBDAS):
    """``{lam: RegRun}`` for ``lam = 0`` and every value of ``lambdas`` (cached runs)."""
    check_choice("kind", kind, KINDS)
    return {lam: train_regularized(kind, lam, lr=lr) for lam in (0.0, *lambdas)}


def choose_lambda(runs):
    """The lambda whose run ends with the lowest validation loss: ``(lam, val_loss)``.

    ``runs`` is ``{lam: RegRun}`` (e.g. :func:`lambda_sweep`). Choosing on the validation set,
    never on the training set: the training loss always prefers ``lam = 0``.
    """
    if not runs:
        raise ValueError("runs must hold at least one {lam: RegRun} entry, got none")
    lam = min(runs, key=lambda k: runs[k].val_loss[-1])
    return lam, float(runs[lam].val_loss[-1])


def near_zero_fraction(W, threshold=NEAR_ZERO):
    """Fraction of the entries of ``W`` with ``|w| < threshold`` (threshold > 0)."""
    W = check_array("W", W)
    threshold = check_number("threshold", threshold, low=0, low_open=True)
    if W.size == 0:
        raise ValueError("W must hold at least one weight, got an empty array")
    return float(np.mean(np.abs(W) < threshold))


def pixel_usage(W1):
    """Mean ``|w|`` of each input pixel's outgoing weights, as an 8 x 8 image.

    Args:
        W1: (64, H), the first layer's weights (row ``8 r + c`` belongs to pixel ``(r, c)``).

    Returns:
        ``mean_h |W1[i, h]|`` reshaped to (8, 8).
    """
    W1 = check_array("W1", W1, ndim=2)
    if W1.shape[0] != 64:
        raise ValueError(f"W1 must have 64 rows (one per pixel of an 8 x 8 digit), got {W1.shape}")
    return np.mean(np.abs(W1), axis=1).reshape(8, 8)


# --------------------------------------------------------------------------- the explorer


_BINS = np.logspace(-5, 0, 26)  # |w| from 1e-5 to 1
_HIST_TOP = 0.45


def _hist(W):
    counts, _ = np.histogram(np.clip(np.abs(W), _BINS[0], _BINS[-1]), bins=_BINS)
    return counts / W.size


def _percent(x):
    return f"{100 * x:.1f} %" if 0 < x < 0.1 else f"{100 * x:.0f} %"


class PenaltyExplorer(WholeGrid, Explorer):
    """One penalty (L2 or L1), its strength lambda and the learning rate, on the lesson's
    network (:func:`lambda_sweep`).

    Top left: training and validation loss per epoch, the unregularized run in grey. Top right:
    the final losses against lambda at this learning rate, the current lambda ringed. Bottom
    left: histogram of the first layer's ``|w|`` (log axis). Bottom right: mean ``|w|`` per
    input pixel. Under the plots: validation accuracy and the share of tiny weights.

    A new learning rate or penalty trains a sweep (8 runs); the whole grid of them (every
    penalty at every learning rate, :class:`~._panels.WholeGrid`) is computed in the background
    after the first draw, so moving the sliders answers at once.
    """

    controls = (
        Choice("kind", "penalty", [("L2 (weight decay)", "l2"), ("L1 (sparsity)", "l1")],
               default="l2"),
        Slider("lam", "λ (strength)", (0.0, *LAMBDAS), default=0.03),
        Slider("lr", "learning rate", LRS, default=0.1),
    )
    size = (880, 466)
    columns = 2
    precompute = ("lr", "kind")
    alt = ("Four panels for the network trained with a weight penalty. Top left: training and "
           "validation loss per epoch, with the unregularized run in grey. Top right: the loss "
           "after 60 epochs against the penalty's strength lambda on a log axis, training and "
           "validation, the current lambda ringed and the unregularized validation loss as a "
           "grey line. Bottom left: histogram of the first layer's weight magnitudes on a log "
           "axis, this run against the unregularized one. Bottom right: an 8 by 8 image of "
           "the mean weight magnitude of each input pixel.")

    def build(self, fig):
        (ax_curve, ax_lam), (ax_hist, ax_pix) = fig.subplots(2, 2)
        self.curves = loss_curves(ax_curve, "λ = 0", title="loss per epoch", ylabel="loss")
        lam_x = np.array(LAMBDAS)
        self.sweep, self.ring = final_losses(ax_lam, lam_x, current_label="this λ")
        (self.sweep_base,) = ax_lam.plot(lam_x[[0, -1]], [1, 1], color=GREY, linestyle="--",
                                         linewidth=1.4, label="validation, λ = 0")
        ax_lam.set_xscale("log")
        ax_lam.set_xlim(lam_x[0] / 1.6, lam_x[-1] * 1.6)
        label_axes(ax_lam, title="loss at the end", xlabel="λ (log axis; ring: this λ)",
                   ylabel="loss")

        self.hist_base = ax_hist.stairs(np.zeros(len(_BINS) - 1), _BINS, color=GREY,
                                        linewidth=1.4, linestyle="--", label="λ = 0")
        self.hist = ax_hist.stairs(np.zeros(len(_BINS) - 1), _BINS, color=PALETTE[2],
                                   linewidth=2.2, label="weights of this run")
        ax_hist.axvline(NEAR_ZERO, color=PALETTE[7], linestyle=":", linewidth=1.2)
        ax_hist.set_xscale("log")
        ax_hist.set_xlim(_BINS[0], _BINS[-1])
        ax_hist.set_ylim(0, _HIST_TOP)
        label_axes(ax_hist, title="layer 1: |w| (dotted: 0.01)", xlabel="|w| (log axis)",
                   ylabel="share of weights")

        self.image = ax_pix.imshow(np.zeros((8, 8)), vmin=0, vmax=0.15, cmap="viridis")
        ax_pix.set_xticks([0, 7])
        ax_pix.set_yticks([0, 7])
        fig.colorbar(self.image, ax=ax_pix, label="mean |w|")
        label_axes(ax_pix, title="which pixels count?", xlabel="pixel column",
                   ylabel="pixel row")
        ax_lam.set_ylim(0, LOSS_TOP)
        grey = ax_curve.plot([], [], color=GREY, linestyle="--", label="λ = 0")[0]
        legend_on_top(fig, [self.curves.lines["train"], self.curves.lines["val"], grey,
                            self.hist])
        return [*self.curves.artists, *self.sweep.artists, self.ring, self.sweep_base,
                self.hist_base, self.hist, self.image]

    def compute(self, kind, lr):
        """The sweep over lambda for this penalty and learning rate (8 cached runs)."""
        return lambda_sweep(kind, lr)

    def update(self, result, kind, lam, lr):
        run, base = result[lam], result[0.0]
        show_run(self.curves, run, base)
        self.sweep.set("train", [result[k].train_loss[-1] for k in LAMBDAS])
        self.sweep.set("val", [result[k].val_loss[-1] for k in LAMBDAS])
        self.sweep_base.set_ydata([min(base.val_loss[-1], LOSS_TOP * 0.99)] * 2)
        shown = lam if lam > 0 else LAMBDAS[0] / 1.6  # lambda = 0 drawn at the left edge
        self.ring.set_data([shown], [min(run.val_loss[-1], LOSS_TOP * 0.99)])
        self.hist_base.set_data(_hist(base.W1))
        self.hist.set_data(np.minimum(_hist(run.W1), _HIST_TOP))
        self.image.set_data(pixel_usage(run.W1))
        return (f"{_KIND_LABEL[kind]} at λ = {lam:g}, lr {lr:g}: validation accuracy "
                f"{100 * run.val_acc[-1]:.0f} % (λ = 0: {100 * base.val_acc[-1]:.0f} %); "
                f"|w| < 0.01: {_percent(near_zero_fraction(run.W1))} of layer 1")


def explore_penalty(**values):
    """The penalty explorer's widget (controls ``kind``, ``lam``, ``lr``; see
    :class:`PenaltyExplorer`)."""
    return PenaltyExplorer().explore(**values)


def snapshot_penalty(**values):
    """The penalty explorer's figure for one setting, with its alt text (a static Figure)."""
    return PenaltyExplorer().snapshot(**values)


# --------------------------------------------------------------------------- coupled vs decoupled


class LeastSquares:
    """``L(w) = mean((X w - y)^2) / 2`` on a fixed data set, for the course's runner.

    ``value`` takes one point (d,) or a stack (k, d); ``grad(w) = X^T (X w - y) / n``.
    """

    def __init__(self, X, y, start):
        self.X = check_array("X", X, ndim=2)
        self.y = check_array("y", y, ndim=1)
        self.default_start = check_array("start", start, ndim=1)

    def value(self, w):
        r = np.asarray(w) @ self.X.T - self.y
        return 0.5 * np.mean(r**2, axis=-1)

    def grad(self, w):
        return self.X.T @ (self.X @ w - self.y) / len(self.y)


def decay_comparison(lam=0.1, lr=0.01, n_steps=200, seed=0):
    """L2 in the loss against decoupled weight decay, with SGD and with Adam.

    A least-squares problem whose two features differ in scale by 100 (so Adam's per-weight
    step sizes differ a lot), ``n_steps`` full-batch steps from ``(0.5, 0.5)``, four ways, each
    a rule of :mod:`nnlesson.optim` run by :func:`nnlesson.course.runner.run`.

    Equations::

        SGD + L2:   w = w - lr (g + lam w)                  sgd_update(weight_decay=lam)
        SGD decay:  w = w (1 - lr lam) - lr g               decoupled (the same numbers)
        Adam + L2:  Adam's step on g + lam w                adam_update(weight_decay=lam)
        AdamW:      w = w (1 - lr lam), then Adam's step    adamw (decoupled_weight_decay)

    Returns:
        ``{name: w}`` after the last step (each (2,)).
    """
    lam = check_number("lam", lam, low=0)
    lr = check_number("lr", lr, low=0, low_open=True)
    n_steps = check_int("n_steps", n_steps, low=1)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 2)) * np.array([1.0, 0.01])
    y = X @ np.array([1.0, 100.0]) + 0.1 * rng.normal(size=50)
    problem = LeastSquares(X, y, start=[0.5, 0.5])

    def decayed_gd(w, g, *, lr):  # the gd rule's interface, decay first
        return w * (1 - lr * lam) - lr * g

    adam = {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": lam}
    runs = {
        "SGD + L2": run(problem, "sgd", lr=lr, n_steps=n_steps,
                        hyperparameters={"weight_decay": lam}),
        "SGD decay": run(problem, "gd", lr=lr, n_steps=n_steps, update=decayed_gd),
        "Adam + L2": run(problem, "adam", lr=lr, n_steps=n_steps, hyperparameters=adam),
        "AdamW": run(problem, "adamw", lr=lr, n_steps=n_steps, hyperparameters=adam),
    }
    return {name: path.final.copy() for name, path in runs.items()}
