"""Lesson 06, weight decay: an L2 penalty inside Adam against decoupled decay (AdamW).

Three weights whose gradients are pure noise of very different sizes (the end of training looks
like this: the mean gradient is about zero, the mini-batch noise is not). With the L2 term
``lam * w`` added to the gradient, Adam divides the decay by ``sqrt(v_hat)``, the size of each
weight's gradients: the weight with large gradients is barely decayed. AdamW shrinks every
weight by ``(1 - lr * lam)`` per step.

Every update is made by the course's runner (:func:`nnlesson.course.runner.run`, rules
``"adam"`` with ``weight_decay`` and ``"adamw"``), all weights of all runs as one vector.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.course.lessons.adam_and_adamw.bias_correction import (
    BETA1_LADDER,
    BETA2_LADDER,
    EPS,
)
from nnlesson.course.runner import run
from nnlesson.viz.explorer import Explorer, Slider, linear_ladder, log_ladder
from nnlesson.viz.panels import Curves
from nnlesson.viz.plotting import describe, figure, label_axes, readable, series_style

__all__ = [
    "SCALES",
    "DecayComparison",
    "decay_experiment",
    "rule_decay",
    "figure_prediction",
    "WeightDecayExplorer",
    "explore_weight_decay",
    "snapshot_weight_decay",
]

#: The sizes of the three weights' gradient noise.
SCALES = (0.01, 1.0, 100.0)
#: The explorer's learning rates: 1-2-5 per decade from 0.001 to 0.1 (0.02 named).
LR_LADDER = log_ladder(1e-3, 0.1, "1-2-5")
#: The explorer's weight decay: 0 to 2 by 0.05 (0.5 named).
DECAY_LADDER = linear_ladder(0.0, 2.0, 0.05)


@dataclass(frozen=True, eq=False)
class DecayComparison:
    """Weights with pure-noise gradients under Adam + L2 and under AdamW.

    Attributes:
        scales: (k,), the size of each weight's gradient noise.
        t: (n_steps + 1,), steps 0 ... n_steps.
        l2, adamw: (n_steps + 1, k), the weights averaged over the runs, all starting at 1.
        reference: (n_steps + 1,), ``(1 - lr * weight_decay) ** t``: plain exponential decay.
    """

    scales: np.ndarray
    t: np.ndarray
    l2: np.ndarray
    adamw: np.ndarray
    reference: np.ndarray


class _NoisyWeights:
    """``runs`` copies of ``k`` weights as one vector (run-major); the loss is irrelevant (its
    gradient is the noise alone), so ``value`` is the mean weight."""

    def __init__(self, size):
        self.default_start = np.ones(size)

    def value(self, w):
        return np.asarray(w).mean(axis=-1)


@functools.lru_cache(maxsize=256)
def _decay(lr, beta1, beta2, weight_decay, n_steps, scales, runs, seed):
    k = len(scales)
    # the same noise sequence for every weight of a run, scaled: only the size differs
    noise = np.random.default_rng(seed).standard_normal((n_steps, runs, 1))
    grads = (noise * np.array(scales)).reshape(n_steps, runs * k)
    weights = _NoisyWeights(runs * k)
    hyperparameters = {"beta1": beta1, "beta2": beta2, "eps": EPS, "weight_decay": weight_decay}
    out = {}
    for rule in ("adam", "adamw"):
        path = run(weights, rule, lr=lr, hyperparameters=hyperparameters, n_steps=n_steps,
                   batch_grad=lambda w, i: grads[i])
        if path.diverged:  # the weights shrink: this would be a bug
            raise RuntimeError(f"{rule} diverged at update {path.diverged_at}")
        mean_w = path.points.reshape(n_steps + 1, runs, k).mean(axis=1)
        mean_w.flags.writeable = False
        out[rule] = mean_w
    t = np.arange(n_steps + 1)
    reference = (1 - lr * weight_decay) ** t
    scales = np.array(scales)
    for a in (scales, t, reference):
        a.flags.writeable = False
    return DecayComparison(scales=scales, t=t, l2=out["adam"], adamw=out["adamw"],
                           reference=reference)


def decay_experiment(lr=0.02, beta1=0.9, beta2=0.999, weight_decay=0.5, n_steps=200,
                     scales=SCALES, runs=32, seed=0):
    """Weight decay in Adam (L2 term in the gradient) vs AdamW (decoupled), on noise.

    Each weight starts at 1 and its loss gradient is ``scale * z_t`` with ``z_t ~ N(0, 1)``:
    no signal, only noise, the same ``z_t`` for every weight of a run. Then, per step ``t``::

        Adam + L2:  g = scale * z_t + lam * w;   w = w - lr * m_hat / (sqrt(v_hat) + eps)
        AdamW:      w = w * (1 - lr * lam);       then the Adam step with g = scale * z_t

    (``lam`` is ``weight_decay``; rules ``"adam"`` and ``"adamw"`` of the course's runner).
    Adam's step does not change when every gradient is multiplied by the same number, so under
    AdamW the weights move identically whatever their scale (up to ``eps``), and on average
    they decay like ``(1 - lr * lam) ** t``. Under Adam + L2 the decay term ``lam * w`` is
    divided by ``sqrt(v_hat)`` ~ scale: large-gradient weights barely decay, small-gradient
    ones are pulled to zero fast.

    Args:
        lr: > 0. beta1, beta2: in [0, 1). weight_decay: lam >= 0.
        n_steps: in [1, 10000]. scales: the noise sizes, finite numbers > 0.
        runs: independent noise sequences averaged, in [1, 10000]. seed: the noise's random
            seed, an integer >= 0.

    Returns:
        :class:`DecayComparison` (cached: its arrays are read-only).
    """
    lr = check_number("lr", lr, low=0, low_open=True)
    beta1 = check_number("beta1", beta1, low=0, high=1, high_open=True)
    beta2 = check_number("beta2", beta2, low=0, high=1, high_open=True)
    weight_decay = check_number("weight_decay", weight_decay, low=0)
    n_steps = check_int("n_steps", n_steps, low=1, high=10000)
    scales = tuple(check_number("scales", s, low=0, low_open=True) for s in scales)
    if not scales:
        raise ValueError("scales must hold at least one noise size, got ()")
    runs = check_int("runs", runs, low=1, high=10000)
    seed = check_int("seed", seed, low=0)
    return _decay(lr, beta1, beta2, weight_decay, n_steps, scales, runs, seed)


def rule_decay(update, rule="adamw", *, lr=0.02, weight_decay=0.5, n_steps=200,
               scales=SCALES, seed=0, **hyperparameters):
    """An exercise's update function on the weights of :func:`decay_experiment` (one noise
    sequence): ``update(w, g, m, v, t, lr=..., weight_decay=..., **hyperparameters) -> (w, m,
    v)`` with the interface of the library's rule ``rule``, run by the course's runner.

    Returns:
        array (n_steps + 1, len(scales)): the weights after each step, all starting at 1.
    """
    scales = tuple(check_number("scales", s, low=0, low_open=True) for s in scales)
    n_steps = check_int("n_steps", n_steps, low=1, high=10000)
    noise = np.random.default_rng(check_int("seed", seed, low=0)).standard_normal(n_steps)
    grads = noise[:, None] * np.array(scales)
    path = run(_NoisyWeights(len(scales)), rule, update=update, lr=lr,
               hyperparameters={"weight_decay": weight_decay, **hyperparameters},
               n_steps=n_steps, batch_grad=lambda w, i: grads[i])
    return path.points


def figure_prediction(decay, predicted, *, label="your formula"):
    """The measured mean weights of a :class:`DecayComparison` under Adam + L2 (solid) against
    predicted ones (dashed), one colour per gradient size."""
    predicted = np.asarray(predicted, dtype=np.float64)
    if predicted.shape != decay.l2.shape:
        raise ValueError(f"predicted must have the shape of the measured weights "
                         f"{decay.l2.shape}, got {predicted.shape}")
    fig, ax = figure((680, 380))
    for k, scale in enumerate(decay.scales):
        style = series_style(k)
        ax.plot(decay.t, decay.l2[:, k], color=style["color"], marker=style["marker"],
                markevery=0.1, markersize=5, linewidth=1.8,
                label=f"noise × {scale:g}, measured")
        ax.plot(decay.t, predicted[:, k], color=style["color"], linestyle="--", linewidth=1.5,
                label=f"noise × {scale:g}, {label}")
    ax.set_xlim(0, decay.t[-1])
    ax.set_ylim(-0.05, 1.1)
    label_axes(ax, title="Adam + L2: measured against predicted", xlabel="step t",
               ylabel="weight (mean of the runs)")
    fig.legend(loc="outside right upper", frameon=False)
    readable(fig)
    scales = ", ".join(f"{s:g}" for s in decay.scales)
    return describe(fig, f"The mean weight under Adam + L2 against the step for gradient noise "
                         f"of size {scales}, measured (solid lines with markers) and predicted "
                         f"by {label} (dashed lines of the same colours).")


# --------------------------------------------------------------------------- the explorer


def _series():
    # staggered markers: where the curves coincide (AdamW), all three stay visible
    series = {i: {"label": f"gradient noise × {s:g}", "markevery": (0.033 * i, 0.1)}
              for i, s in enumerate(SCALES)}
    series["reference"] = {"label": "(1 − lr·λ)^t", "color": "#555555", "linestyle": ":",
                           "marker": "", "linewidth": 1.2}
    return series


class WeightDecayExplorer(Explorer):
    """Adam + L2 (left) and AdamW (right): the mean weight over the steps, per gradient size.

    Args:
        n_steps: steps of each run, in [1, 10000]. runs: noise sequences averaged.
    """

    controls = (
        Slider("lr", "learning rate", LR_LADDER, default=0.02),
        Slider("weight_decay", "weight decay λ", DECAY_LADDER, default=0.5),
        Slider("beta1", "β1 (first moment)", BETA1_LADDER, default=0.9),
        Slider("beta2", "β2 (second moment)", BETA2_LADDER, default=0.999),
    )
    size = (880, 420)
    columns = 2
    precompute = ("lr", "weight_decay", "beta1", "beta2")  # about 20 ms per setting
    alt = ("Two panels of the mean weight against the step, for three weights that start at 1 "
           "and whose gradients are noise of size 0.01, 1 and 100, with the curve "
           "(1 − lr·λ)^t dotted. Left: Adam with an L2 penalty in the gradient. Right: AdamW, "
           "decoupled weight decay.")

    def __init__(self, n_steps=200, runs=32):
        super().__init__()
        self.n_steps = check_int("n_steps", n_steps, low=1, high=10000)
        self.runs = check_int("runs", runs, low=1, high=10000)

    def build(self, fig):
        ax_l2, ax_w = fig.subplots(1, 2, sharey=True)
        t = np.arange(self.n_steps + 1)
        common = dict(xlabel="step t", ylim=(-0.05, 1.1), legend=None)
        self.l2 = Curves(ax_l2, t, _series(), title="Adam + L2 (decay in the gradient)",
                         ylabel="weight (mean of the runs)", **common)
        self.adamw = Curves(ax_w, t, _series(), title="AdamW (decoupled decay)", ylabel="",
                            **common)
        # no corner of either panel stays empty for every setting: the key sits above them
        fig.legend(handles=list(self.l2.lines.values()), loc="outside upper center", ncols=4,
                   frameon=False)
        return self.l2.artists + self.adamw.artists

    def compute(self, lr, weight_decay, beta1, beta2):
        """The :class:`DecayComparison` for this setting (values checked by the base)."""
        return _decay(lr, beta1, beta2, weight_decay, self.n_steps, SCALES, self.runs, 0)

    def update(self, result):
        for panel, mean_w in ((self.l2, result.l2), (self.adamw, result.adamw)):
            for i in range(len(SCALES)):
                panel.set(i, mean_w[:, i])
            panel.set("reference", result.reference)

        def ends(mean_w):
            return ", ".join(f"{w:.2f}" for w in np.round(mean_w[-1], 2) + 0.0)

        return (f"After {self.n_steps} steps: Adam + L2 {ends(result.l2)} · AdamW "
                f"{ends(result.adamw)} · (1 − lr·λ)^{self.n_steps} = {result.reference[-1]:.3f}")


def explore_weight_decay(n_steps=200, runs=32, **values):
    """The weight-decay explorer's widget (controls ``lr``, ``weight_decay``, ``beta1``,
    ``beta2``; see :class:`WeightDecayExplorer`)."""
    return WeightDecayExplorer(n_steps, runs).explore(**values)


def snapshot_weight_decay(n_steps=200, runs=32, **values):
    """The weight-decay explorer's figure for one setting, with its alt text."""
    return WeightDecayExplorer(n_steps, runs).snapshot(**values)
