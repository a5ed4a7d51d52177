"""Lesson 08's live experiment: learning rate and clip threshold on the exploding surface."""
from __future__ import annotations

import numpy as np

from nnlesson.course.lessons.gradient_clipping.surface import (
    MODES,
    RepeatedMultiplication,
    clipped_descent,
    direction_cosines,
)
from nnlesson.viz.explorer import Explorer, Slider, log_ladder
from nnlesson.viz.panels import Curves, PathsOnContours
from nnlesson.viz.plotting import PALETTE

__all__ = ["LR_LADDER", "THRESHOLD_LADDER", "ClippingExplorer", "explore_clipping",
           "snapshot_clipping"]

#: The explorer's learning rates and clip thresholds (1-2-5 per decade: the lesson asks for
#: lr 0.01 and thresholds 0.1, 2 and 100).
LR_LADDER = log_ladder(1e-3, 0.1, "1-2-5")
THRESHOLD_LADDER = log_ladder(0.1, 100.0, "1-2-5")

_LABELS = {"none": "no clipping", "norm": "clip by norm", "value": "clip by value"}
_SERIES = {m: {"label": _LABELS[m]} for m in MODES}


def _ending(path, mode):
    if path.diverged:
        return f"{_LABELS[mode]}: exploded at update {path.diverged_at}"
    text = f"{_LABELS[mode]}: loss {path.values[-1]:.2g}"
    if mode != "none":
        text += f", cosine ≥ {direction_cosines(path).min():.2f}"
    return text


class ClippingExplorer(Explorer):
    """Gradient descent on :class:`RepeatedMultiplication` without clipping, clipped by norm
    and clipped by value, at one learning rate and one threshold.

    Left: the paths on the loss contours (the zero-loss valley dashed, the wall ``w > 1`` to
    the right of the dotted line). Middle: ``||g||`` before clipping at every update, with the
    threshold dotted. Right: the loss at every update. Under the plots: how each run ended and
    the smallest cosine between a gradient and its clipped version.

    Args:
        n_steps: updates per run, >= 1.
    """

    controls = (
        Slider("lr", "learning rate", LR_LADDER, default=0.01),
        Slider("threshold", "clip threshold (norm or value)", THRESHOLD_LADDER, default=2.0),
    )
    size = (880, 440)
    alt = ("Left: contour lines of the loss of a one-unit recurrent network, with the zero-loss "
           "valley dashed and, from the same start, the paths of gradient descent without "
           "clipping, clipped by norm and clipped by value. Middle: the gradient norm before "
           "clipping at every update, on a log axis, with the threshold dotted. Right: the "
           "loss at every update, on a log axis.")

    def __init__(self, n_steps=60):
        super().__init__()
        self.n_steps = int(n_steps)
        self.surface = RepeatedMultiplication()

    def build(self, fig):
        ax_map, ax_norm, ax_loss = fig.subplots(1, 3)
        s = self.surface
        self.map = PathsOnContours(ax_map, {"wall": s}, _SERIES, title="the paths",
                                   levels=np.logspace(-2, 5, 8), xlabel="recurrent weight w",
                                   ylabel="input weight u")
        self.map.draw_scene("wall")
        self.map.minimum.set_visible(False)  # the minimum is a whole valley, drawn below
        w = np.linspace(*s.bounds[0], 200)
        (valley,) = ax_map.plot(w, s.valley(w), color=PALETTE[7], linewidth=1.2,
                                linestyle=(0, (4, 2)), label="zero loss (the valley)")
        ax_map.axvline(1.0, color="#777777", linewidth=1, linestyle=":")
        steps = np.arange(self.n_steps + 1)
        self.norm = Curves(ax_norm, steps[1:], _SERIES, log=True, ylim=(1e-2, 1e8),
                           title="‖g‖ before clipping", xlabel="update",
                           ylabel="gradient norm (log axis)", legend=None)
        self.threshold = ax_norm.axhline(1.0, color="#777777", linewidth=1.2, linestyle=":",
                                         label="threshold")
        self.loss = Curves(ax_loss, steps, _SERIES, log=True, ylim=(1e-6, 1e8),
                           title="the loss", xlabel="update", ylabel="loss (log axis)",
                           legend=None)
        # above the plots, across the figure: inside the paths panel it covered the valley
        fig.legend(handles=[*self.map.lines.values(), valley, self.threshold],
                   loc="outside upper center", ncols=5, frameon=False)
        return self.map.artists + self.norm.artists + self.loss.artists + [self.threshold]

    def compute(self, lr, threshold):
        """``{mode: OptimizerPath}`` for the three modes at this rate and threshold."""
        return {m: clipped_descent(self.surface, lr, m, threshold, self.n_steps) for m in MODES}

    def update(self, result, threshold):
        for mode, path in result.items():
            self.map.set(mode, path.points)
            self.norm.set(mode, path.grad_norms)
            loss = np.asarray(path.values, dtype=float)
            if path.diverged:  # draw the explosion off the top of the plot
                loss = np.append(loss, np.inf)
            self.loss.set(mode, loss)
        self.threshold.set_ydata([threshold, threshold])
        return " · ".join(_ending(result[m], m) for m in MODES)


def explore_clipping(n_steps=60, **values):
    """The clipping explorer's widget (controls ``lr`` and ``threshold``; see
    :class:`ClippingExplorer`)."""
    return ClippingExplorer(n_steps).explore(**values)


def snapshot_clipping(n_steps=60, **values):
    """The clipping explorer's figure for one setting, with its alt text (a static Figure)."""
    return ClippingExplorer(n_steps).snapshot(**values)
