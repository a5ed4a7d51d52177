"""Lesson 12, residual connections: the experiments (compute, draw, widget).

A stack of ``depth`` blocks, each ``F(x) = Linear(act(Linear(x)))`` (16 units wide), between an
input layer ``Linear(64, 16)`` and an output layer ``Linear(16, 10)``, on the digits. The *plain*
network chains the blocks, ``x_(l+1) = F_l(x_l)``; the *residual* network adds a skip connection
around each, ``x_(l+1) = x_l + F_l(x_l)`` (:class:`nnlesson.layers.Residual`). With the same
seed both get the same weights: the only difference is the ``+ x``.

* :func:`residual_network` builds either; :func:`weight_grad_norms` measures ``||dL/dW||`` of
  every linear layer (the exercise's reference); :func:`train_briefly` trains one network with
  plain gradient descent (:func:`nnlesson.train.fit`, full batch);
  :func:`depth_sweep` trains both kinds for several depths and learning rates (cached).
* :class:`ResidualExplorer`, :func:`explore_residual` (depth and learning-rate sliders),
  :func:`snapshot_residual`, :func:`figure_depth_sweep`.

Why the skip helps: backward through a plain block multiplies the gradient by the block's
Jacobian, ``dx_l = J_l^T dx_(l+1)``, so ``depth`` such factors smaller than one make it vanish
geometrically. Through a residual block ``dx_l = dx_(l+1) + J_l^T dx_(l+1)``: the first term
carries the gradient unchanged, however small ``J_l`` is.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_choice, check_int, check_number
from nnlesson.layers import ReLU, Sequential, Sigmoid, Tanh
from nnlesson.losses import softmax_cross_entropy
# the networks and the measurement live in the library (the exercise check uses them too)
from nnlesson.train import residual_network, weight_grad_norms

__all__ = [
    "ACTIVATIONS",
    "WIDTH",
    "N_DIGITS",
    "digits_subset",
    "residual_network",
    "weight_grad_norms",
    "forward_scales",
    "train_briefly",
    "SweepResult",
    "depth_sweep",
    "DEPTHS",
    "LRS",
    "DIVERGED_LOSS",
    "ResidualExplorer",
    "explore_residual",
    "snapshot_residual",
    "figure_depth_sweep",
]

#: Activation inside each block, with the initializer the library pairs it with.
ACTIVATIONS = {"sigmoid": (Sigmoid, "xavier_uniform"), "tanh": (Tanh, "xavier_uniform"),
               "relu": (ReLU, "he_uniform")}
#: Digits the networks are trained on (a seeded random subset, standardized).
N_DIGITS = 200
#: Units per hidden layer.
WIDTH = 16
#: Depths (blocks) and learning rates of the explorer's precomputed trainings.
DEPTHS = (1, 2, 4, 8, 16)
LRS = tuple(float(10.0**e) for e in (-1.5, -1.0, -0.5, 0.0))
#: A training whose loss ends above this (or not finite) diverged: guessing scores log 10 = 2.3.
DIVERGED_LOSS = 100.0


@functools.lru_cache(maxsize=4)
def _digits(n, seed):
    from nnlesson.datasets import load_digits
    from nnlesson.scaling import StandardScaler

    ds = load_digits()
    rows = np.random.default_rng(seed).permutation(ds.n_samples)[:n]
    X = StandardScaler().fit(ds.X[rows]).transform(ds.X[rows])
    for a in (X, ds.y):
        a.flags.writeable = False
    return X, ds.y[rows]


def digits_subset(n=N_DIGITS, seed=0):
    """``n`` digits drawn at random (seeded), standardized: ``(X (n, 64), y (n,))``, copies."""
    n = check_int("n", n, low=10, high=1797)
    X, y = _digits(n, check_int("seed", seed, low=0))
    return X.copy(), y.copy()


def forward_scales(model, X):
    """The standard deviation of the signal after each item of a :class:`Sequential` model.

    ``scales[0]`` is the input's, ``scales[k]`` the output of ``model[k - 1]``: for
    :func:`residual_network`, ``scales[1]`` is after the input layer, ``scales[1 + l]`` after
    block ``l`` and ``scales[-1]`` the logits'. Returns float64 array (len(model) + 1,).
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    x = np.asarray(X, dtype=np.float64)
    scales = [float(np.std(x))]
    for layer in model:
        x = layer.forward(x)
        scales.append(float(np.std(x)))
    return np.array(scales)


def train_briefly(model, X, y, lr, steps=30):
    """``steps`` full-batch gradient-descent updates with :func:`nnlesson.train.fit`.

    ``SGD(lr)`` without momentum, ``batch_size = N``, no shuffling: the loss curve depends only
    on the architecture, the weights and ``lr``. Returns the per-update loss (``steps`` values,
    fewer if training diverged; a diverged run ends with its non-finite loss).
    """
    from nnlesson.optim import SGD
    from nnlesson.train import fit

    lr = check_number("lr", lr, low=0, low_open=True)
    steps = check_int("steps", steps, low=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # divergence is one of the outcomes we show
        history = fit(model, X, y, optimizer=SGD(model.parameters(), lr=lr), epochs=steps,
                      batch_size=len(X), shuffle=False)
    return np.array(history.loss, dtype=float)


@dataclass(frozen=True, eq=False)
class SweepResult:
    """Trainings of plain and residual networks over depths and learning rates.

    Attributes:
        depths, lrs: the grid. steps: updates per training. activation: the block's.
        losses: ``{(depth, lr, skip): loss per update}`` (shorter when it diverged).
        grad_norms: ``{(depth, skip): weight_grad_norms at initialization}``.
        initial_loss: ``{(depth, skip): loss before training}``.
    """

    depths: tuple
    lrs: tuple
    steps: int
    activation: str
    losses: dict
    grad_norms: dict
    initial_loss: dict

    def final_loss(self, depth, lr, skip):
        """The loss of the last update; ``inf`` if training diverged (stopped early, or ended
        above :data:`DIVERGED_LOSS`)."""
        curve = self.losses[(depth, lr, skip)]
        last = float(curve[-1])
        return last if len(curve) == self.steps and last < DIVERGED_LOSS else np.inf

    def best(self, depth, skip):
        """``(final loss, lr)`` of the best learning rate at this depth."""
        return min((self.final_loss(depth, lr, skip), lr) for lr in self.lrs)

    def nearest_lr(self, lr):
        """The grid's learning rate closest to ``lr`` on a log scale."""
        return min(self.lrs, key=lambda v: abs(np.log(v) - np.log(lr)))


@functools.lru_cache(maxsize=8)
def _sweep(depths, lrs, steps, activation, n, seed):
    X, y = _digits(n, seed)
    losses, grads, initial = {}, {}, {}
    for depth in depths:
        for skip in (False, True):
            model = residual_network(depth, skip=skip, activation=activation, seed=seed)
            grads[(depth, skip)] = weight_grad_norms(model, X, y)
            initial[(depth, skip)] = softmax_cross_entropy(model.forward(X), y)[0]
            for lr in lrs:
                model = residual_network(depth, skip=skip, activation=activation, seed=seed)
                losses[(depth, lr, skip)] = train_briefly(model, X, y, lr, steps)
    return SweepResult(depths, lrs, steps, activation, losses, grads, initial)


def depth_sweep(depths=DEPTHS, lrs=LRS, *, steps=30, activation="sigmoid", n=N_DIGITS,
                seed=0):
    """Train the plain and the residual network at every depth and learning rate.

    Each training: :func:`residual_network` (same ``seed``, so the same weights) trained by
    :func:`train_briefly` on :func:`digits_subset` ``(n, seed)``. The result is cached per
    arguments (the explorer, the snapshot and the lesson's printed numbers share it).

    Returns:
        :class:`SweepResult`.
    """
    depths = tuple(check_int("depths", d, low=1) for d in depths)
    lrs = tuple(check_number("lrs", v, low=0, low_open=True) for v in lrs)
    if not depths or not lrs:
        raise ValueError("depths and lrs must each hold at least one value")
    check_choice("activation", activation, tuple(ACTIVATIONS))
    return _sweep(depths, lrs, check_int("steps", steps, low=1), activation,
                  check_int("n", n, low=10, high=1797), check_int("seed", seed, low=0))


# --------------------------------------------------------------------------- the figure


TOP = 4.0  # top of the loss axes; diverged runs are marked just below it
_LABELS = {False: "plain: x → F(x)", True: "residual: x → x + F(x)"}


def _finite_curve(curve, steps):
    out = np.full(steps, np.nan)
    k = len(curve)
    out[:k] = np.where(np.isfinite(curve), curve, 1e300)
    return out


class ResidualExplorer:
    """Three panels, built once: the gradient norm of every layer at initialization, the
    training loss per update at the chosen depth and learning rate, and the final loss against
    depth at that learning rate, each for the plain and the residual network.

    Everything is precomputed by :func:`depth_sweep` in the constructor (about a second), so a
    slider update only changes artists. ``depth`` must be one of ``depths``; ``lr`` snaps to the
    nearest of ``lrs``.
    """

    def __init__(self, activation="sigmoid", depths=DEPTHS, lrs=LRS, steps=30, bake=True):
        from nnlesson.viz.plotting import PALETTE, Backdrop, freeze_layout, label_axes, new_figure, series_style

        self.sweep = s = depth_sweep(depths, lrs, steps=steps, activation=activation)
        fig, (ax_g, ax_l, ax_d) = new_figure(3, 1, width=14.0, height=4.3)
        self.figure, self.axes = fig, (ax_g, ax_l, ax_d)
        style = {skip: dict(series_style(i), markersize=4) for i, skip in enumerate((False, True))}
        self.style = style

        max_layers = 2 * max(s.depths) + 2
        layers = np.arange(1, max_layers + 1)
        self.grad_line = {}
        for skip in (False, True):
            (self.grad_line[skip],) = ax_g.plot(layers, np.ones(max_layers), label=_LABELS[skip],
                                                **dict(style[skip], markevery=1))
        ax_g.set_yscale("log")
        ax_g.set_xlim(0.5, max_layers + 0.5)
        ax_g.set_ylim(1e-16, 1e2)
        label_axes(ax_g, title="gradient norm per layer at the start: does it reach layer 1?",
                   xlabel="linear layer (1 = next to the input)",
                   ylabel="‖∂L/∂W‖ (log scale)")
        ax_g.legend(loc="lower right", fontsize=8)
        self.grad_text = ax_g.text(0.03, 0.03, "", transform=ax_g.transAxes, fontsize=8.5,
                                   va="bottom")

        t = np.arange(1, s.steps + 1)
        self.loss_line = {}
        for skip in (False, True):
            (self.loss_line[skip],) = ax_l.plot(t, np.ones(s.steps), label=_LABELS[skip],
                                                **dict(style[skip], markevery=0.1))
        ax_l.axhline(np.log(10), color=PALETTE[7], linewidth=0.8, linestyle=":",
                     label="log 10: guessing")
        ax_l.set_xlim(1, s.steps)
        ax_l.set_ylim(0, 4.0)
        label_axes(ax_l,
                   title=f"training loss, {s.steps} gradient-descent steps on {N_DIGITS} digits",
                   xlabel="update", ylabel="cross-entropy loss")
        ax_l.legend(loc="lower left", fontsize=8)
        self.loss_text = ax_l.text(0.97, 0.97, "", transform=ax_l.transAxes, fontsize=8.5,
                                   ha="right", va="top")

        self.depth_line = {}
        for skip in (False, True):
            (self.depth_line[skip],) = ax_d.plot(s.depths, np.ones(len(s.depths)),
                                                 label=_LABELS[skip],
                                                 **dict(style[skip], markevery=1))
        self.diverged_marks = {}
        for skip in (False, True):
            (self.diverged_marks[skip],) = ax_d.plot(
                [], [], linestyle="none", marker="X", markersize=9, color=style[skip]["color"],
                label="diverged" if skip else None)
        ax_d.axhline(np.log(10), color=PALETTE[7], linewidth=0.8, linestyle=":")
        (self.depth_marker,) = ax_d.plot([], [], linestyle="none", marker="o", markersize=14,
                                         markerfacecolor="none", markeredgecolor=PALETTE[7])
        ax_d.set_xscale("log", base=2)
        ax_d.set_xticks(s.depths, [str(d) for d in s.depths])
        ax_d.set_xlim(min(s.depths) / 1.3, max(s.depths) * 1.3)
        ax_d.set_ylim(0, TOP)
        label_axes(ax_d, title="loss after training vs depth: does deeper get worse?",
                   xlabel="blocks (each: 2 linear layers)",
                   ylabel="final loss (✕ at the top: diverged)")
        ax_d.legend(loc="upper left", fontsize=8)

        self.update(depth=s.depths[len(s.depths) // 2], lr=s.lrs[len(s.lrs) // 2])
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, [
                *self.grad_line.values(), self.grad_text, *self.loss_line.values(),
                self.loss_text, *self.depth_line.values(), *self.diverged_marks.values(),
                self.depth_marker])

    def update(self, depth=4, lr=0.1):
        s = self.sweep
        if depth not in s.depths:
            raise ValueError(f"depth must be one of {s.depths}, got {depth!r}")
        lr = s.nearest_lr(check_number("lr", lr, low=0, low_open=True))
        n_layers = 2 * depth + 2
        max_layers = 2 * max(s.depths) + 2
        ratios = {}
        for skip in (False, True):
            norms = np.full(max_layers, np.nan)
            g = s.grad_norms[(depth, skip)]
            norms[:n_layers] = np.clip(g, 1e-300, None)
            self.grad_line[skip].set_ydata(norms)
            ratios[skip] = g[1] / g[-2]  # first block's first layer / last block's last layer

            self.loss_line[skip].set_ydata(
                np.clip(_finite_curve(s.losses[(depth, lr, skip)], s.steps), None, 1e6))
            finals = np.array([s.final_loss(d, lr, skip) for d in s.depths])
            self.depth_line[skip].set_ydata(np.where(np.isfinite(finals), finals, np.nan))
            gone = ~np.isfinite(finals)
            self.diverged_marks[skip].set_data(np.array(s.depths)[gone],
                                               np.full(gone.sum(), TOP - 0.25))
        self.grad_text.set_text(
            f"{depth} blocks = {n_layers} linear layers\n"
            f"first block / last block gradient:\n"
            f"  plain {ratios[False]:.1e},  residual {ratios[True]:.1e}")
        self.loss_text.set_text(
            f"lr = {lr:.3g}, {depth} blocks\nfinal loss: plain "
            f"{_fmt(s.final_loss(depth, lr, False))}, residual "
            f"{_fmt(s.final_loss(depth, lr, True))}")
        self.depth_marker.set_data([depth], [min(s.final_loss(depth, lr, True), TOP - 0.25)])


def _fmt(x):
    return "diverged" if not np.isfinite(x) else f"{x:.3f}"


def explore_residual(depth=4, lr=0.1, activation="sigmoid"):
    """Depth (blocks) and learning rate (log slider) for the plain and the residual network.

    ``activation`` (``"sigmoid"``, ``"tanh"``, ``"relu"``) is fixed per explorer: each one
    precomputes its trainings (about a second).
    """
    from nnlesson.viz.widgets import interactive_plot, lr_slider, selection_slider

    drawing = ResidualExplorer(activation)
    s = drawing.sweep
    depth_control = selection_slider(s.depths, depth, description="depth (blocks)")
    exps = np.log10(s.lrs)
    return interactive_plot(
        drawing.figure, drawing.update, depth=depth_control,
        lr=lr_slider(lr, min_exp=float(exps.min()), max_exp=float(exps.max()),
                     steps=float(np.diff(exps).min()) if len(exps) > 1 else 0.5),
    )


def snapshot_residual(depth=16, lr=0.1, activation="sigmoid"):
    """The explorer's figure at one setting (a static Figure for slides)."""
    drawing = ResidualExplorer(activation, bake=False)
    drawing.update(depth=depth, lr=lr)
    return drawing.figure


def figure_depth_sweep(sweeps):
    """Best final loss (over the learning rates) against depth, for each ``{label: SweepResult}``
    and both kinds of network."""
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    fig, ax = new_figure(width=7.5, height=4.0)
    i = 0
    for label, s in sweeps.items():
        for skip in (False, True):
            best = [min(s.best(d, skip)[0], 1e6) for d in s.depths]
            kind = "residual" if skip else "plain"
            ax.plot(s.depths, best, label=f"{label}, {kind}", **dict(series_style(i), markevery=1))
            i += 1
    ax.axhline(np.log(10), color="#555555", linewidth=0.8, linestyle=":", label="log 10: guessing")
    ax.set_xscale("log", base=2)
    depths = sorted({d for s in sweeps.values() for d in s.depths})
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.set_ylim(0, 2.6)
    label_axes(ax, title="best loss after a short training: plain stacks get worse with depth",
               xlabel="blocks (each: 2 linear layers)", ylabel="final loss (best learning rate)")
    ax.legend(fontsize=8, loc="upper left")
    return fig

