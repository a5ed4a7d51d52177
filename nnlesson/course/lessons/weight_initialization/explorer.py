"""Lesson 09's live experiments: the signal through a deep network, and training from four starts."""
from __future__ import annotations

import math

import numpy as np

from nnlesson.course.lessons.weight_initialization.schemes import ACTIVATIONS, SCHEMES
from nnlesson.course.lessons.weight_initialization.signal import (
    LOG_BINS,
    LOG_RANGE,
    signal_propagation,
)
from nnlesson.course.lessons.weight_initialization.training import (
    TRAINING_ACTIVATIONS,
    TRAINING_LRS,
    TRAINING_SCHEMES,
    TRAINING_SEEDS,
    stored_training_view,
)
from nnlesson.viz.explorer import Choice, Explorer, Slider, linear_ladder
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import PALETTE, label_axes, series_style

__all__ = ["SignalExplorer", "explore_signal_propagation", "snapshot_signal_propagation",
           "InitTrainingExplorer", "explore_init_training", "snapshot_init_training"]


def _fmt(x):
    if not np.isfinite(x):
        return "overflow"
    return "0" if x == 0 else f"{x:.2g}"


def _on_axis(values):
    """Values beyond :data:`LOG_RANGE` on its edge; zeros (no log) left out."""
    values = np.where(values > 0, values, np.nan)
    return np.clip(values, LOG_RANGE[0] * 1.05, LOG_RANGE[1] / 1.05)


class SignalExplorer(Explorer):
    """The signal through ``depth`` layers of 64 units: where the activations of each layer sit
    (a heat map of ``log10 |h|``), their standard deviation, and the norm of the gradient each
    layer's weights receive, on fixed log axes so that settings can be compared.

    Args:
        max_depth: the longest network the slider offers. width, n_samples, seed: the network
            and its inputs (see :func:`signal_propagation`).
    """

    controls = (
        Slider("depth", "depth (layers)", linear_ladder(2, 30, 1), default=20),
        Choice("scheme", "initialization", [(label, key) for key, (label, _, _) in
                                            SCHEMES.items()], default="he_normal"),
        Choice("activation", "activation", ACTIVATIONS, default="relu"),
    )
    size = (880, 420)
    alt = ("Left: a heat map of where the absolute activations of each layer lie, on a log "
           "scale from 1e-12 to 1e6 (darker: more of them). Middle: the standard deviation of "
           "each layer's activations, on a log axis, with the input's std dotted. Right: the "
           "norm of the gradient each layer's weights receive, on a log axis.")

    def __init__(self, width=64, n_samples=64, seed=0):
        super().__init__()
        self.max_depth = max(self.controls[0].values)
        self.width, self.n_samples, self.seed = width, n_samples, seed

    def build(self, fig):
        from matplotlib.colors import LinearSegmentedColormap

        ax_h, ax_a, ax_g = fig.subplots(1, 3)
        n_bins = len(LOG_BINS) - 1
        cmap = LinearSegmentedColormap.from_list("white_blue", ["#FFFFFF", PALETTE[5], PALETTE[0],
                                                                "#002244"])
        self.image = ax_h.imshow(np.full((n_bins, self.max_depth), np.nan), origin="lower",
                                 aspect="auto", cmap=cmap, vmin=0, vmax=0.25,
                                 extent=(0.5, self.max_depth + 0.5, LOG_BINS[0], LOG_BINS[-1]),
                                 interpolation="nearest")
        ax_h.set_yticks(np.arange(-12, 7, 6))
        ax_h.set_yticklabels([f"1e{k}" for k in range(-12, 7, 6)])
        label_axes(ax_h, title="|activations|", xlabel="layer", ylabel="|h| (log scale)")
        layers = np.arange(1, self.max_depth + 1)
        (self.std_line,) = ax_a.plot(layers, np.full(self.max_depth, np.nan),
                                     **dict(series_style(0), markevery=1, markersize=4))
        ax_a.axhline(1.0, color="#777777", linestyle=":", linewidth=1.2)
        (self.grad_line,) = ax_g.plot(layers, np.full(self.max_depth, np.nan),
                                      **dict(series_style(3), markevery=1, markersize=4))
        for ax, title, ylabel in ((ax_a, "std of the activations", "std (log axis)"),
                                  (ax_g, "‖dL/dW‖ of each layer", "gradient norm (log axis)")):
            ax.set_yscale("log")
            ax.set_ylim(*LOG_RANGE)
            ax.set_yticks([1e-12, 1e-6, 1.0, 1e6])
            label_axes(ax, title=title, xlabel="layer", ylabel=ylabel)
        for ax in (ax_h, ax_a, ax_g):
            ax.set_xlim(0.5, self.max_depth + 0.5)
        return [self.image, self.std_line, self.grad_line]

    def compute(self, depth, scheme, activation):
        """:class:`SignalStats` of one network (cached per setting by the base)."""
        return signal_propagation(depth, scheme, activation, width=self.width,
                                  n_samples=self.n_samples, seed=self.seed)

    def update(self, result, depth):
        st = result
        grid = np.full((len(LOG_BINS) - 1, self.max_depth), np.nan)
        grid[:, :depth] = st.hist.T
        grid[:, :depth][:, st.zero_fraction >= 1.0] = np.nan
        self.image.set_data(grid)
        values = np.full(self.max_depth, np.nan)
        values[:depth] = _on_axis(st.act_std)
        self.std_line.set_ydata(values)
        values = np.full(self.max_depth, np.nan)
        values[:depth] = _on_axis(st.grad_norm)
        self.grad_line.set_ydata(values)
        return (f"std of the activations: layer 1 {_fmt(st.act_std[0])}, layer {depth} "
                f"{_fmt(st.act_std[-1])} · gradient norm: layer 1 {_fmt(st.grad_norm[0])}, "
                f"layer {depth} {_fmt(st.grad_norm[-1])}")


def explore_signal_propagation(**values):
    """The signal explorer's widget (controls ``depth``, ``scheme``, ``activation``)."""
    return SignalExplorer().explore(**values)


def snapshot_signal_propagation(depth=20, scheme="he_normal", activation="relu"):
    """The signal explorer's figure for one setting, with its alt text (a static Figure)."""
    return SignalExplorer().snapshot(depth=depth, scheme=scheme, activation=activation)


# --------------------------------------------------------------------------- training


_SHORT = {"zeros": "zeros", "small": "small N(0, 0.01²)", "xavier_uniform": "Xavier uniform",
          "he_uniform": "He uniform"}


def _acc_text(view):
    if view.diverged == len(view.accuracies):
        return "diverged"
    text = f"{view.mean_accuracy:.2f}"
    n = len(view.accuracies)
    return text + (f" ({view.diverged} of {n} diverged)" if view.diverged else "")


class InitTrainingExplorer(Explorer):
    """Training from four starts: the training loss of each scheme (mean over the random
    seeds, moving mean of 5 mini-batches) and the validation accuracy each reached.

    What it draws is :func:`~.training.training_view` of the runs of
    :func:`~.training.train_with_init`, read from the table shipped with the package (every
    setting of the controls; a second of training each otherwise), so every move is instant.
    """

    controls = (
        Choice("activation", "activation", TRAINING_ACTIVATIONS, default="relu"),
        Slider("lr", "learning rate", TRAINING_LRS, default=0.1),
    )
    size = (880, 420)
    alt = ("Left: the training loss at every update of the same 6-layer network started from "
           "zeros, tiny random weights, Xavier and He (mean over 3 random seeds, smoothed over "
           "5 updates), with the guessing loss ln 10 dotted. Right: the validation accuracy "
           "each start reached after 100 updates, as bars, with chance (0.1) dotted.")

    def build(self, fig):
        ax_l, ax_a = fig.subplots(1, 2, width_ratios=(3, 2))
        n = stored_training_view("relu", TRAINING_LRS[0])[TRAINING_SCHEMES[0]].curve.size
        series = {s: {"label": _SHORT[s]} for s in TRAINING_SCHEMES}
        self.loss = Curves(ax_l, np.arange(1, n + 1), series, ylim=(0.0, 4.0),
                           title="which starts learn?", xlabel="update",
                           ylabel="training loss", legend=None)
        guess = ax_l.axhline(math.log(10), color="#777777", linestyle=":", linewidth=1.5,
                             label="ln 10: guessing")
        # under the axes: a diverging run may cross any part of them
        ax_l.legend(handles=[*self.loss.lines.values(), guess], loc="upper center",
                    bbox_to_anchor=(0.5, -0.2), ncols=3, frameon=False)
        xs = np.arange(len(TRAINING_SCHEMES))
        self.bars = ax_a.bar(xs, np.zeros(len(xs)), color=[PALETTE[i] for i in xs],
                             edgecolor="#000000")
        for bar, hatch in zip(self.bars, ("//", "..", "", "xx")):
            bar.set_hatch(hatch)
        self.bar_text = [ax_a.text(x, 0.0, "", ha="center", va="bottom") for x in xs]
        ax_a.set_xticks(xs)
        ax_a.set_xticklabels([_SHORT[s].split(" ")[0] for s in TRAINING_SCHEMES])
        ax_a.axhline(0.1, color="#777777", linestyle=":", linewidth=1.2)
        ax_a.set_ylim(0, 1.15)
        label_axes(ax_a, title="validation accuracy", xlabel="initialization",
                   ylabel=f"mean of {len(TRAINING_SEEDS)} random seeds")
        return [*self.loss.artists, *self.bars, *self.bar_text]

    def compute(self, activation, lr):
        """``{scheme: TrainingView}`` at this activation and rate (from the shipped table)."""
        return stored_training_view(activation, lr)

    def update(self, result):
        parts = []
        for bar, text, scheme in zip(self.bars, self.bar_text, TRAINING_SCHEMES):
            view = result[scheme]
            self.loss.set(scheme, view.curve)
            label = _acc_text(view)
            height = 0.0 if math.isnan(view.mean_accuracy) else view.mean_accuracy
            bar.set_height(height)
            text.set_y(height + 0.02)
            text.set_text(label.split(" ")[0])
            parts.append(f"{SCHEMES[scheme][0]} {label}")
        return "validation accuracy: " + " · ".join(parts)


def explore_init_training(**values):
    """The training explorer's widget (controls ``activation`` and ``lr``)."""
    return InitTrainingExplorer().explore(**values)


def snapshot_init_training(activation="relu", lr=0.1):
    """The training explorer's figure for one setting, with its alt text (a static Figure)."""
    return InitTrainingExplorer().snapshot(activation=activation, lr=lr)
