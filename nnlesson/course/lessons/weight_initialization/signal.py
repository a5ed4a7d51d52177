"""Lesson 09: signal propagation through a deep network, forward and backward.

A deep stack of ``Linear -> activation`` layers of equal width, fed standardized random inputs,
with weights drawn by one initialization scheme. Going forward, how large are the activations
of each layer; going backward, how large is the gradient of each layer's weights?
:func:`signal_propagation` (one network), :func:`std_ratio` (the claim over several networks),
:func:`backward_factor` and :func:`slope_bound` (how much each layer multiplies the gradient by,
measured and bounded), :func:`figure_init_comparison`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_rng
from nnlesson.course.lessons.weight_initialization.schemes import (
    SCHEMES,
    build_deep_net,
    scheme_label,
)
from nnlesson.init import initializer_std
from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

__all__ = ["LOG_BINS", "LOG_RANGE", "SignalStats", "signal_propagation", "std_ratio",
           "backward_factor", "slope_bound", "figure_init_comparison"]

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
        saturated (depth,): fraction of the units of layer ``l`` where the activation is
            flat: its slope ``f'(z)`` is below a fifth of its largest slope (sigmoid: an
            output within about 0.05 of 0 or 1; tanh: ``|h| > 0.89``; ReLU: ``h = 0``).
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
    saturated: np.ndarray

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


#: The largest slope of each activation: 1 for ReLU and tanh, 1/4 for sigmoid.
_MAX_SLOPE = {"relu": 1.0, "tanh": 1.0, "sigmoid": 0.25}


def _slope(h, activation):
    """``f'(z)`` from the output ``h = f(z)`` of ReLU, tanh or sigmoid."""
    if activation == "relu":
        return (h > 0).astype(np.float64)
    if activation == "tanh":
        return 1.0 - h * h
    return h * (1.0 - h)


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
        flat = _slope(acts.reshape(depth, -1), activation) < _MAX_SLOPE[activation] / 5
    hist, zero_fraction = _log_histograms(acts)
    return SignalStats(depth=depth, width=width, scheme=scheme, activation=activation,
                       input_std=float(x.std()), act_std=act_std, act_rms=act_rms,
                       grad_norm=grad_norm, zero_fraction=zero_fraction, hist=hist,
                       saturated=flat.mean(axis=1))


def std_ratio(scheme, activation, *, depth=20, width=256, n_samples=64, seeds=range(5)):
    """How much of the activations' scale survives ``depth`` layers, over several networks.

    For each seed, ``ratio = std(h_depth) / std(h_1)`` of :func:`signal_propagation`; returns
    ``(geometric mean, min, max)`` over the random seeds. A wide network (256 units) keeps the random
    spread between networks small; the geometric mean suits a ratio.
    """
    ratios = np.array([signal_propagation(depth, scheme, activation, width=width,
                                          n_samples=n_samples, seed=s).ratio for s in seeds])
    with np.errstate(divide="ignore"):
        gmean = float(np.exp(np.mean(np.log(ratios))))
    return gmean, float(ratios.min()), float(ratios.max())


#: The range of the log axes of the signal explorer (that of the heat map): values beyond it
#: are drawn on its edge, and the summary gives the true value.
LOG_RANGE = (10.0 ** LOG_BINS[0], 10.0 ** LOG_BINS[-1])


def backward_factor(stats):
    """What each layer multiplied the weight gradient by going back, on average:
    ``(||dL/dW_1|| / ||dL/dW_depth||) ** (1 / (depth - 1))`` (a geometric mean per layer)."""
    if not isinstance(stats, SignalStats):
        raise TypeError(f"stats must be SignalStats, got {type(stats).__name__}")
    if stats.depth < 2:
        raise ValueError(f"stats must come from a network of depth >= 2, got {stats.depth}")
    return float((stats.grad_norm[0] / stats.grad_norm[-1]) ** (1.0 / (stats.depth - 1)))


def slope_bound(scheme, activation, width=64):
    """An upper bound on what one square layer multiplies a gradient's size by going back.

    Going back through ``z = h @ W`` and ``h = f(z)``, a gradient is multiplied by ``W`` and by
    ``f'(z)``. For independent zero-mean weights its size changes by about
    ``sqrt(n_in Var(W) E[f'(z)^2]) <= sqrt(n_in Var(W)) * max f'``, and ``max f'`` is 1/4 for
    sigmoid, 1 for tanh and ReLU. With Xavier on a square layer ``n_in Var(W) = 1``; with He
    it is 2.

    Returns:
        ``sqrt(width * std^2) * max f'`` with ``std`` of :func:`nnlesson.init.initializer_std`.
    """
    _, name, kwargs = SCHEMES[scheme]
    std = initializer_std(name, width, width, **kwargs)
    return math.sqrt(width * std ** 2) * _MAX_SLOPE[activation]


def figure_init_comparison(depth=20, schemes=("small", "xavier_normal", "he_normal", "large"),
                           activations=("relu", "tanh"), width=64, seed=0):
    """Std of the activations per layer for several schemes, one panel per activation."""
    fig, axes = figure((880, 380), len(activations), 1)
    axes = np.atleast_1d(axes)
    layers = np.arange(1, depth + 1)
    seen = []
    for ax, activation in zip(axes, activations):
        for i, scheme in enumerate(schemes):
            st = signal_propagation(depth, scheme, activation, width=width, seed=seed)
            style = dict(series_style(i), markevery=2, markersize=5)
            ax.plot(layers, np.clip(st.act_std, 1e-30, 1e30), label=scheme_label(scheme),
                    **style)
            seen.append(f"{activation} with {scheme_label(scheme)} from {st.act_std[0]:.2g} to "
                        f"{st.act_std[-1]:.2g}")
        ax.axhline(1.0, color="#000000", linestyle=":", linewidth=1)
        ax.set_yscale("log")
        ax.set_ylim(1e-16, 1e16)
        label_axes(ax, title=f"{activation} layers", xlabel="layer",
                   ylabel="std of the activations")
    # above the panels: inside one, the legend covered a vanishing curve
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside upper center", ncols=min(4, len(labels)),
               frameon=False)
    readable(fig)
    alt = (f"The standard deviation of the activations at each of {depth} layers of {width} "
           f"units, on a log axis, one panel per activation. From layer 1 to layer {depth}: "
           + "; ".join(seen) + ".")
    return describe(fig, alt)
