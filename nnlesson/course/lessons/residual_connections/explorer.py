"""Lesson 12's live experiment: depth, learning rate and activation, with and without skips."""
from __future__ import annotations

import numpy as np

from nnlesson.course.lessons.residual_connections.networks import (
    DEPTHS,
    LRS,
    STEPS,
    depth_sweep,
)
from nnlesson.viz.explorer import Choice, Explorer, Slider
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import PALETTE, describe, figure, label_axes

__all__ = ["ResidualExplorer", "explore_residual", "snapshot_residual", "figure_depth_sweep"]

LOSS_TOP = 4.0  # top of the loss axes; a diverged run is drawn at the top edge
_SERIES = {False: {"label": "plain: x → F(x)", "color": PALETTE[3], "linestyle": "--",
                   "marker": "s", "linewidth": 2},
           True: {"label": "residual: x → x + F(x)", "color": PALETTE[0], "linestyle": "-",
                  "marker": "o", "linewidth": 2}}
_CROSS = {False: 0.8, True: 0.93}  # height of a diverged run's cross, plain below residual
_GUESS = {"color": "#777777", "linewidth": 1.2, "linestyle": ":"}


def _fmt(loss):
    return "diverged" if not np.isfinite(loss) else f"{loss:.3f}"


class ResidualExplorer(Explorer):
    """The plain and the residual network at one depth, learning rate and activation.

    Left: the gradient norm of every linear layer at initialization (log axis). Middle: the
    training loss per update at this depth and rate. Right: the loss after 30 updates against
    depth at this rate (a diverged run at the top edge, marked ✕). Each activation's trainings
    (40 of them) are one computation; the other activations are computed in the background
    after the first draw.
    """

    controls = (
        Slider("depth", "depth (blocks)", DEPTHS, default=16),
        Slider("lr", "learning rate", LRS, default=0.1),
        Choice("activation", "activation in each block", ["sigmoid", "tanh", "relu"],
               default="sigmoid"),
    )
    size = (880, 420)
    precompute = ("activation",)
    alt = ("Three panels comparing a plain stack of blocks with a residual one. Left: the "
           "gradient norm of every linear layer at initialization, from the input to the "
           "output, on a log axis. Middle: the training loss at each of 30 gradient-descent "
           "updates on 200 digits, with the guessing loss ln 10 dotted. Right: the loss after "
           "30 updates against the number of blocks at this learning rate; a diverged "
           "training is drawn at the top edge with a cross.")

    def build(self, fig):
        ax_g, ax_l, ax_d = fig.subplots(1, 3)
        layers = np.arange(1, 2 * max(DEPTHS) + 3)
        self.grads = Curves(ax_g, layers, {k: dict(v, markevery=1) for k, v in _SERIES.items()},
                            log=True, ylim=(1e-16, 1e6), title="‖∂L/∂W‖ at the start",
                            xlabel="linear layer (1 = input)", ylabel="gradient norm (log)",
                            legend=None)
        ax_g.set_xlim(0.5, layers[-1] + 0.5)
        ax_g.set_yticks([1e-15, 1e-10, 1e-5, 1, 1e5])
        self.loss = Curves(ax_l, np.arange(1, STEPS + 1), _SERIES, ylim=(0, LOSS_TOP),
                           title="training loss", xlabel="update", ylabel="loss", legend=None)
        guess = ax_l.axhline(np.log(10), label="ln 10: guessing", **_GUESS)
        self.finals = Curves(ax_d, DEPTHS, {k: dict(v, markevery=1) for k, v in _SERIES.items()},
                             ylim=(0, LOSS_TOP), title="after 30 updates",
                             xlabel="blocks (✕: diverged)", ylabel="loss", legend=None)
        ax_d.axhline(np.log(10), **_GUESS)
        ax_d.set_xscale("log", base=2)
        ax_d.set_xticks(DEPTHS, [str(d) for d in DEPTHS])
        ax_d.set_xlim(DEPTHS[0] / 1.4, DEPTHS[-1] * 1.4)
        self.crosses = {skip: ax_d.plot([], [], linestyle="none", marker="X", markersize=12,
                                        color=_SERIES[skip]["color"])[0] for skip in (False, True)}
        (self.ring,) = ax_d.plot([], [], linestyle="none", marker="o", markersize=18,
                                 markerfacecolor="none", markeredgecolor=PALETTE[7],
                                 markeredgewidth=2)
        fig.legend(handles=[self.loss.lines[False], self.loss.lines[True], guess],
                   loc="outside upper center", ncols=3, frameon=False)
        return [*self.grads.artists, *self.loss.artists, *self.finals.artists,
                *self.crosses.values(), self.ring]

    def compute(self, activation):
        """Every training of this activation's sweep (cached by :func:`depth_sweep`)."""
        return depth_sweep(activation=activation)

    def update(self, result, depth, lr):
        s = result
        for skip in (False, True):
            self.grads.set(skip, np.clip(s.grad_norms[(depth, skip)], 1e-300, None))
            curve = np.asarray(s.losses[(depth, lr, skip)], dtype=float)
            self.loss.set(skip, np.where(np.isfinite(curve), curve, np.inf))
            finals = np.array([s.final_loss(d, lr, skip) for d in DEPTHS])
            self.finals.set(skip, np.where(np.isfinite(finals), finals, np.nan))
            gone = ~np.isfinite(finals)
            self.crosses[skip].set_data(np.array(DEPTHS)[gone],
                                        np.full(int(gone.sum()), LOSS_TOP * _CROSS[skip]))
        final = s.final_loss(depth, lr, True)
        self.ring.set_data([depth], [min(final, LOSS_TOP * 0.93)])
        return (f"gradient at block 1 / last block: plain {s.ratio(depth, False):.1e}, residual "
                f"{s.ratio(depth, True):.2g} · after {STEPS} updates: plain "
                f"{_fmt(s.final_loss(depth, lr, False))}, residual {_fmt(final)}")


def explore_residual(**values):
    """The residual explorer's widget (controls ``depth``, ``lr``, ``activation``)."""
    return ResidualExplorer().explore(**values)


def snapshot_residual(**values):
    """The residual explorer's figure for one setting, with its alt text (a static Figure)."""
    return ResidualExplorer().snapshot(**values)


def figure_depth_sweep(sweeps):
    """Best final loss (over the learning rates) against depth, for each ``{label:
    SweepResult}`` and both kinds of network; a Figure with alt text."""
    fig, ax = figure((700, 380))
    markers = iter(["o", "s", "^", "D", "v", "P"])
    for label, s in sweeps.items():
        marker = next(markers)
        for skip in (False, True):
            best = [min(s.best(d, skip)[0], 1e6) for d in s.depths]
            style = dict(_SERIES[skip], marker=marker, markersize=7,
                         label=f"{label}, {'residual' if skip else 'plain'}")
            ax.plot(s.depths, best, **style)
    ax.axhline(np.log(10), label="ln 10: guessing", **_GUESS)
    ax.set_xscale("log", base=2)
    depths = sorted({d for s in sweeps.values() for d in s.depths})
    ax.set_xticks(depths, [str(d) for d in depths])
    ax.set_ylim(0, 3.4)
    label_axes(ax, title="best loss after 30 updates", xlabel="blocks (2 linear layers each)",
               ylabel="loss at the best rate")
    ax.legend(loc="upper left", ncols=len(sweeps) + 1, framealpha=0.9)
    names = ", ".join(sweeps)
    return describe(fig, (
        f"The lowest loss after 30 gradient-descent updates over the learning rates, against "
        f"the number of blocks (1 to {depths[-1]}), for the plain and the residual network "
        f"({names} blocks), with the guessing loss ln 10 dotted: the plain network's loss "
        f"rises to the guessing loss as it gets deeper, the residual network's stays low."))
