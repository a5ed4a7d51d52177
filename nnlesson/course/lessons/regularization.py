"""Lesson 11, regularization: the experiments (compute, draw, widget).

Every experiment trains the same small network on a setting that overfits within seconds:
200 training digits, a fifth of them with a **wrong label** (the "noise" a network should not
learn), a wide hidden layer (``mlp([64, 64, 10])``, He init), full-batch SGD with classical
momentum 0.9 for 60 epochs, and 360 clean validation digits (:func:`overfit_data`). Without
regularization the training loss goes to almost zero while the validation loss turns and rises.

* **Penalties.** :func:`train_regularized` adds an L2 (``lam / 2 * sum w^2``) or L1
  (``lam * sum |w|``) penalty on the weight matrices through :func:`nnlesson.train.fit`.
  :class:`PenaltyExplorer`, :func:`explore_penalty`, :func:`snapshot_penalty`: train and
  validation curves, the validation loss against lambda (choosing lambda), a histogram of the
  first layer's weight magnitudes and the mean ``|w|`` per input pixel (L1 switches pixels off).
* **Dropout and DropConnect.** The same network with inverted dropout after the hidden layer
  (:class:`nnlesson.layers.Dropout`) or with a :class:`nnlesson.layers.DropConnect` output
  layer: :class:`DropoutExplorer`, :func:`explore_dropout`, :func:`snapshot_dropout`.
  :func:`dropout_expectation` measures what inverted scaling preserves;
  :func:`figure_dropout_scaling`.
* **Early stopping.** :func:`early_stopping_point` (from :mod:`nnlesson.train`) replays the
  rule of ``fit(..., early_stopping=EarlyStopping(patience))`` on a list of validation
  losses; :class:`EarlyStoppingExplorer`,
  :func:`explore_early_stopping`, :func:`snapshot_early_stopping`.
* **L2 in the loss vs decoupled weight decay**: :func:`decay_comparison` (equal for SGD, not
  for Adam; lesson 06).

Runs are cached (``functools.lru_cache``): a slider position trains its runs once, the first
time it is shown; moving back to it only redraws.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.train import early_stopping_point  # the rule of fit's EarlyStopping, re-exported
from nnlesson.viz.plotting import Backdrop, nearest_on_log_grid

__all__ = [
    "N_TRAIN",
    "LABEL_NOISE",
    "HIDDEN",
    "EPOCHS",
    "MOMENTUM",
    "LRS",
    "LAMBDAS",
    "DROP_RATES",
    "KINDS",
    "METHODS",
    "NEAR_ZERO",
    "overfit_data",
    "RegRun",
    "train_regularized",
    "lambda_sweep",
    "choose_lambda",
    "near_zero_fraction",
    "pixel_usage",
    "PenaltyExplorer",
    "explore_penalty",
    "snapshot_penalty",
    "dropout_sweep",
    "DropoutExplorer",
    "explore_dropout",
    "snapshot_dropout",
    "dropout_expectation",
    "figure_dropout_scaling",
    "early_stopping_point",
    "EarlyStoppingExplorer",
    "explore_early_stopping",
    "snapshot_early_stopping",
    "decay_comparison",
]

#: Training digits, share of them relabelled at random, hidden width, epochs, momentum.
N_TRAIN = 200
LABEL_NOISE = 0.2
HIDDEN = 64
EPOCHS = 60
MOMENTUM = 0.9
#: Learning rates of the sliders (a log slider in quarter decades snaps to the nearest).
LRS = (0.03, 0.05, 0.1, 0.2, 0.3)
#: Penalty strengths lambda of the sweep (half decades, 3.16e-4 ... 0.316).
LAMBDAS = tuple(float(10.0 ** e) for e in np.arange(-3.5, -0.49, 0.5))
#: Drop probabilities of the dropout sweep.
DROP_RATES = tuple(round(0.1 * k, 1) for k in range(9))
KINDS = ("l2", "l1")
METHODS = ("dropout", "DropConnect")
#: A weight counts as "near zero" below this magnitude (typical weights are about 0.15).
NEAR_ZERO = 1e-2

_KIND_LABEL = {"l2": "L2", "l1": "L1"}


# --------------------------------------------------------------------------- data


@functools.lru_cache(maxsize=1)
def _data():
    from nnlesson.data import train_val_split
    from nnlesson.datasets import load_digits
    from nnlesson.scaling import StandardScaler

    d = load_digits()
    X_pool, X_val, y_pool, y_val = train_val_split(d.X, d.y, 0.2, rng=0, stratify=True)
    _, X_train, _, y_train = train_val_split(X_pool, y_pool, N_TRAIN / len(X_pool), rng=0,
                                             stratify=True)
    # a fifth of the training labels replaced by another class, chosen at random
    rng = np.random.default_rng(0)
    noisy = rng.random(len(y_train)) < LABEL_NOISE
    y_train = y_train.copy()
    y_train[noisy] = (y_train[noisy] + rng.integers(1, 10, int(noisy.sum()))) % 10
    scaler = StandardScaler().fit(X_train)  # training statistics only (lesson 02)
    arrays = (scaler.transform(X_train), scaler.transform(X_val), y_train, y_val, noisy)
    for a in arrays:
        a.flags.writeable = False
    return arrays


def overfit_data():
    """The lesson's data set, built to overfit quickly.

    The digits are split 80/20 (stratified, seed 0); 200 training digits are drawn (stratified)
    from the 80 %, and about a fifth of their labels (``LABEL_NOISE``) are replaced by another
    class at random. Both parts are standardized with the training part's statistics. The 360
    validation digits keep their true labels.

    Returns fresh copies ``(X_train (200, 64), X_val (360, 64), y_train, y_val, noisy)``;
    ``noisy`` (200,) is True where the training label was changed.
    """
    return tuple(a.copy() for a in _data())


# --------------------------------------------------------------------------- one training run


@dataclass(frozen=True, eq=False)
class RegRun:
    """One training run (see :func:`train_regularized`); per-epoch arrays have ``EPOCHS`` entries.

    Attributes:
        train_loss, val_loss: data loss (no penalty) on the training and validation sets,
            both measured in evaluation mode after each epoch.
        train_acc, val_acc: accuracies, measured the same way.
        W1 (64, HIDDEN): the first layer's weights at the end.
    """

    train_loss: np.ndarray
    val_loss: np.ndarray
    train_acc: np.ndarray
    val_acc: np.ndarray
    W1: np.ndarray

    @property
    def best_epoch(self):
        """Epoch (from 0) of the lowest validation loss."""
        return int(np.argmin(self.val_loss))


def _model(p, method, seed):
    from nnlesson.layers import DropConnect, Linear, ReLU, Sequential
    from nnlesson.train import mlp

    if method == "DropConnect" and p > 0:
        # same draws as mlp: the hidden layer's init, then the output layer's
        rng = np.random.default_rng(seed)
        return Sequential(Linear(64, HIDDEN, rng=rng, input_grad=False), ReLU(),
                          DropConnect(HIDDEN, 10, p=p, rng=rng))
    return mlp([64, HIDDEN, 10], dropout=p, rng=seed)


def train_regularized(kind="l2", lam=0.0, *, dropout=0.0, method="dropout", lr=0.1,
                      epochs=EPOCHS, seed=0):
    """Train ``mlp([64, HIDDEN, 10])`` on :func:`overfit_data` with one regularizer.

    ``nnlesson.train.fit`` with full batches (one update per epoch), ``SGD(lr,
    momentum=MOMENTUM)`` and ``eval_train=True``. The penalty acts on the weight matrices only
    (not the biases), as ``fit`` does::

        kind "l2":  L = data loss + lam / 2 * sum_W sum(W**2)     (fit(..., penalty=Penalty(l2=lam)))
        kind "l1":  L = data loss + lam * sum_W sum(|W|)          (fit(..., penalty=Penalty(l1=lam)))

    ``dropout = p > 0`` adds inverted dropout after the hidden ReLU (``method="dropout"``) or
    makes the output layer a ``DropConnect(HIDDEN, 10, p)`` (``method="DropConnect"``).

    Returns:
        :class:`RegRun`. Cached: the same arguments return the same object.
    """
    check_choice("kind", kind, KINDS)
    lam = check_number("lam", lam, low=0)
    dropout = check_number("dropout", dropout, low=0, high=1, high_open=True)
    check_choice("method", method, METHODS)
    lr = check_number("lr", lr, low=0, low_open=True)
    epochs = check_int("epochs", epochs, low=1)
    seed = check_int("seed", seed, low=0)
    if lam == 0:
        kind = "l2"  # no penalty: one cache entry, whatever the kind
    if dropout == 0:
        method = "dropout"
    return _train(kind, lam, dropout, method, lr, epochs, seed)


@functools.lru_cache(maxsize=512)
def _train(kind, lam, p, method, lr, epochs, seed):
    from nnlesson.optim import SGD
    from nnlesson.train import Penalty, fit

    X, X_val, y, y_val, _ = _data()
    model = _model(p, method, seed)
    opt = SGD(model.parameters(), lr=lr, momentum=MOMENTUM)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        h = fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=len(X), rng=seed,
                penalty=Penalty(l1=lam) if kind == "l1" else Penalty(l2=lam),
                X_val=X_val, y_val=y_val, eval_train=True)
    if h.diverged:  # not at the lesson's settings; loud rather than a silent short curve
        raise RuntimeError(h.message)
    arrays = [np.array(a, dtype=float) for a in (h.train_loss, h.val_loss, h.train_acc,
                                                  h.val_acc)]
    W1 = model.parameters()[0].value.copy()
    for a in (*arrays, W1):
        a.flags.writeable = False
    return RegRun(*arrays, W1=W1)


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

    ``W1`` (64, H): the first layer's weights (row ``8 r + c`` belongs to pixel ``(r, c)``).
    Returns ``mean_h |W1[i, h]|`` reshaped to (8, 8).
    """
    W1 = check_array("W1", W1, ndim=2)
    if W1.shape[0] != 64:
        raise ValueError(f"W1 must have 64 rows (one per pixel of an 8 x 8 digit), got {W1.shape}")
    return np.mean(np.abs(W1), axis=1).reshape(8, 8)


# --------------------------------------------------------------------------- penalty explorer


_BINS = np.logspace(-5, 0, 31)  # |w| from 1e-5 to 1
_LOSS_MAX = 2.2


def _hist(W):
    counts, _ = np.histogram(np.clip(np.abs(W), _BINS[0], _BINS[-1]), bins=_BINS)
    return counts / W.size


def _lam_text(lam):
    return f"{lam:.1g}" if lam < 0.01 else f"{lam:.2g}"


class _LossCurves:
    """The panel both explorers share: training and validation loss per epoch for this run,
    with the unregularized run in grey behind it, and a line of text about the run."""

    def __init__(self, ax, off, title, ylabel):
        from nnlesson.viz.plotting import label_axes, series_style

        self.off = off  # names the unregularized run: "λ = 0", "p = 0"
        epochs = np.arange(1, EPOCHS + 1)
        grey = "#999999"
        (self.base_train,) = ax.plot(epochs, np.ones(EPOCHS), color=grey, linewidth=1,
                                     linestyle=":", label=f"{off}: training")
        (self.base_val,) = ax.plot(epochs, np.ones(EPOCHS), color=grey, linewidth=1.2,
                                   linestyle="--", label=f"{off}: validation")
        (self.train_line,) = ax.plot(epochs, np.ones(EPOCHS), label="training",
                                     **dict(series_style(0), markevery=0.15))
        (self.val_line,) = ax.plot(epochs, np.ones(EPOCHS), label="validation",
                                   **dict(series_style(1), markevery=0.15))
        ax.set_xlim(0, EPOCHS + 1)
        ax.set_ylim(0, _LOSS_MAX)
        label_axes(ax, title=title, xlabel="epoch", ylabel=ylabel)
        ax.legend(fontsize=8, loc="upper right", ncol=2)
        self.text = ax.text(0.2, 0.62, "", transform=ax.transAxes, fontsize=8, va="bottom")
        self.artists = [self.base_train, self.base_val, self.train_line, self.val_line, self.text]

    def show(self, run, base, setting):
        """Draw ``run`` against the unregularized ``base``; ``setting`` names ``run`` in the text."""
        self.base_train.set_ydata(_clip_loss(base.train_loss))
        self.base_val.set_ydata(_clip_loss(base.val_loss))
        self.train_line.set_ydata(_clip_loss(run.train_loss))
        self.val_line.set_ydata(_clip_loss(run.val_loss))
        self.text.set_text(f"{setting}:\nvalidation accuracy {100 * run.val_acc[-1]:.0f} % "
                           f"({self.off}: {100 * base.val_acc[-1]:.0f} %)")


def _clip_loss(loss):
    """Keep a diverged loss just inside the axes (their top is _LOSS_MAX)."""
    return np.minimum(loss, _LOSS_MAX * 0.99)


def _end_of_training_lines(ax, x, current_label):
    """Final training and validation loss against a knob (one marker per grid value), and a
    ring that marks the slider's value. Returns the three lines; their y data come later."""
    from nnlesson.viz.plotting import PALETTE, series_style

    (train,) = ax.plot(x, np.ones(len(x)), label="training (end)",
                       **dict(series_style(0), markevery=1))
    (val,) = ax.plot(x, np.ones(len(x)), label="validation (end)",
                     **dict(series_style(1), markevery=1))
    (current,) = ax.plot(x[:1], [1], linestyle="none", marker="o", markersize=12,
                         markerfacecolor="none", markeredgecolor=PALETTE[7], label=current_label)
    return train, val, current


class PenaltyExplorer:
    """Four panels, built once, for one penalty (L2 or L1), lambda and learning rate.

    Top left: training and validation loss per epoch, with the unregularized run in grey.
    Top right: final training and validation loss against lambda (the sweep at this learning
    rate), the current lambda marked. Bottom left: histogram of the first layer's ``|w|``
    (log axis) with the near-zero threshold. Bottom right: mean ``|w|`` per input pixel.
    """

    def __init__(self, bake=True, kind="l2", lam=0.03, lr=0.1):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure

        fig, axes = new_figure(2, 2, width=9.0, height=6.2)
        self.figure = fig
        ax_curve, ax_lam, ax_hist, ax_pix = axes.ravel()
        self.axes = (ax_curve, ax_lam, ax_hist, ax_pix)
        grey = "#999999"
        self.curves = _LossCurves(ax_curve, "λ = 0",
                                  title="the gap between training and validation is overfitting",
                                  ylabel="loss (data part, eval mode)")

        lam_x = np.array(LAMBDAS)
        self.sweep_train, self.sweep_val, self.current = _end_of_training_lines(
            ax_lam, lam_x, "this λ")
        (self.sweep_base,) = ax_lam.plot(lam_x[[0, -1]], [1, 1], color=grey, linestyle="--",
                                         linewidth=1, label="validation, λ = 0")
        ax_lam.set_xscale("log")
        ax_lam.set_xlim(lam_x[0] / 1.5, lam_x[-1] * 1.5)
        ax_lam.set_ylim(0, _LOSS_MAX)
        label_axes(ax_lam, title="choosing λ: too small overfits, too large underfits",
                   xlabel="λ (log scale)", ylabel="loss after 60 epochs")
        ax_lam.legend(fontsize=8, loc="upper left")

        centers = np.sqrt(_BINS[:-1] * _BINS[1:])
        self.hist_base = ax_hist.stairs(np.zeros(len(centers)), _BINS, color=grey,
                                        linewidth=1.2, linestyle="--", label="λ = 0")
        self.hist = ax_hist.stairs(np.zeros(len(centers)), _BINS, color=PALETTE[2],
                                   linewidth=1.8, label="this run", fill=False)
        ax_hist.axvline(NEAR_ZERO, color=PALETTE[7], linestyle=":", linewidth=1)
        ax_hist.text(NEAR_ZERO * 0.8, 0.93, f"near zero: |w| < {NEAR_ZERO:g}",
                     transform=ax_hist.get_xaxis_transform(), ha="right", fontsize=8)
        ax_hist.set_xscale("log")
        ax_hist.set_xlim(_BINS[0], _BINS[-1])
        ax_hist.set_ylim(0, 0.4)
        label_axes(ax_hist, title="layer 1 weights: L2 shrinks them all, L1 piles many near 0",
                   xlabel="|w| (log scale; the left bin holds everything below 1e-5)",
                   ylabel="fraction of the 4096 weights")
        ax_hist.legend(fontsize=8, loc="upper right")
        self.hist_text = ax_hist.text(0.02, 0.68, "", transform=ax_hist.transAxes, fontsize=8)

        self.image = ax_pix.imshow(np.zeros((8, 8)), vmin=0, vmax=0.15, cmap="viridis")
        ax_pix.set_xticks(range(8))
        ax_pix.set_yticks(range(8))
        fig.colorbar(self.image, ax=ax_pix, label="mean |w| of the pixel's weights")
        label_axes(ax_pix, title="which pixels does layer 1 still listen to?",
                   xlabel="pixel column", ylabel="pixel row")

        self.update(kind=kind, lam=lam, lr=lr)
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, self.curves.artists + [
                self.sweep_train, self.sweep_val, self.sweep_base, self.current,
                self.hist_base, self.hist, self.hist_text, self.image])

    @staticmethod
    def compute(kind="l2", lam=0.03, lr=0.1):
        """``(sweep, lam, lr)``: the runs of :func:`lambda_sweep` and the grid values nearest
        to the sliders."""
        check_choice("kind", kind, KINDS)
        lam = nearest_on_log_grid(LAMBDAS, lam)
        lr = nearest_on_log_grid(LRS, lr)
        return lambda_sweep(kind, lr), lam, lr

    def update(self, kind="l2", lam=0.03, lr=0.1):
        sweep, lam, lr = self.compute(kind, lam, lr)
        self.sweep, self.lam, self.lr = sweep, lam, lr
        run, base = sweep[lam], sweep[0.0]
        self.curves.show(run, base, f"{_KIND_LABEL[kind]}, λ = {_lam_text(lam)}, lr = {lr:g}")
        self.sweep_train.set_ydata(_clip_loss([sweep[k].train_loss[-1] for k in LAMBDAS]))
        self.sweep_val.set_ydata(_clip_loss([sweep[k].val_loss[-1] for k in LAMBDAS]))
        self.sweep_base.set_ydata([_clip_loss(base.val_loss[-1])] * 2)
        self.current.set_data([lam], [_clip_loss(run.val_loss[-1])])
        self.hist_base.set_data(_hist(base.W1))
        self.hist.set_data(np.minimum(_hist(run.W1), 0.4))
        self.hist_text.set_text(
            f"near zero: {100 * near_zero_fraction(run.W1):.0f} % "
            f"(λ = 0: {100 * near_zero_fraction(base.W1):.1f} %)\n"
            f"exactly zero: {100 * np.mean(run.W1 == 0):.0f} %")
        self.image.set_data(pixel_usage(run.W1))


def explore_penalty(kind="l2", lam=0.03, lr=0.1):
    """Penalty (L2 or L1), lambda (log slider) and learning rate (log slider)."""
    from nnlesson.viz.widgets import choice, interactive_plot, lr_slider

    drawing = PenaltyExplorer(kind=kind, lam=lam, lr=lr)
    return interactive_plot(
        drawing.figure, drawing.update,
        kind=choice([("L2 (weight decay)", "l2"), ("L1 (sparsity)", "l1")], kind,
                    description="penalty"),
        lam=lr_slider(lam, min_exp=-3.5, max_exp=-0.5, steps=0.5, description="λ (lambda)"),
        lr=lr_slider(lr, min_exp=-1.5, max_exp=-0.5, steps=0.25),
    )


def snapshot_penalty(kind="l2", lam=0.03, lr=0.1):
    """The penalty explorer's figure for one setting (a static Figure for slides)."""
    return PenaltyExplorer(bake=False, kind=kind, lam=lam, lr=lr).figure


# --------------------------------------------------------------------------- dropout explorer


def dropout_sweep(method="dropout", lr=0.1, rates=DROP_RATES):
    """``{p: RegRun}`` for every drop probability in ``rates`` (cached runs; p = 0 is the
    unregularized network)."""
    check_choice("method", method, METHODS)
    return {float(p): train_regularized(dropout=float(p), method=method, lr=lr) for p in rates}


class DropoutExplorer:
    """Two panels, built once: training and validation loss per epoch for one drop
    probability (grey: no dropout), and the final losses against the drop probability."""

    def __init__(self, bake=True, p=0.5, lr=0.1, method="dropout"):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure

        fig, (ax_curve, ax_p) = new_figure(2, 1, width=10.0, height=4.0)
        self.figure, self.axes = fig, (ax_curve, ax_p)
        self.curves = _LossCurves(ax_curve, "p = 0",
                                  title="dropout: a noisier network that memorizes less",
                                  ylabel="loss (eval mode: no units dropped)")

        rates = np.array(DROP_RATES)
        self.sweep_train, self.sweep_val, self.current = _end_of_training_lines(
            ax_p, rates, "this p")
        ax_p.axvspan(0.2, 0.5, color=PALETTE[5], alpha=0.15, label="seed 001: 0.2-0.5")
        ax_p.set_xlim(-0.03, rates[-1] + 0.03)
        ax_p.set_ylim(0, _LOSS_MAX)
        label_axes(ax_p, title="which drop probability? read the validation curve",
                   xlabel="drop probability p", ylabel="loss after 60 epochs")
        ax_p.legend(fontsize=8, loc="upper left")
        self.update(p=p, lr=lr, method=method)
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, self.curves.artists + [
                self.sweep_train, self.sweep_val, self.current])

    @staticmethod
    def compute(p=0.5, lr=0.1, method="dropout"):
        """``(sweep, p, lr)``: :func:`dropout_sweep` and the grid values nearest the sliders."""
        check_choice("method", method, METHODS)
        p = check_number("p", p, low=0, high=1, high_open=True)
        p = min(DROP_RATES, key=lambda r: abs(r - p))
        lr = nearest_on_log_grid(LRS, lr)
        return dropout_sweep(method, lr), p, lr

    def update(self, p=0.5, lr=0.1, method="dropout"):
        sweep, p, lr = self.compute(p, lr, method)
        self.sweep, self.p, self.lr = sweep, p, lr
        run, base = sweep[p], sweep[0.0]
        self.curves.show(run, base, f"{method}, p = {p:.1f}, lr = {lr:g}")
        self.sweep_train.set_ydata(_clip_loss([sweep[r].train_loss[-1] for r in DROP_RATES]))
        self.sweep_val.set_ydata(_clip_loss([sweep[r].val_loss[-1] for r in DROP_RATES]))
        self.current.set_data([p], [_clip_loss(run.val_loss[-1])])


def explore_dropout(p=0.5, lr=0.1, method="dropout"):
    """Drop probability, learning rate (log slider) and dropout vs DropConnect."""
    from nnlesson.viz.widgets import choice, float_slider, interactive_plot, lr_slider

    drawing = DropoutExplorer(p=p, lr=lr, method=method)
    return interactive_plot(
        drawing.figure, drawing.update,
        p=float_slider(p, min=0.0, max=DROP_RATES[-1], step=0.1, description="drop probability p"),
        lr=lr_slider(lr, min_exp=-1.5, max_exp=-0.5, steps=0.25),
        method=choice(list(METHODS), method, description="what is dropped"),
    )


def snapshot_dropout(p=0.5, lr=0.1, method="dropout"):
    """The dropout explorer's figure for one setting (a static Figure for slides)."""
    return DropoutExplorer(bake=False, p=p, lr=lr, method=method).figure


# --------------------------------------------------------------------------- inverted scaling


def dropout_expectation(p, x=None, n_masks=2000, seed=0):
    """What inverted dropout preserves: mean training-mode output over many masks.

    Runs :class:`nnlesson.layers.Dropout` (``p``) ``n_masks`` times in training mode on the
    same input ``x`` (default: 64 activations drawn from a ReLU-like distribution) and once in
    evaluation mode. Returns ``(train_mean, eval_out, kept)``: the mean of the training-mode
    outputs (shape of ``x``), the evaluation-mode output (``x`` itself) and the fraction of
    units kept over all masks (about ``1 - p``).
    """
    from nnlesson.layers import Dropout

    p = check_number("p", p, low=0, high=1, high_open=True)
    n_masks = check_int("n_masks", n_masks, low=1)
    if x is None:
        x = np.maximum(np.random.default_rng(seed + 1).normal(0.5, 1.0, size=64), 0)
    x = check_array("x", x)
    layer = Dropout(p, rng=seed)
    total = np.zeros_like(x, dtype=float)
    kept = 0
    for _ in range(n_masks):
        total += layer.forward(x)
        kept += int(np.count_nonzero(layer.mask))
    eval_out = layer.eval().forward(x)
    return total / n_masks, eval_out, kept / (n_masks * x.size)


def figure_dropout_scaling(rates=(0.1, 0.2, 0.3, 0.5, 0.7, 0.9), n_masks=2000):
    """Mean training-mode output / evaluation output against p: inverted dropout (the library)
    stays at 1; dropping without rescaling falls to ``1 - p``."""
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure, series_style

    rates = np.array(rates, dtype=float)
    inverted, unscaled = [], []
    for p in rates:
        mean, out, _ = dropout_expectation(p, n_masks=n_masks)
        inverted.append(mean.sum() / out.sum())
        unscaled.append((1 - p) * mean.sum() / out.sum())  # the same masks, no 1 / (1 - p)
    fig, ax = new_figure(width=6.4, height=3.6)
    ax.plot(rates, inverted, label="inverted dropout: x · mask / (1 − p)",
            **dict(series_style(0), markevery=1))
    ax.plot(rates, unscaled, label="no rescaling: x · mask", **dict(series_style(1), markevery=1))
    ax.axhline(1.0, color=PALETTE[7], linestyle=":", linewidth=1)
    ax.set_ylim(0, 1.2)
    label_axes(ax, title="training-mode output / eval output: inverted dropout keeps it at 1",
               xlabel="drop probability p", ylabel="mean output ratio (2000 masks)")
    ax.legend(fontsize=8, loc="lower left")
    return fig


# --------------------------------------------------------------------------- early stopping


class EarlyStoppingExplorer:
    """The unregularized run's curves with the epoch early stopping would stop at, the best
    epoch whose weights are restored, and what each choice scores on the validation set."""

    def __init__(self, bake=True, patience=10, lr=0.1):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        fig, ax = new_figure(width=8.0, height=4.2)
        self.figure, self.axes = fig, ax
        epochs = np.arange(1, EPOCHS + 1)
        (self.train_line,) = ax.plot(epochs, np.ones(EPOCHS), label="training",
                                     **dict(series_style(0), markevery=0.15))
        (self.val_line,) = ax.plot(epochs, np.ones(EPOCHS), label="validation",
                                   **dict(series_style(1), markevery=0.15))
        (self.wait,) = ax.plot([1, 2], [1, 1], color=PALETTE[2], linewidth=5, alpha=0.5,
                               solid_capstyle="butt", label="patience: epochs without a new best")
        (self.best,) = ax.plot([1], [1], linestyle="none", marker="*", markersize=14,
                               color=PALETTE[2], label="best epoch (weights restored)")
        (self.stop,) = ax.plot([1, 1], [0, _LOSS_MAX], color=PALETTE[3], linestyle="--",
                               linewidth=1.5, label="training stops")
        ax.set_xlim(0, EPOCHS + 1)
        ax.set_ylim(0, _LOSS_MAX)
        label_axes(ax, title="early stopping: stop after `patience` epochs without a new best",
                   xlabel="epoch", ylabel="loss (no regularization)")
        ax.legend(fontsize=8, loc="upper right")
        self.text = ax.text(0.1, 0.7, "", transform=ax.transAxes, fontsize=8, va="bottom")
        self.update(patience=patience, lr=lr)
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, [self.train_line, self.val_line, self.wait,
                                             self.best, self.stop, self.text])

    @staticmethod
    def compute(patience=10, lr=0.1):
        """``(run, best_epoch, stop_epoch, lr)`` for the unregularized run at ``lr``."""
        lr = nearest_on_log_grid(LRS, lr)
        run = train_regularized(lr=lr)
        best, stop = early_stopping_point(run.val_loss, patience)
        return run, best, stop, lr

    def update(self, patience=10, lr=0.1):
        run, best, stop, lr = self.compute(patience, lr)
        self.run, self.best_epoch, self.stop_epoch = run, best, stop
        self.train_line.set_ydata(_clip_loss(run.train_loss))
        self.val_line.set_ydata(_clip_loss(run.val_loss))
        # epochs are drawn from 1: epoch e (from 0) sits at x = e + 1
        y = _clip_loss(run.val_loss[best])
        self.wait.set_data([best + 1, stop + 1], [y, y])
        self.best.set_data([best + 1], [y])
        self.stop.set_xdata([stop + 1, stop + 1])
        stopped = stop < EPOCHS - 1
        self.text.set_text(
            (f"patience {patience}, lr {lr:g}: stops after epoch {stop + 1} of {EPOCHS}"
             if stopped else f"patience {patience}, lr {lr:g}: never stops early") + "\n"
            f"restored (epoch {best + 1}): validation loss {run.val_loss[best]:.3f}, "
            f"accuracy {100 * run.val_acc[best]:.0f} %\n"
            f"not restored (epoch {stop + 1}): validation loss {run.val_loss[stop]:.3f}, "
            f"accuracy {100 * run.val_acc[stop]:.0f} %")


def explore_early_stopping(patience=10, lr=0.1):
    """Patience and learning rate (log slider) on the unregularized run."""
    from nnlesson.viz.widgets import int_slider, interactive_plot, lr_slider

    drawing = EarlyStoppingExplorer(patience=patience, lr=lr)
    return interactive_plot(
        drawing.figure, drawing.update,
        patience=int_slider(patience, min=1, max=30, description="patience (epochs)"),
        lr=lr_slider(lr, min_exp=-1.5, max_exp=-0.5, steps=0.25),
    )


def snapshot_early_stopping(patience=10, lr=0.1):
    """The early-stopping explorer's figure for one setting (a static Figure for slides)."""
    return EarlyStoppingExplorer(bake=False, patience=patience, lr=lr).figure


# --------------------------------------------------------------------------- coupled vs decoupled


def decay_comparison(lam=0.1, lr=0.01, n_steps=200, seed=0):
    """L2 in the loss against decoupled weight decay, with SGD and with Adam.

    A least-squares problem whose two features differ in scale by 100 (so Adam's per-weight
    step sizes differ a lot), ``L(w) = mean((X w - y)^2) / 2``, ``n_steps`` full-batch steps
    from the same start, four ways (all update rules from :mod:`nnlesson.optim`)::

        SGD + L2:   gd_update(w, g + lam * w)                 g + the gradient of lam/2 ||w||^2
        SGD decay:  w * (1 - lr * lam), then gd_update(w, g)  decoupled
        Adam + L2:  adam_update(w, g, ..., weight_decay=lam)  coupled (torch.optim.Adam)
        AdamW:      adam_update(..., weight_decay=lam, decoupled_weight_decay=True)

    Returns ``{name: w}`` after the last step (each (2,)).
    """
    from nnlesson.losses import l2_penalty
    from nnlesson.optim import adam_update, gd_update

    lam = check_number("lam", lam, low=0)
    lr = check_number("lr", lr, low=0, low_open=True)
    n_steps = check_int("n_steps", n_steps, low=1)
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(50, 2)) * np.array([1.0, 0.01])
    y = X @ np.array([1.0, 100.0]) + 0.1 * rng.normal(size=50)

    def grad(w):
        return X.T @ (X @ w - y) / len(y)

    w0 = np.array([0.5, 0.5])
    sgd_l2, sgd_decay, adam_l2, adamw = w0.copy(), w0.copy(), w0.copy(), w0.copy()
    states = {"adam": (np.zeros(2), np.zeros(2)), "adamw": (np.zeros(2), np.zeros(2))}
    for t in range(1, n_steps + 1):
        sgd_l2 = gd_update(sgd_l2, grad(sgd_l2) + l2_penalty([sgd_l2], lam)[1][0], lr=lr)
        sgd_decay = gd_update(sgd_decay * (1 - lr * lam), grad(sgd_decay), lr=lr)
        m, v = states["adam"]
        adam_l2, m, v, _ = adam_update(adam_l2, grad(adam_l2), m, v, t, lr=lr, beta1=0.9,
                                       beta2=0.999, eps=1e-8, weight_decay=lam)
        states["adam"] = (m, v)
        m, v = states["adamw"]
        adamw, m, v, _ = adam_update(adamw, grad(adamw), m, v, t, lr=lr, beta1=0.9,
                                     beta2=0.999, eps=1e-8, weight_decay=lam,
                                     decoupled_weight_decay=True)
        states["adamw"] = (m, v)
    return {"SGD + L2": sgd_l2, "SGD decay": sgd_decay, "Adam + L2": adam_l2, "AdamW": adamw}
