"""Lesson 06, Adam and AdamW: the experiments (compute, draw, widget).

* **Bias correction in the first steps.** For a constant gradient, the moments ``m`` and ``v``
  start far too small (``m_1 = (1 - beta1) g``, ``v_1 = (1 - beta2) g^2``), but the step divides
  one by the square root of the other, so without correction the first step is
  ``lr (1 - beta1) / sqrt(1 - beta2)``: about 3.16 lr with the default betas, *larger* than
  ``lr``, and it keeps growing for a dozen steps. It is smaller than ``lr`` only when
  ``1 - beta1 < sqrt(1 - beta2)``. Next to it, the paths of Adam with and without correction on
  Beale's function. :func:`first_steps`, :func:`bias_correction_paths`,
  :class:`BiasCorrectionExplorer`, :func:`explore_bias_correction`,
  :func:`snapshot_bias_correction`.
* **L2 inside Adam vs decoupled weight decay (AdamW).** Three weights whose gradients are pure
  noise of very different sizes (the end of training looks like this: the mean gradient is
  about zero, the mini-batch noise is not). With the L2 term ``lam * w`` added to the gradient,
  Adam divides the decay by ``sqrt(v_hat)``, the size of each weight's gradient: the weight with
  large gradients is barely decayed. AdamW shrinks every weight by ``(1 - lr * lam)`` per step.
  :func:`decay_experiment`, :class:`WeightDecayExplorer`, :func:`explore_weight_decay`,
  :func:`snapshot_weight_decay`.
* **Real data.** A small network on the digits trained with SGD, SGD with momentum and Adam at
  several learning rates. :func:`digits_comparison`.

Every update is made by the library (:func:`nnlesson.optim.adam_update`,
:class:`~nnlesson.optim.Adam`): PyTorch's conventions, step counter from 1, ``eps`` outside the
square root, AdamW's decay multiplied by ``lr``.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_int, check_number
from nnlesson.course.surfaces import SURFACES, OptimizerPath, loss_grid
from nnlesson.optim import Adam, adam_update
from nnlesson.viz.plotting import Backdrop

__all__ = [
    "EPS",
    "FirstSteps",
    "first_steps",
    "bias_correction_paths",
    "BiasCorrectionExplorer",
    "explore_bias_correction",
    "snapshot_bias_correction",
    "DecayComparison",
    "decay_experiment",
    "WeightDecayExplorer",
    "explore_weight_decay",
    "snapshot_weight_decay",
    "DigitsComparison",
    "digits_comparison",
]

#: Adam's epsilon throughout (PyTorch's default).
EPS = 1e-8


def _check_lr(lr):
    return check_number("lr", lr, low=0, low_open=True)


def _check_beta(name, beta):
    return check_number(name, beta, low=0, high=1, high_open=True)


# --------------------------------------------------------------------------- first steps


@dataclass(frozen=True, eq=False)
class FirstSteps:
    """Adam on one weight whose gradient is ``g`` at every step, with and without correction.

    Attributes (arrays of shape (n_steps,); index t - 1 holds step t):
        t: the step numbers 1 ... n_steps.
        m, v: the moments after step t (the same with or without correction: the correction
            changes the step, not the stored moments).
        step_corrected, step_uncorrected: ``|w_t - w_{t-1}|`` of the two runs.
        lr, g: the learning rate and the gradient used.
    """

    t: np.ndarray
    m: np.ndarray
    v: np.ndarray
    step_corrected: np.ndarray
    step_uncorrected: np.ndarray
    lr: float
    g: float

    @property
    def peak(self):
        """``(t, step / lr)`` of the largest uncorrected step."""
        k = int(np.argmax(self.step_uncorrected))
        return int(self.t[k]), float(self.step_uncorrected[k] / self.lr)


@functools.lru_cache(maxsize=256)
def _first_steps(n_steps, lr, beta1, beta2, g):
    grad = np.array([g])
    m_hist, v_hist, steps = np.empty(n_steps), np.empty(n_steps), {}
    for bias_correction in (True, False):
        w, m, v = np.zeros(1), np.zeros(1), np.zeros(1)
        out = np.empty(n_steps)
        for t in range(1, n_steps + 1):
            w_new, m, v, _ = adam_update(w, grad, m, v, t, lr=lr, beta1=beta1, beta2=beta2,
                                         eps=EPS, bias_correction=bias_correction)
            out[t - 1] = abs(w_new[0] - w[0])
            m_hist[t - 1], v_hist[t - 1] = m[0], v[0]
            w = w_new
        steps[bias_correction] = out
    arrays = (np.arange(1, n_steps + 1), m_hist, v_hist, steps[True], steps[False])
    for a in arrays:
        a.flags.writeable = False
    return FirstSteps(*arrays, lr=lr, g=g)


def first_steps(n_steps=60, lr=1e-3, beta1=0.9, beta2=0.999, g=1.0):
    """Measure Adam's first steps for a constant gradient, with and without bias correction.

    Equations (constant gradient ``g``, moments starting at 0, ``t`` from 1)::

        m_t = (1 - beta1^t) g              v_t = (1 - beta2^t) g^2
        with correction:     step_t = lr * m_hat / (sqrt(v_hat) + eps)  ~ lr
        without correction:  step_t = lr * m_t / (sqrt(v_t) + eps)
                                    ~ lr (1 - beta1^t) / sqrt(1 - beta2^t)

    The numbers returned are measured from :func:`nnlesson.optim.adam_update`, not computed
    from these formulas (the tests compare the two).

    Args:
        n_steps: number of steps, in [1, 100000].
        lr: learning rate > 0. beta1, beta2: in [0, 1). g: the gradient, a finite number.

    Returns:
        :class:`FirstSteps` (cached: its arrays are read-only).
    """
    n_steps = check_int("n_steps", n_steps, low=1, high=100000)
    lr = _check_lr(lr)
    beta1 = _check_beta("beta1", beta1)
    beta2 = _check_beta("beta2", beta2)
    g = check_number("g", g)
    return _first_steps(n_steps, lr, beta1, beta2, g)


_MAX_NORM = 1e6  # as optimizer_path: a path farther than this from the origin has diverged


def _path(surface, lr, beta1, beta2, n_steps, bias_correction):
    # the loop of optimizer_path, with the rule called directly: half the cost per step,
    # which keeps the widget's redraw fast
    w = np.array(surface.default_start, dtype=np.float64)
    m, v = np.zeros(2), np.zeros(2)
    points = [w.copy()]
    diverged_at = None
    for t in range(1, n_steps + 1):
        adam_update(w, surface.grad(w), m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=EPS,
                    bias_correction=bias_correction, inplace=True)
        if not abs(w[0]) + abs(w[1]) <= _MAX_NORM:  # also catches NaN
            diverged_at = t
            break
        points.append(w.copy())
    points = np.array(points)
    return OptimizerPath(points=points, values=surface.value(points), diverged_at=diverged_at)


@functools.lru_cache(maxsize=256)
def _paths(surface, lr, beta1, beta2, n_steps):
    return {bc: _path(surface, lr, beta1, beta2, n_steps, bc) for bc in (True, False)}


def bias_correction_paths(surface="beale", lr=0.1, beta1=0.9, beta2=0.999, n_steps=100):
    """Adam's path on ``surface`` from its default start, with and without bias correction.

    Each step is one in-place call of :func:`nnlesson.optim.adam_update` with the surface's
    gradient (``eps`` = :data:`EPS`); a run that leaves ``|x| + |y| <= 1e6`` or becomes NaN
    stops as diverged, as in :func:`nnlesson.course.surfaces.optimizer_path`.

    Args:
        surface: a name of :data:`nnlesson.course.surfaces.SURFACES` or a Surface.
        lr, beta1, beta2: as :class:`nnlesson.optim.Adam` (``eps`` = :data:`EPS`).
        n_steps: number of steps, in [1, 10000].

    Returns:
        ``{True: OptimizerPath, False: OptimizerPath}`` keyed by ``bias_correction`` (cached).
    """
    if isinstance(surface, str):
        if surface not in SURFACES:
            raise ValueError(f"surface must be one of {', '.join(SURFACES)}, got {surface!r}")
        surface = SURFACES[surface]
    lr = _check_lr(lr)
    beta1 = _check_beta("beta1", beta1)
    beta2 = _check_beta("beta2", beta2)
    n_steps = check_int("n_steps", n_steps, low=1, high=10000)
    return _paths(surface, lr, beta1, beta2, n_steps)


def _path_status(path):
    if path.diverged:
        return f"diverged (step {path.diverged_at})"
    return f"loss {path.values[-1]:.1e}"


class BiasCorrectionExplorer:
    """Adam's first steps and its path on Beale, with and without bias correction.

    Left (log scale, constant gradient g = 1): ``m_t``, ``sqrt(v_t)`` and the uncorrected
    step divided by ``lr`` (they start tiny, tiny and *large*), and the corrected step / lr
    (always about 1). Right: the two paths on Beale's function (80 steps). With ``bake=True``
    (the widget) the unchanging parts are painted once
    (:class:`~nnlesson.viz.plotting.Backdrop`).
    """

    SURFACE = "beale"

    def __init__(self, n_first=60, n_steps=80, bake=True, lr=0.1, beta1=0.9, beta2=0.999):
        import matplotlib.ticker as mticker

        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.n_first = check_int("n_first", n_first, low=2, high=10000)
        self.n_steps = check_int("n_steps", n_steps, low=1, high=10000)
        fig, (ax_m, ax_path) = new_figure(2, 1, width=11.0, height=4.4)
        self.figure, self.axes = fig, (ax_m, ax_path)
        self.lines = {}
        names = ("m_t (stored)", "√v_t (stored)", "step ÷ lr, no correction",
                 "step ÷ lr, with correction")
        for i, name in enumerate(names):
            style = dict(series_style(i), markevery=0.1, markersize=5, linewidth=1.5)
            self.lines[name], = ax_m.plot([], [], label=name, **style)
        ax_m.axhline(1.0, color="#555555", linewidth=0.8, linestyle=":")
        ax_m.set_xscale("log")
        ax_m.set_yscale("log")
        ax_m.set_xlim(1, self.n_first)
        ax_m.set_ylim(1e-3, 300)
        ax_m.yaxis.set_major_locator(mticker.FixedLocator([1e-3, 1e-2, 0.1, 1, 10, 100]))
        ax_m.yaxis.set_major_formatter(mticker.FixedFormatter(["0.001", "0.01", "0.1", "1",
                                                               "10", "100"]))
        ax_m.yaxis.set_minor_locator(mticker.NullLocator())
        ax_m.xaxis.set_major_formatter(mticker.FormatStrFormatter("%d"))
        ax_m.legend(loc="lower right", fontsize=8, framealpha=0.9)
        self.first_text = ax_m.text(0.02, 0.97, "", transform=ax_m.transAxes, fontsize=9,
                                    va="top", ha="left",
                                    bbox={"facecolor": "white", "alpha": 0.85, "linewidth": 0})
        label_axes(ax_m, title="gradient g = 1 at every step: m and √v start tiny, their "
                               "ratio does not",
                   xlabel="step t (log)", ylabel="value (log)")

        surf = SURFACES[self.SURFACE]
        X, Y, Z = loss_grid(surf, n=120)
        ax_path.contour(X, Y, Z, levels=np.logspace(-1, 3.5, 14), colors="#aaaaaa",
                        linewidths=0.7)
        ax_path.plot(*surf.minimum, marker="*", markersize=14, color=PALETTE[7],
                     linestyle="none")
        ax_path.plot(*surf.default_start, marker="o", markersize=7, color=PALETTE[7],
                     linestyle="none", fillstyle="none")
        self.path_lines = {}
        for bc, i in ((True, 3), (False, 2)):
            style = dict(series_style(i), markevery=0.1, markersize=5, linewidth=1.4)
            label = "with bias correction" if bc else "without bias correction"
            self.path_lines[bc], = ax_path.plot([], [], label=label, **style)
        (x0, x1), (y0, y1) = surf.bounds
        ax_path.set_xlim(x0, x1)
        ax_path.set_ylim(y0, y1)
        ax_path.legend(loc="upper right", fontsize=8, framealpha=0.9)
        self.status = ax_path.text(0.02, 0.03, "", transform=ax_path.transAxes, fontsize=8,
                                   va="bottom", ha="left",
                                   bbox={"facecolor": "white", "alpha": 0.85, "linewidth": 0})
        label_axes(ax_path, title="Adam on Beale's function: where do the first steps go?",
                   xlabel="weight x", ylabel="weight y")
        self.backdrop = None
        self.update(lr, beta1, beta2)
        freeze_layout(fig)
        if bake:
            self.backdrop = Backdrop(fig, [*self.lines.values(), self.first_text,
                                           *self.path_lines.values(), self.status])
            self.update(lr, beta1, beta2)

    def compute(self, lr=0.1, beta1=0.9, beta2=0.999):
        """``(FirstSteps, {bias_correction: OptimizerPath})`` for these knobs (pure, cached)."""
        return (first_steps(self.n_first, lr, beta1, beta2),
                bias_correction_paths(self.SURFACE, lr, beta1, beta2, self.n_steps))

    def update(self, lr=0.1, beta1=0.9, beta2=0.999):
        fs, paths = self.compute(lr, beta1, beta2)
        self.first, self.paths = fs, paths
        values = (fs.m / fs.g, np.sqrt(fs.v) / abs(fs.g), fs.step_uncorrected / lr,
                  fs.step_corrected / lr)
        for line, y in zip(self.lines.values(), values):
            line.set_data(fs.t, y)
        t_peak, peak = fs.peak
        # dynamic text is the costliest thing to redraw: keep it short
        first = fs.step_uncorrected[0] / lr
        self.first_text.set_text(f"no correction: step 1 = {first:.2f} lr, "
                                 f"max {peak:.2f} lr (t = {t_peak})")
        for bc, line in self.path_lines.items():
            line.set_data(paths[bc].points[:, 0], paths[bc].points[:, 1])
        self.status.set_text(f"with: {_path_status(paths[True])}, "
                             f"without: {_path_status(paths[False])}")


def explore_bias_correction(lr=0.1, beta1=0.9, beta2=0.999):
    """The widget: ``lr`` on a log slider, ``beta1`` and ``beta2``."""
    from nnlesson.viz.widgets import beta_slider, float_slider, interactive_plot, lr_slider

    drawing = BiasCorrectionExplorer(lr=lr, beta1=beta1, beta2=beta2)
    return interactive_plot(
        drawing.figure, drawing.update,
        lr=lr_slider(lr, min_exp=-3, max_exp=0),
        beta1=beta_slider(beta1, min=0.0, max=0.99, step=0.01, description="β1 (first moment)"),
        beta2=float_slider(beta2, min=0.9, max=0.9999, step=0.0001,
                           description="β2 (second moment)", readout_format=".4f"),
    )


def snapshot_bias_correction(lr=0.1, beta1=0.9, beta2=0.999):
    """The explorer's figure for one setting of the knobs (a static Figure)."""
    return BiasCorrectionExplorer(bake=False, lr=lr, beta1=beta1, beta2=beta2).figure


# --------------------------------------------------------------------------- weight decay


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


@functools.lru_cache(maxsize=256)
def _decay(lr, beta1, beta2, weight_decay, n_steps, scales, runs, seed):
    noise = np.random.default_rng(seed).standard_normal((n_steps, runs, 1))
    scales_arr = np.array(scales)
    out = {}
    for decoupled in (False, True):
        w = np.ones((runs, len(scales)))
        m, v = np.zeros_like(w), np.zeros_like(w)
        mean_w = np.empty((n_steps + 1, len(scales)))
        mean_w[0] = 1.0
        for t in range(1, n_steps + 1):
            # the same noise sequence for every weight, scaled: only the size differs
            adam_update(w, noise[t - 1] * scales_arr, m, v, t, lr=lr, beta1=beta1, beta2=beta2,
                        eps=EPS, weight_decay=weight_decay, decoupled_weight_decay=decoupled,
                        inplace=True)
            mean_w[t] = w.mean(axis=0)
        mean_w.flags.writeable = False
        out[decoupled] = mean_w
    t = np.arange(n_steps + 1)
    reference = (1 - lr * weight_decay) ** t
    for a in (scales_arr, t, reference):
        a.flags.writeable = False
    return DecayComparison(scales=scales_arr, t=t, l2=out[False], adamw=out[True],
                           reference=reference)


def decay_experiment(lr=0.02, beta1=0.9, beta2=0.999, weight_decay=0.5, n_steps=200,
                     scales=(0.01, 1.0, 100.0), runs=32, seed=0):
    """Weight decay in Adam (L2 term in the gradient) vs AdamW (decoupled), on noise.

    Each weight starts at 1 and its loss gradient is ``scale * z_t`` with ``z_t ~ N(0, 1)``:
    no signal, only noise, the same ``z_t`` for every weight. Then, per step ``t``::

        Adam + L2:  g = scale * z_t + lam * w;   w = w - lr * m_hat / (sqrt(v_hat) + eps)
        AdamW:      w = w * (1 - lr * lam);       then the Adam step with g = scale * z_t

    (``lam`` is ``weight_decay``; both through :func:`nnlesson.optim.adam_update`). Adam's step
    does not change when every gradient is multiplied by the same number, so under AdamW the
    weights move identically whatever their scale (up to ``eps``), and on average they decay like
    ``(1 - lr * lam) ** t``. Under Adam + L2 the decay term ``lam * w`` is divided by
    ``sqrt(v_hat)`` ~ scale: large-gradient weights barely decay, small-gradient ones are pulled
    to zero fast.

    Args:
        lr: > 0. beta1, beta2: in [0, 1). weight_decay: lam >= 0.
        n_steps: in [1, 10000]. scales: the noise sizes, finite numbers > 0.
        runs: independent noise sequences averaged, in [1, 10000]. seed: the noise's seed.

    Returns:
        :class:`DecayComparison` (cached: its arrays are read-only).
    """
    lr = _check_lr(lr)
    beta1 = _check_beta("beta1", beta1)
    beta2 = _check_beta("beta2", beta2)
    weight_decay = check_number("weight_decay", weight_decay, low=0)
    n_steps = check_int("n_steps", n_steps, low=1, high=10000)
    scales = tuple(check_number("scales", s, low=0, low_open=True) for s in scales)
    if not scales:
        raise ValueError("scales must hold at least one noise size, got ()")
    runs = check_int("runs", runs, low=1, high=10000)
    seed = check_int("seed", seed, low=0)
    return _decay(lr, beta1, beta2, weight_decay, n_steps, scales, runs, seed)


class WeightDecayExplorer:
    """Adam + L2 (left) and AdamW (right): the mean weight over the steps, per gradient size."""

    def __init__(self, n_steps=200, runs=32, bake=True, lr=0.02, beta1=0.9, beta2=0.999,
                 weight_decay=0.5):
        from nnlesson.viz.plotting import freeze_layout, label_axes, new_figure, series_style

        self.n_steps = check_int("n_steps", n_steps, low=1, high=10000)
        self.runs = check_int("runs", runs, low=1, high=10000)
        fig, axes = new_figure(2, 1, width=11.0, height=4.2)
        self.figure, self.axes = fig, tuple(axes)
        self.lines = {False: [], True: []}
        self.refs = {}
        titles = {False: "Adam + L2 (decay in the gradient): large gradients, little decay",
                  True: "AdamW (decoupled): the three curves coincide"}
        t = np.arange(self.n_steps + 1)
        for ax, decoupled in zip(axes, (False, True)):
            for i, scale in enumerate((0.01, 1.0, 100.0)):
                # staggered markers: where the curves coincide, all three stay visible
                style = dict(series_style(i), markevery=(0.033 * i, 0.1), markersize=5,
                             linewidth=1.5)
                line, = ax.plot(t, np.ones_like(t, dtype=float),
                                label=f"gradient noise × {scale:g}", **style)
                self.lines[decoupled].append(line)
            self.refs[decoupled], = ax.plot(t, np.ones_like(t, dtype=float), color="#555555",
                                            linewidth=1.0, linestyle=":",
                                            label="(1 − lr·λ)^t")
            ax.set_xlim(0, self.n_steps)
            ax.set_ylim(-0.05, 1.1)
            ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
            label_axes(ax, title=titles[decoupled], xlabel="step t",
                       ylabel="weight (mean of the runs)")
        self.backdrop = None
        self.update(lr, beta1, beta2, weight_decay)
        freeze_layout(fig)
        if bake:
            dynamic = [*self.lines[False], *self.lines[True], *self.refs.values()]
            self.backdrop = Backdrop(fig, dynamic)
            self.update(lr, beta1, beta2, weight_decay)

    def compute(self, lr=0.02, beta1=0.9, beta2=0.999, weight_decay=0.5):
        """The :class:`DecayComparison` for these knobs (pure, cached)."""
        return decay_experiment(lr, beta1, beta2, weight_decay, self.n_steps, runs=self.runs)

    def update(self, lr=0.02, beta1=0.9, beta2=0.999, weight_decay=0.5):
        result = self.compute(lr, beta1, beta2, weight_decay)
        self.result = result
        for decoupled, mean_w in ((False, result.l2), (True, result.adamw)):
            for k, line in enumerate(self.lines[decoupled]):
                line.set_ydata(mean_w[:, k])
            self.refs[decoupled].set_ydata(result.reference)


def explore_weight_decay(lr=0.02, beta1=0.9, beta2=0.999, weight_decay=0.5):
    """The widget: ``lr`` on a log slider, ``beta1``, ``beta2`` and the weight decay ``λ``."""
    from nnlesson.viz.widgets import beta_slider, float_slider, interactive_plot, lr_slider

    drawing = WeightDecayExplorer(lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay)
    return interactive_plot(
        drawing.figure, drawing.update,
        lr=lr_slider(lr, min_exp=-3, max_exp=-1),
        beta1=beta_slider(beta1, min=0.0, max=0.99, step=0.01, description="β1 (first moment)"),
        beta2=float_slider(beta2, min=0.9, max=0.9999, step=0.0001,
                           description="β2 (second moment)", readout_format=".4f"),
        weight_decay=float_slider(weight_decay, min=0.0, max=2.0, step=0.05,
                                  description="weight decay λ"),
    )


def snapshot_weight_decay(lr=0.02, beta1=0.9, beta2=0.999, weight_decay=0.5):
    """The explorer's figure for one setting of the knobs (a static Figure)."""
    return WeightDecayExplorer(bake=False, lr=lr, beta1=beta1, beta2=beta2,
                               weight_decay=weight_decay).figure


# --------------------------------------------------------------------------- real data: digits


@dataclass(frozen=True, eq=False)
class DigitsComparison:
    """Validation accuracies of :func:`digits_comparison`.

    Attributes:
        lrs: the learning rates tried; epochs: the training budget.
        accuracy: ``{method: array (len(lrs),)}``, validation accuracy after training (NaN
            if the run diverged), for ``"SGD"``, ``"SGD + momentum 0.9"`` and ``"Adam"``.
    """

    lrs: tuple
    epochs: int
    accuracy: dict

    def best(self, method):
        """``(accuracy, lr)`` of the best learning rate of one method."""
        acc = self.accuracy[method]
        if np.all(np.isnan(acc)):
            return float("nan"), None
        k = int(np.nanargmax(acc))
        return float(acc[k]), self.lrs[k]

    def good_range(self, method, within=0.02):
        """The learning rates whose accuracy is within ``within`` of the method's best."""
        best = self.best(method)[0]
        return tuple(lr for lr, a in zip(self.lrs, self.accuracy[method]) if a >= best - within)

    def table(self):
        """Rows: methods; columns: learning rates (accuracies to 2 decimals)."""
        head = "method".ljust(20) + "".join(f"{lr:>8g}" for lr in self.lrs)
        lines = [head]
        for method, acc in self.accuracy.items():
            lines.append(method.ljust(20)
                         + "".join("     div" if np.isnan(a) else f"{a:8.2f}" for a in acc))
        return "\n".join(lines)


def digits_comparison(lrs=(1e-3, 1e-2, 1e-1, 1.0), epochs=5, seed=0, batch_size=64):
    """Train ``mlp([64, 32, 10])`` on the digits with SGD, SGD + momentum and Adam.

    The digits are split 70/30 (stratified) and standardized with the training part's
    statistics; each run uses :func:`nnlesson.train.fit` with mini-batches of ``batch_size``
    for ``epochs`` epochs, the same initial weights (``seed``) and the same shuffling, and the
    library's optimizers with PyTorch's defaults apart from ``lr`` (momentum 0.9 for the second).

    Returns:
        :class:`DigitsComparison`.
    """
    from nnlesson.data import train_val_split
    from nnlesson.datasets import load_digits
    from nnlesson.optim import SGD
    from nnlesson.scaling import StandardScaler
    from nnlesson.train import fit, mlp

    lrs = tuple(_check_lr(lr) for lr in lrs)
    epochs = check_int("epochs", epochs, low=1)
    batch_size = check_int("batch_size", batch_size, low=1)
    data = load_digits()
    X_train, X_val, y_train, y_val = train_val_split(data.X, data.y, 0.3, rng=0, stratify=True)
    scaler = StandardScaler().fit(X_train)
    X_train, X_val = scaler.transform(X_train), scaler.transform(X_val)
    makers = {
        "SGD": lambda params, lr: SGD(params, lr=lr),
        "SGD + momentum 0.9": lambda params, lr: SGD(params, lr=lr, momentum=0.9),
        "Adam": lambda params, lr: Adam(params, lr=lr),
    }
    accuracy = {}
    for method, make in makers.items():
        acc = []
        for lr in lrs:
            model = mlp([X_train.shape[1], 32, 10], rng=seed)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # a diverged run is part of the measurement
                hist = fit(model, X_train, y_train, optimizer=make(model.parameters(), lr),
                           epochs=epochs, batch_size=batch_size, rng=seed, X_val=X_val,
                           y_val=y_val)
            ok = hist.diverged_at is None and len(hist.val_acc) == epochs
            acc.append(hist.val_acc[-1] if ok else np.nan)
        accuracy[method] = np.array(acc, dtype=np.float64)
    return DigitsComparison(lrs=lrs, epochs=epochs, accuracy=accuracy)
