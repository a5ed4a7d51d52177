"""Lesson 09, weight initialization: the experiments (compute, draw, widget).

Three experiments, each a pure compute function, a drawing object with ``update(**values)`` and
a thin widget function (or a static figure):

* **Signal propagation.** A deep stack of ``Linear -> activation`` layers of equal width, fed
  standardized random inputs, with weights drawn by one initialization scheme. Going forward,
  how large are the activations of each layer; going backward, how large is the gradient of
  each layer's weights? :func:`signal_propagation`, :class:`SignalExplorer`,
  :func:`explore_signal_propagation`, :func:`snapshot_signal_propagation`, and the summary
  :func:`std_ratio` / :func:`figure_init_comparison` behind the lesson's claims.
* **Symmetry.** A one-hidden-layer network started from all-zero weights: every hidden unit
  computes the same thing and gets the same gradient, so after any number of steps they are
  still copies of each other. :func:`symmetry_experiment`, :func:`figure_symmetry`.
* **Training a deep network.** The same deep network trained on the digits with each scheme,
  for a chosen activation and learning rate: zeros and tiny random weights never start
  learning. :func:`train_with_init`, :func:`init_training_grid`, :class:`InitTrainingExplorer`,
  :func:`explore_init_training`, :func:`snapshot_init_training`.

Every initializer comes from :mod:`nnlesson.init`; the layers, training loop and optimizer
from :mod:`nnlesson.layers`, :mod:`nnlesson.train` and :mod:`nnlesson.optim`. Weight matrices
have shape ``(n_in, n_out)`` (the transpose of PyTorch's), so ``fan_in = shape[0]``.
"""
from __future__ import annotations

import functools
import math
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson.viz.plotting import nearest_on_log_grid, trailing_mean
from nnlesson import init as _init
from nnlesson._validate import check_choice, check_int, check_number, check_rng
from nnlesson.viz.plotting import Backdrop

__all__ = [
    "SCHEMES",
    "ACTIVATIONS",
    "make_initializer",
    "build_deep_net",
    "SignalStats",
    "signal_propagation",
    "std_ratio",
    "SignalExplorer",
    "explore_signal_propagation",
    "snapshot_signal_propagation",
    "figure_init_comparison",
    "SymmetryResult",
    "symmetry_experiment",
    "figure_symmetry",
    "TRAINING_SCHEMES",
    "TRAINING_LRS",
    "TrainingRun",
    "train_with_init",
    "init_training_grid",
    "InitTrainingExplorer",
    "explore_init_training",
    "snapshot_init_training",
]

#: Initialization schemes of the experiments: key -> (label, library initializer, its keywords).
SCHEMES = {
    "zeros": ("zeros", "zeros", {}),
    "small": ("small random N(0, 0.01²)", "normal", {"std": 0.01}),
    "large": ("large random N(0, 1)", "normal", {"std": 1.0}),
    "xavier_uniform": ("Xavier uniform", "xavier_uniform", {}),
    "xavier_normal": ("Xavier normal", "xavier_normal", {}),
    "he_uniform": ("He uniform", "he_uniform", {}),
    "he_normal": ("He normal", "he_normal", {}),
}

#: Activations of the experiments (the names of :func:`nnlesson.train.mlp`).
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def make_initializer(scheme):
    """``f(shape, rng=None) -> weights`` for a key of :data:`SCHEMES`, or ``scheme`` if callable.

    A callable is passed through unchanged (an exercise's own initializer, for example); it
    must accept ``(shape, rng=rng)`` like the initializers of :mod:`nnlesson.init`.
    """
    if callable(scheme):
        return scheme
    check_choice("scheme", scheme, tuple(SCHEMES))
    _, name, kwargs = SCHEMES[scheme]
    return functools.partial(_init.INITIALIZERS[name], **kwargs)


def _scheme_label(scheme):
    if callable(scheme):
        return getattr(scheme, "__name__", "your initializer")
    return SCHEMES[scheme][0]


def _activation_layer(activation):
    from nnlesson.layers import ReLU, Sigmoid, Tanh

    check_choice("activation", activation, ACTIVATIONS)
    return {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[activation]()


def build_deep_net(depth, width, scheme, activation, rng=None):
    """``depth`` blocks ``Linear(width, width) -> activation`` as a list of (Linear, activation).

    Weights from :func:`make_initializer` (``scheme``), biases zero (the library's default).
    """
    from nnlesson.layers import Linear

    depth = check_int("depth", depth, low=1)
    width = check_int("width", width, low=1)
    f = make_initializer(scheme)
    rng = check_rng(rng)
    return [(Linear(width, width, init=f, rng=rng), _activation_layer(activation))
            for _ in range(depth)]


# --------------------------------------------------------------------------- signal propagation

#: Bins of log10 |activation| for the histograms of :func:`signal_propagation`.
LOG_BINS = np.linspace(-12.0, 6.0, 73)


@dataclass(frozen=True, eq=False)
class SignalStats:
    """What one forward and backward pass through a deep network measured, layer by layer.

    Layer ``l = 1 .. depth`` computes ``h_l = activation(h_{l-1} @ W_l + b_l)`` with
    ``h_0 = x``, standardized random inputs.

    Attributes:
        depth, width, scheme, activation: the network.
        input_std: std of ``x`` (about 1).
        act_std (depth,): std of the entries of ``h_l``.
        act_rms (depth,): root mean square of ``h_l``, ``sqrt(mean(h_l^2))``.
        grad_norm (depth,): Frobenius norm of ``dL/dW_l`` for the loss
            ``L = (1/N) sum_n r_n . h_depth,n`` with fixed random ``r ~ N(0, 1)``
            (a stand-in for whatever loss sits on top).
        zero_fraction (depth,): fraction of entries of ``h_l`` that are exactly 0.
        hist (depth, len(LOG_BINS) - 1): per layer, the fraction of the nonzero entries whose
            ``log10 |h_l|`` falls in each bin of :data:`LOG_BINS`; values beyond the range
            count in the first or last bin.
    """

    depth: int
    width: int
    scheme: object
    activation: str
    input_std: float
    act_std: np.ndarray
    act_rms: np.ndarray
    grad_norm: np.ndarray
    zero_fraction: np.ndarray
    hist: np.ndarray

    @property
    def ratio(self):
        """``act_std[-1] / act_std[0]``: how much of layer 1's scale reaches the last layer."""
        return float(self.act_std[-1] / self.act_std[0]) if self.act_std[0] > 0 else float("nan")


def _log_histograms(acts):
    """(depth, bins) fractions of nonzero |values| per log10 bin, and the zero fractions."""
    depth = acts.shape[0]
    flat = np.abs(acts.reshape(depth, -1))
    nonzero = flat > 0
    zero_fraction = 1.0 - nonzero.mean(axis=1)
    n_bins = len(LOG_BINS) - 1
    step = LOG_BINS[1] - LOG_BINS[0]
    with np.errstate(divide="ignore"):
        logs = np.log10(np.where(nonzero, flat, 1.0))
    idx = np.clip(((logs - LOG_BINS[0]) / step).astype(np.int64), 0, n_bins - 1)
    idx += (np.arange(depth) * n_bins)[:, None]
    counts = np.bincount(idx[nonzero], minlength=depth * n_bins).reshape(depth, n_bins)
    totals = np.maximum(nonzero.sum(axis=1, keepdims=True), 1)
    return counts / totals, zero_fraction


def signal_propagation(depth=20, scheme="he_normal", activation="relu", *, width=64,
                       n_samples=128, seed=0):
    """One forward and one backward pass through a fresh deep network; statistics per layer.

    The network is ``depth`` blocks ``Linear(width, width) -> activation`` (weights from
    ``scheme``, see :data:`SCHEMES`, or a callable initializer ``f(shape, rng=rng)``), fed
    ``x ~ N(0, 1)`` of shape ``(n_samples, width)``. Backward starts from the gradient of
    ``L = (1/N) sum_n r_n . h_depth,n`` with ``r ~ N(0, 1)``, and goes through the library's
    ``backward`` of every layer. Everything is drawn from ``seed``.

    What to expect (``Var(h @ W) = fan_in Var(W) E[h^2]`` for independent zero-mean weights):
    ReLU keeps half of ``E[z^2]``, so He's ``Var(W) = 2 / fan_in`` keeps ``E[h^2]`` constant
    from layer to layer while Xavier's ``1 / fan_in`` (equal fans) halves it every layer.

    Returns:
        :class:`SignalStats`.
    """
    depth = check_int("depth", depth, low=1)
    width = check_int("width", width, low=1)
    n_samples = check_int("n_samples", n_samples, low=2)
    rng = check_rng(seed)
    blocks = build_deep_net(depth, width, scheme, activation, rng=rng)
    x = rng.standard_normal((n_samples, width))
    r = rng.standard_normal((n_samples, width))

    acts = np.empty((depth, n_samples, width))
    h = x
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        for l, (lin, act) in enumerate(blocks):
            h = act.forward(lin.forward(h))
            acts[l] = h
        d = r / n_samples
        for lin, act in reversed(blocks):
            d = lin.backward(act.backward(d))
        grad_norm = np.array([np.linalg.norm(lin.W.grad) for lin, _ in blocks])
        act_std = acts.reshape(depth, -1).std(axis=1)
        act_rms = np.sqrt(np.mean(acts.reshape(depth, -1) ** 2, axis=1))
    hist, zero_fraction = _log_histograms(acts)
    return SignalStats(depth=depth, width=width, scheme=scheme, activation=activation,
                       input_std=float(x.std()), act_std=act_std, act_rms=act_rms,
                       grad_norm=grad_norm, zero_fraction=zero_fraction, hist=hist)


def std_ratio(scheme, activation, *, depth=20, width=256, n_samples=64, seeds=range(5)):
    """How much of the activations' scale survives ``depth`` layers, over several networks.

    For each seed, ``ratio = std(h_depth) / std(h_1)`` of :func:`signal_propagation`; returns
    ``(geometric mean, min, max)`` over the seeds. A wide network (256 units) keeps the random
    spread between networks small; the geometric mean suits a ratio.
    """
    ratios = np.array([signal_propagation(depth, scheme, activation, width=width,
                                          n_samples=n_samples, seed=s).ratio for s in seeds])
    with np.errstate(divide="ignore"):
        gmean = float(np.exp(np.mean(np.log(ratios))))
    return gmean, float(ratios.min()), float(ratios.max())


def _fmt(x):
    if not np.isfinite(x):
        return "overflow"
    return "0" if x == 0 else f"{x:.2g}"


#: The range of the log axes of :class:`SignalExplorer` (that of the heat map): values beyond it
#: are drawn on its edge, and the panel's text gives the true value.
LOG_RANGE = (10.0 ** LOG_BINS[0], 10.0 ** LOG_BINS[-1])


class SignalExplorer:
    """The signal-propagation figure, built once; :meth:`update` changes its artists only.

    Three panels, the layer on the x axis (up to ``max_depth``): the distribution of
    ``log10 |h_l|`` per layer (a heat map), the std of the activations per layer, and the norm
    of each layer's weight gradient, on fixed log axes (:data:`LOG_RANGE`) so that settings can
    be compared. Results are cached per setting. With ``bake=True`` (the widget) the static
    parts are painted once (:class:`~nnlesson.viz.plotting.Backdrop`).
    """

    def __init__(self, max_depth=30, width=64, n_samples=64, seed=0, bake=True):
        from matplotlib.colors import LinearSegmentedColormap

        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.max_depth = check_int("max_depth", max_depth, low=2)
        self.width, self.n_samples, self.seed = width, n_samples, seed
        self._cache = {}
        fig, (ax_h, ax_a, ax_g) = new_figure(3, 1, width=12.5, height=3.9)
        self.figure, self.axes = fig, (ax_h, ax_a, ax_g)
        n_bins = len(LOG_BINS) - 1
        empty = np.full((n_bins, self.max_depth), np.nan)
        cmap = LinearSegmentedColormap.from_list("white_blue", ["#FFFFFF", PALETTE[5], PALETTE[0],
                                                                "#002244"])
        self.image = ax_h.imshow(empty, origin="lower", aspect="auto", cmap=cmap, vmin=0, vmax=0.25,
                                 extent=(0.5, self.max_depth + 0.5, LOG_BINS[0], LOG_BINS[-1]),
                                 interpolation="nearest")
        ax_h.set_yticks(np.arange(-12, 7, 3))
        ax_h.set_yticklabels([f"1e{k}" for k in range(-12, 7, 3)])
        ax_h.set_xlim(0.5, self.max_depth + 0.5)
        label_axes(ax_h, title="|activations| per layer (darker: more)",
                   xlabel="layer", ylabel="|activation| (log scale)")
        fig.colorbar(self.image, ax=ax_h, fraction=0.05, pad=0.02)

        layers = np.arange(1, self.max_depth + 1)
        s0 = dict(series_style(0), markevery=1, markersize=4)
        s3 = dict(series_style(3), markevery=1, markersize=4)
        (self.std_line,) = ax_a.plot(layers, np.ones_like(layers, dtype=float), **s0)
        ax_a.axhline(1.0, color=PALETTE[7], linestyle=":", linewidth=1)
        ax_a.text(self.max_depth, 1.0, "input std", fontsize=8, ha="right", va="bottom")
        ax_a.set_yscale("log")
        ax_a.set_ylim(*LOG_RANGE)
        ax_a.set_xlim(0.5, self.max_depth + 0.5)
        label_axes(ax_a, title="flat = the signal survives; falling = it vanishes",
                   xlabel="layer", ylabel="std of the layer's activations")
        self.std_text = ax_a.text(0.98, 0.03, "", transform=ax_a.transAxes, fontsize=8,
                                  ha="right", va="bottom")
        (self.grad_line,) = ax_g.plot(layers, np.ones_like(layers, dtype=float), **s3)
        ax_g.set_yscale("log")
        ax_g.set_ylim(*LOG_RANGE)
        ax_g.set_xlim(0.5, self.max_depth + 0.5)
        label_axes(ax_g, title="does every layer get a usable gradient?", xlabel="layer",
                   ylabel="‖dL/dW‖ of the layer")
        self.grad_text = ax_g.text(0.98, 0.03, "", transform=ax_g.transAxes, fontsize=8,
                                   ha="right", va="bottom")
        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(fig, [
                self.image, self.std_line, self.std_text, self.grad_line,
                self.grad_text])

    def compute(self, depth=20, scheme="he_normal", activation="relu"):
        """:class:`SignalStats` for this setting (cached)."""
        key = (int(depth), scheme, activation)
        if key not in self._cache:
            self._cache[key] = signal_propagation(depth, scheme, activation, width=self.width,
                                                  n_samples=self.n_samples, seed=self.seed)
        return self._cache[key]

    @staticmethod
    def _on_axis(values):
        """Values beyond :data:`LOG_RANGE` on its edge; zeros (no log) left out."""
        values = np.where(values > 0, values, np.nan)
        return np.clip(values, LOG_RANGE[0] * 1.05, LOG_RANGE[1] / 1.05)

    def update(self, depth=20, scheme="he_normal", activation="relu"):
        depth = min(int(depth), self.max_depth)
        st = self.compute(depth, scheme, activation)
        self.stats = st
        grid = np.full((len(LOG_BINS) - 1, self.max_depth), np.nan)
        grid[:, :depth] = st.hist.T
        grid[:, :depth][:, st.zero_fraction >= 1.0] = np.nan
        self.image.set_data(grid)
        layers = np.arange(1, depth + 1)
        # exact zeros (all-zero weights) cannot sit on a log axis; the texts give the values
        self.std_line.set_data(layers, self._on_axis(st.act_std))
        self.grad_line.set_data(layers, self._on_axis(st.grad_norm))
        # dynamic text is the slowest thing to draw: keep it to a few characters
        self.std_text.set_text(f"layer 1 → {depth}: {_fmt(st.act_std[0])} → "
                               f"{_fmt(st.act_std[-1])}")
        self.grad_text.set_text(f"layer 1 → {depth}: {_fmt(st.grad_norm[0])} → "
                                f"{_fmt(st.grad_norm[-1])}")


def _scheme_options(keys=tuple(SCHEMES)):
    return [(SCHEMES[k][0], k) for k in keys]


def explore_signal_propagation(depth=20, scheme="he_normal", activation="relu"):
    """Sliders for the depth, the initialization scheme and the activation."""
    from nnlesson.viz.widgets import choice, int_slider, interactive_plot

    drawing = SignalExplorer()
    return interactive_plot(
        drawing.figure, drawing.update,
        depth=int_slider(depth, min=2, max=drawing.max_depth, description="depth (layers)"),
        scheme=choice(_scheme_options(), scheme, description="initialization"),
        activation=choice(list(ACTIVATIONS), activation, description="activation"),
    )


def snapshot_signal_propagation(depth=20, scheme="he_normal", activation="relu"):
    """The explorer's figure for one setting (a static Figure for slides)."""
    drawing = SignalExplorer(bake=False)
    drawing.update(depth=depth, scheme=scheme, activation=activation)
    return drawing.figure


def figure_init_comparison(depth=20, schemes=("small", "xavier_normal", "he_normal", "large"),
                           activations=("relu", "tanh"), width=64, seed=0):
    """Std of the activations per layer for several schemes, one panel per activation."""
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    fig, axes = new_figure(len(activations), 1, width=5.2 * len(activations), height=4.0)
    axes = np.atleast_1d(axes)
    layers = np.arange(1, depth + 1)
    for ax, activation in zip(axes, activations):
        for i, scheme in enumerate(schemes):
            st = signal_propagation(depth, scheme, activation, width=width, seed=seed)
            style = dict(series_style(i), markevery=2, markersize=4)
            values = np.clip(st.act_std, 1e-30, 1e30)
            ax.plot(layers, values, label=_scheme_label(scheme), **style)
        ax.axhline(1.0, color="#000000", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        ax.set_ylim(1e-12, 1e12)
        label_axes(ax, title=f"{activation}: which scheme keeps the scale flat?",
                   xlabel="layer", ylabel="std of the layer's activations")
        ax.legend(fontsize=8, loc="lower left")
    return fig


# --------------------------------------------------------------------------- symmetry


@dataclass(frozen=True, eq=False)
class SymmetryResult:
    """A one-hidden-layer network trained from one initialization (see :func:`symmetry_experiment`).

    Attributes:
        scheme, activation, steps, lr: the setting.
        distinct_units (steps + 1,): number of distinct hidden units (distinct columns of the
            first weight matrix, with their biases) before each step and after the last.
        weight_change: largest ``|W_1 - W_1 at start|`` entry after training.
        first_weights (steps + 1, units): the weight from input 0 to each hidden unit over time.
        loss (steps,): training loss of each step.
        accuracy: training accuracy at the end.
    """

    scheme: object
    activation: str
    steps: int
    lr: float
    distinct_units: np.ndarray
    weight_change: float
    first_weights: np.ndarray
    loss: np.ndarray
    accuracy: float


def _distinct_columns(W, b, decimals=12):
    cols = np.vstack([W, b[None, :]]).T
    return len(np.unique(np.round(cols, decimals), axis=0))


@functools.lru_cache(maxsize=1)
def _wine_standardized():
    from nnlesson.datasets import load_wine
    from nnlesson.scaling import StandardScaler

    d = load_wine()
    X = StandardScaler().fit(d.X).transform(d.X)
    X.flags.writeable = False
    d.y.flags.writeable = False
    return X, d.y


def symmetry_experiment(scheme="zeros", activation="sigmoid", *, hidden=16, steps=100, lr=0.5,
                        seed=0):
    """Train a ``[13, hidden, 3]`` network on the standardized wine data, full-batch descent.

    All weights (both layers) come from ``scheme``; biases start at zero. After each step the
    number of distinct hidden units is counted: units whose incoming weights and bias are equal
    (to 12 decimals) compute the same function. With all-zero weights every hidden unit starts
    identical, receives an identical gradient and so stays identical: with sigmoid they move
    together; with ReLU or tanh (whose output at 0 is 0) the hidden layer receives no gradient
    at all and never moves.

    Returns:
        :class:`SymmetryResult`.
    """
    from nnlesson.layers import Linear, Sequential
    from nnlesson.losses import accuracy, softmax_cross_entropy
    from nnlesson.optim import SGD

    hidden = check_int("hidden", hidden, low=1)
    steps = check_int("steps", steps, low=1)
    lr = check_number("lr", lr, low=0, low_open=True)
    X, y = _wine_standardized()
    f = make_initializer(scheme)
    rng = check_rng(seed)
    first = Linear(X.shape[1], hidden, init=f, rng=rng, input_grad=False)
    model = Sequential(first, _activation_layer(activation), Linear(hidden, 3, init=f, rng=rng))
    opt = SGD(model.parameters(), lr=lr)
    W0 = first.W.value.copy()
    distinct = [_distinct_columns(first.W.value, first.b.value)]
    track = [first.W.value[0].copy()]
    losses = []
    for _ in range(steps):
        model.zero_grad()
        out = model.forward(X)
        loss, dout = softmax_cross_entropy(out, y)
        model.backward(dout)
        opt.step()
        losses.append(float(loss))
        distinct.append(_distinct_columns(first.W.value, first.b.value))
        track.append(first.W.value[0].copy())
    acc = float(accuracy(model.forward(X), y))
    return SymmetryResult(scheme=scheme, activation=activation, steps=steps, lr=lr,
                          distinct_units=np.array(distinct),
                          weight_change=float(np.abs(first.W.value - W0).max()),
                          first_weights=np.array(track), loss=np.array(losses), accuracy=acc)


def figure_symmetry(schemes=("zeros", "xavier_uniform"), activation="sigmoid", **kwargs):
    """The weight from input 0 to each hidden unit during training, one panel per scheme."""
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure

    fig, axes = new_figure(len(schemes), 1, width=5.2 * len(schemes), height=3.8)
    axes = np.atleast_1d(axes)
    for ax, scheme in zip(axes, schemes):
        res = symmetry_experiment(scheme, activation, **kwargs)
        steps = np.arange(res.steps + 1)
        for j in range(res.first_weights.shape[1]):
            ax.plot(steps, res.first_weights[:, j], color=PALETTE[j % 6],
                    linestyle=("-", "--", "-.", ":")[j % 4], linewidth=1.2)
        label_axes(ax, title=f"{_scheme_label(scheme)}: {res.distinct_units[-1]} distinct "
                             f"hidden unit(s) after {res.steps} steps",
                   xlabel="gradient-descent step",
                   ylabel="weight from input 0 to each hidden unit")
    return fig


# --------------------------------------------------------------------------- training a deep net

#: Schemes compared in the training experiment, and its learning-rate grid.
TRAINING_SCHEMES = ("zeros", "small", "xavier_uniform", "he_uniform")
TRAINING_LRS = tuple(float(10.0 ** e) for e in np.arange(-2.0, 0.01, 0.5))  # 0.01 ... 1


@functools.lru_cache(maxsize=1)
def _digits_standardized():
    from nnlesson.data import train_val_split
    from nnlesson.datasets import load_digits
    from nnlesson.scaling import StandardScaler

    d = load_digits()
    X_train, X_val, y_train, y_val = train_val_split(d.X, d.y, 0.3, rng=0, stratify=True)
    scaler = StandardScaler().fit(X_train)
    arrays = (scaler.transform(X_train), scaler.transform(X_val), y_train, y_val)
    for a in arrays:
        a.flags.writeable = False
    return arrays


@dataclass(frozen=True, eq=False)
class TrainingRun:
    """One run of :func:`train_with_init`.

    Attributes:
        loss (updates,): mini-batch training loss of each update (NaN after a divergence).
        val_acc: validation accuracy at the end (NaN if training diverged).
        diverged: True if the loss or a gradient became NaN/inf.
        distinct_units: number of distinct hidden units in the first layer at the end.
    """

    loss: np.ndarray
    val_acc: float
    diverged: bool
    distinct_units: int


def train_with_init(scheme, activation="relu", lr=0.1, *, hidden=(32,) * 6, epochs=2,
                    batch_size=64, seed=0):
    """Train ``mlp([64, *hidden, 10], activation, init=...)`` on the digits with plain SGD.

    The digits are split 70/30 (stratified, seed 0) and standardized with the training part's
    statistics; :func:`nnlesson.train.fit` runs ``epochs`` epochs of mini-batches
    (``ceil(1257 / batch_size)`` updates each) with ``nnlesson.optim.SGD(lr)``; the network's
    weights come from ``scheme`` (a key of :data:`SCHEMES` whose initializer is in
    :data:`nnlesson.init.INITIALIZERS`), biases start at zero.

    Returns:
        :class:`TrainingRun`.
    """
    from nnlesson.optim import SGD
    from nnlesson.train import evaluate, fit, mlp

    check_choice("scheme", scheme, tuple(SCHEMES))
    _, name, kwargs = SCHEMES[scheme]
    X, X_val, y, y_val = _digits_standardized()
    model = mlp([X.shape[1], *hidden, 10], activation=activation, init=name, rng=seed)
    if kwargs:  # a scheme with non-default arguments: redraw the weights with them
        rng = check_rng(seed)
        f = make_initializer(scheme)
        for p in model.parameters():
            if p.value.ndim == 2:
                p.value[...] = f(p.value.shape, rng=rng)
    opt = SGD(model.parameters(), lr=lr)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a diverged run is part of the measurement
        history = fit(model, X, y, optimizer=opt, epochs=epochs, batch_size=batch_size, rng=seed)
    total = epochs * history.iterations_per_epoch
    loss = np.full(total, np.nan)
    loss[:len(history.loss)] = history.loss
    val_acc = math.nan if history.diverged else float(evaluate(model, X_val, y_val)[1])
    first = model[0]
    return TrainingRun(loss=loss, val_acc=val_acc, diverged=history.diverged,
                       distinct_units=_distinct_columns(first.W.value, first.b.value))


def init_training_grid(activations=("relu", "tanh"), schemes=TRAINING_SCHEMES, lrs=TRAINING_LRS):
    """Every run of :func:`train_with_init` for these activations, schemes and rates.

    Returns a dict ``{(activation, scheme, lr): TrainingRun}`` (cached: the widget and the
    snapshot share it). Cost: ``len(activations) * len(schemes) * len(lrs)`` runs of 40 updates.
    """
    return dict(_training_grid(tuple(activations), tuple(schemes),
                               tuple(float(lr) for lr in lrs)))


@functools.lru_cache(maxsize=2)
def _training_grid(activations, schemes, lrs):
    return {(a, s, lr): train_with_init(s, a, lr)
            for a in activations for s in schemes for lr in lrs}


_nearest = nearest_on_log_grid  # shared with the other lessons' sliders
_smooth = trailing_mean


class InitTrainingExplorer:
    """Loss curves and final accuracies of the training experiment, built once.

    Left: the training loss (moving mean of 5 mini-batches) of each scheme; right: the
    validation accuracy each reached. All runs are computed in the constructor (see
    :func:`init_training_grid`); :meth:`update` only changes the artists. ``bake`` as in
    :class:`SignalExplorer`.
    """

    def __init__(self, activations=("relu", "tanh"), bake=True):
        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.grid = init_training_grid(tuple(activations))
        self.activations = tuple(activations)
        fig, (ax_l, ax_a) = new_figure(2, 1, width=11.5, height=4.0)
        self.figure, self.axes = fig, (ax_l, ax_a)
        n = len(next(iter(self.grid.values())).loss)
        steps = np.arange(1, n + 1)
        self.lines = []
        for i, s in enumerate(TRAINING_SCHEMES):
            style = dict(series_style(i), markevery=0.1, markersize=5)
            (line,) = ax_l.plot(steps, np.ones(n), label=SCHEMES[s][0], **style)
            self.lines.append(line)
        ax_l.axhline(math.log(10), color=PALETTE[7], linestyle=":", linewidth=1)
        ax_l.text(n, math.log(10), "ln 10: guessing", fontsize=8, ha="right", va="bottom")
        ax_l.set_xlim(0, n + 1)
        ax_l.set_ylim(0, 3.5)
        label_axes(ax_l, title="6 hidden layers of 32, plain SGD: which ones start learning?",
                   xlabel="update", ylabel="training loss (mean of 5 mini-batches)")
        ax_l.legend(fontsize=8, loc="lower left")
        xs = np.arange(len(TRAINING_SCHEMES))
        self.bars = ax_a.bar(xs, np.zeros(len(xs)), color=[PALETTE[i] for i in range(len(xs))],
                             edgecolor="#000000")
        for bar, hatch in zip(self.bars, ("//", "..", "", "xx")):
            bar.set_hatch(hatch)
        self.bar_text = [ax_a.text(x, 0.0, "", ha="center", va="bottom", fontsize=9) for x in xs]
        ax_a.set_xticks(xs)
        # every run of the grid ends with these counts (a test checks it): zeros keep the
        # 32 units of the first layer identical, random weights keep them all different
        ax_a.set_xticklabels([SCHEMES[s][0].replace(" N(", "\nN(") + "\n"
                              + ("1 distinct unit" if s == "zeros" else "32 distinct units")
                              for s in TRAINING_SCHEMES], fontsize=8)
        ax_a.axhline(0.1, color=PALETTE[7], linestyle=":", linewidth=1)
        ax_a.set_ylim(0, 1.12)
        label_axes(ax_a, title="validation accuracy after 2 epochs (chance: 0.1)",
                   xlabel="initialization (and distinct hidden units in layer 1)",
                   ylabel="validation accuracy")
        self.update()
        freeze_layout(fig)
        self.background = None
        if bake:
            self.background = Backdrop(
                fig, [*self.lines, *self.bars, *self.bar_text])

    def compute(self, activation="relu", lr=0.1):
        """``{scheme: TrainingRun}`` for the grid point nearest to ``lr``, and that rate."""
        check_choice("activation", activation, self.activations)
        lr = _nearest(TRAINING_LRS, lr)
        return {s: self.grid[(activation, s, lr)] for s in TRAINING_SCHEMES}, lr

    def update(self, activation="relu", lr=0.1):
        runs, lr = self.compute(activation, lr)
        self.runs = runs
        for line, s in zip(self.lines, TRAINING_SCHEMES):
            line.set_ydata(np.clip(_smooth(runs[s].loss), 0, 3.45))
        for bar, text, s in zip(self.bars, self.bar_text, TRAINING_SCHEMES):
            run = runs[s]
            acc = 0.0 if run.diverged else run.val_acc
            bar.set_height(acc)
            text.set_y(acc + 0.01)
            text.set_text("diverged" if run.diverged else f"{acc:.2f}")


def explore_init_training(activation="relu", lr=0.1):
    """The training experiment: an activation dropdown and a learning-rate slider."""
    from nnlesson.viz.widgets import choice, interactive_plot, lr_slider

    drawing = InitTrainingExplorer()
    return interactive_plot(
        drawing.figure, drawing.update,
        activation=choice(list(drawing.activations), activation, description="activation"),
        lr=lr_slider(lr, min_exp=-2.0, max_exp=0.0, steps=0.5),
    )


def snapshot_init_training(activation="relu", lr=0.1):
    """The training experiment's figure for one setting (a static Figure)."""
    drawing = InitTrainingExplorer(bake=False)
    drawing.update(activation=activation, lr=lr)
    return drawing.figure
