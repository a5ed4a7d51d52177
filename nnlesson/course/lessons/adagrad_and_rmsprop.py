"""Lesson 05, adaptive step sizes (AdaGrad and RMSProp): the experiments (compute, draw, widget).

* **Paths side by side.** Plain gradient descent, AdaGrad and RMSProp started from the same
  point of a ravine or of Beale's function, with one shared learning rate and RMSProp's decay
  rate ``beta``; next to the paths, each weight's own learning rate ``lr / (sqrt(s) + eps)``
  over the steps. :func:`adaptive_paths`, :class:`AdaptivePathsExplorer`,
  :func:`explore_adaptive_paths`, :func:`snapshot_adaptive_paths`.
* **Step sizes for a constant gradient.** AdaGrad's step shrinks like ``lr / sqrt(t)`` for ever;
  RMSProp's settles at ``lr`` (after a first step ``lr / sqrt(1 - beta)``, since its average
  starts at zero). :func:`constant_gradient_steps`, :func:`figure_step_sizes`.
* **Real data.** A linear softmax classifier on the wine data *without* feature scaling, whose
  features differ in scale by three orders of magnitude: one global learning rate cannot suit
  every weight, a per-weight one can. :func:`wine_comparison`.

Every update is made by the library's rules (:func:`nnlesson.optim.gd_update`,
:func:`~nnlesson.optim.adagrad_update`, :func:`~nnlesson.optim.rmsprop_update`) with
PyTorch's conventions: ``eps`` outside the square root, AdaGrad's accumulator starting at 0,
RMSProp's average starting at 0 with no bias correction, and the decay rate that this course
calls ``beta`` passed as PyTorch's ``alpha``.
"""
from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.surfaces import SURFACES, Surface, loss_grid
from nnlesson.optim import adagrad_update, gd_update, rmsprop_update
from nnlesson.viz.plotting import Backdrop

__all__ = [
    "METHODS",
    "SURFACE_NAMES",
    "ADAGRAD_EPS",
    "RMSPROP_EPS",
    "AdaptiveRun",
    "adaptive_paths",
    "AdaptivePathsExplorer",
    "explore_adaptive_paths",
    "snapshot_adaptive_paths",
    "figure_paths",
    "constant_gradient_steps",
    "figure_step_sizes",
    "WineComparison",
    "wine_comparison",
]

#: The optimizers compared, in the order of the plots.
METHODS = ("SGD", "AdaGrad", "RMSProp")
#: The surfaces of the explorer (keys of :data:`nnlesson.course.surfaces.SURFACES`).
SURFACE_NAMES = ("ravine", "beale")
#: PyTorch's defaults: ``torch.optim.Adagrad(eps=1e-10)``, ``torch.optim.RMSprop(eps=1e-8)``.
ADAGRAD_EPS = 1e-10
RMSPROP_EPS = 1e-8
_MAX_NORM = 1e6  # a path farther than this from the origin has diverged


@dataclass(frozen=True, eq=False)
class AdaptiveRun:
    """One optimizer's run on a surface.

    Attributes:
        method: ``"SGD"``, ``"AdaGrad"`` or ``"RMSProp"``.
        points: (k + 1, 2), the start and ``w`` after each of the k steps taken.
        values: (k + 1,), the loss at each point.
        effective_lr: (k, 2), the learning rate each weight actually got at step t (row t-1):
            ``lr`` for SGD, ``lr / (sqrt(s_t) + eps)`` for AdaGrad and RMSProp, where ``s_t``
            is the accumulator *after* step t's gradient was added (the one the step divides by).
        diverged_at: None, or the step t (1-based) whose result was not finite or had
            ``|x| + |y| > 1e6``; that point is not in ``points``.
    """

    method: str
    points: np.ndarray
    values: np.ndarray
    effective_lr: np.ndarray
    diverged_at: int | None = None

    @property
    def diverged(self):
        return self.diverged_at is not None

    @property
    def final_value(self):
        """The loss at the last point reached."""
        return float(self.values[-1])

    def status(self):
        """A short text: the final loss (below 1e-10 is "< 1e-10"), or where it diverged."""
        if self.diverged:
            return f"diverged (step {self.diverged_at})"
        if self.final_value < 1e-10:
            return "loss < 1e-10"
        return f"loss {self.final_value:.1e}"


def _check_surface(surface):
    if isinstance(surface, str):
        check_choice("surface", surface, SURFACE_NAMES)
        return SURFACES[surface]
    if not isinstance(surface, Surface):
        raise TypeError(f"surface must be one of {', '.join(SURFACE_NAMES)} or a Surface, "
                        f"got {surface!r}")
    return surface


def _run(method, surface, lr, beta, n_steps, start):
    w = start.copy()
    points = np.empty((n_steps + 1, 2))
    points[0] = w
    sums = np.zeros((n_steps, 2))  # the accumulator s_t each step divided by
    state = np.zeros(2)
    diverged_at = None
    k = n_steps
    for t in range(1, n_steps + 1):
        g = surface.grad(w)
        if method == "SGD":
            w = gd_update(w, g, lr=lr)
        elif method == "AdaGrad":
            w, state = adagrad_update(w, g, state, t, lr=lr, eps=ADAGRAD_EPS)
        else:
            w, state, _, _ = rmsprop_update(w, g, state, lr=lr, alpha=beta, eps=RMSPROP_EPS)
        if not abs(w[0]) + abs(w[1]) <= _MAX_NORM:  # also catches NaN
            diverged_at, k = t, t - 1
            break
        points[t] = w
        sums[t - 1] = state
    points, sums = points[: k + 1], sums[:k]
    if method == "SGD":
        eff = np.full((k, 2), lr)
    else:
        eff = lr / (np.sqrt(sums) + (ADAGRAD_EPS if method == "AdaGrad" else RMSPROP_EPS))
    return AdaptiveRun(method=method, points=points, values=surface.value(points),
                       effective_lr=eff, diverged_at=diverged_at)


@functools.lru_cache(maxsize=256)
def _cached_run(method, surface, lr, beta, n_steps, start):
    return _run(method, surface, lr, beta, n_steps, np.array(start, dtype=np.float64))


def adaptive_paths(surface="ravine", lr=0.1, beta=0.9, n_steps=150, start=None):
    """SGD, AdaGrad and RMSProp on ``surface`` from the same start with the same ``lr``.

    Equations (``g`` is the surface's gradient at ``w``; one line per method)::

        SGD:      w = w - lr * g
        AdaGrad:  s = s + g * g;                         w = w - lr * g / (sqrt(s) + eps)
        RMSProp:  s = beta * s + (1 - beta) * g * g;     w = w - lr * g / (sqrt(s) + eps)

    ``s`` starts at zero; ``eps`` is PyTorch's default (:data:`ADAGRAD_EPS`,
    :data:`RMSPROP_EPS`). Each step is one call of the library's rule.

    Args:
        surface: ``"ravine"``, ``"beale"`` or any :class:`~nnlesson.course.surfaces.Surface`.
        lr: learning rate shared by the three methods, > 0.
        beta: RMSProp's decay rate in [0, 1) (PyTorch's ``alpha``).
        n_steps: number of steps, an integer in [1, 10000].
        start: (x, y); the surface's ``default_start`` if None.

    Returns:
        dict ``{method: AdaptiveRun}`` in the order of :data:`METHODS`. Results are cached, so
        treat the arrays as read-only.
    """
    surface = _check_surface(surface)
    lr = check_number("lr", lr, low=0, low_open=True)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    n_steps = check_int("n_steps", n_steps, low=1, high=10000)
    start = check_array("start", surface.default_start if start is None else start, ndim=1,
                        dtype=np.float64)
    if start.shape != (2,):
        raise ValueError(f"start must be a point (x, y) of shape (2,), got shape {start.shape}")
    key = tuple(float(v) for v in start)
    # SGD and AdaGrad do not depend on beta: cache them without it, so a beta slider reruns
    # RMSProp only.
    return {m: _cached_run(m, surface, lr, beta if m == "RMSProp" else 0.0, n_steps, key)
            for m in METHODS}


# --------------------------------------------------------------------------- the explorer

_CONTOUR_LEVELS = {  # log-spaced: the loss spans orders of magnitude
    "ravine": np.logspace(-1, 2.3, 12),
    "beale": np.logspace(-1, 3.5, 14),
}


_LR_YLIM = (1e-4, 1e3)


class AdaptivePathsExplorer:
    """The paths and the per-weight learning rates, built once; :meth:`update` moves artists.

    Left: the contours of the surface, the three paths on top (a large marker where each
    ends) and the outcome of each run.
    Right: ``effective_lr`` of every method and weight over the steps (log scale, clipped to
    1e-4 ... 1e3): colour and marker tell the method (as on the left), a solid line is
    weight x, a dashed line weight y. With ``bake=True`` (the widget) the unchanging parts are
    painted once per surface (:class:`~nnlesson.viz.plotting.Backdrop`); ``bake=False`` keeps an ordinary figure.
    """

    def __init__(self, n_steps=150, bake=True, surface="ravine", lr=0.1, beta=0.9):
        import matplotlib.ticker as mticker

        from nnlesson.viz.plotting import PALETTE, freeze_layout, label_axes, new_figure, series_style

        self.n_steps = check_int("n_steps", n_steps, low=1, high=10000)
        fig, (ax_path, ax_lr) = new_figure(2, 1, width=11.0, height=4.4)
        self.figure, self.axes = fig, (ax_path, ax_lr)
        self._contours, self._marks, self._starts = {}, {}, {}
        for name in SURFACE_NAMES:
            surf = SURFACES[name]
            X, Y, Z = loss_grid(surf, n=120)
            self._contours[name] = ax_path.contour(X, Y, Z, levels=_CONTOUR_LEVELS[name],
                                                   colors="#aaaaaa", linewidths=0.7)
            self._marks[name], = ax_path.plot(*surf.minimum, marker="*", markersize=14,
                                              color=PALETTE[7], linestyle="none")
            self._starts[name], = ax_path.plot(*surf.default_start, marker="o", markersize=7,
                                               color=PALETTE[7], linestyle="none",
                                               fillstyle="none")
        self.path_lines, self.path_ends, self.lr_lines = {}, {}, {}
        for i, method in enumerate(METHODS):
            style = series_style(i)
            style.update(markevery=0.1, markersize=5, linewidth=1.4)
            # a diverging SGD path zig-zags over everything: draw it thin, below the others
            thin = {"linewidth": 0.7, "alpha": 0.6, "zorder": 1.5} if method == "SGD" else {}
            self.path_lines[method], = ax_path.plot([], [], label=method, **dict(style, **thin))
            self.path_ends[method], = ax_path.plot([], [], color=style["color"],
                                                   marker=style["marker"], markersize=10,
                                                   markeredgecolor="black", linestyle="none")
            self.lr_lines[method] = (
                ax_lr.plot([], [], **dict(style, linestyle="-", markevery=0.15))[0],
                ax_lr.plot([], [], **dict(style, linestyle="--", markevery=0.15,
                                          fillstyle="none"))[0],
            )
        ax_path.legend(loc="upper right", fontsize=8, framealpha=0.9)
        for axis in (ax_path.xaxis, ax_path.yaxis):  # the same label width for every surface
            axis.set_major_formatter(mticker.FormatStrFormatter("%.1f"))
        self.status = ax_path.text(0.02, 0.03, "", transform=ax_path.transAxes, fontsize=8,
                                   va="bottom", ha="left", family="monospace",
                                   bbox={"facecolor": "white", "alpha": 0.85, "linewidth": 0})
        label_axes(ax_path, title="which path reaches the minimum ★?", xlabel="weight x",
                   ylabel="weight y")
        ax_lr.set_yscale("log")
        ax_lr.set_ylim(*_LR_YLIM)
        ax_lr.yaxis.set_minor_locator(mticker.NullLocator())
        ax_lr.set_xlim(0, self.n_steps)
        label_axes(ax_lr, title="each weight's learning rate lr/(√s+ε): x solid, y dashed",
                   xlabel="step t", ylabel="effective learning rate (log)")
        self.backdrop = None
        self.update(surface, lr, beta)  # the layout must see real data and labels
        freeze_layout(fig)
        if bake:
            dynamic = [self.status, *self.path_lines.values(), *self.path_ends.values()]
            dynamic += [line for pair in self.lr_lines.values() for line in pair]
            self.backdrop = Backdrop(fig, dynamic, scene=None)
            self.update(surface, lr, beta)

    def _prepare(self, surface):
        """Show the contours, marks and limits of ``surface`` (the static part of a scene)."""
        for name in SURFACE_NAMES:
            for artist in (self._contours[name], self._marks[name], self._starts[name]):
                artist.set_visible(name == surface)
        (x0, x1), (y0, y1) = SURFACES[surface].bounds
        self.axes[0].set_xlim(x0, x1)
        self.axes[0].set_ylim(y0, y1)

    def compute(self, surface="ravine", lr=0.1, beta=0.9):
        """The three runs for these knobs (pure; see :func:`adaptive_paths`)."""
        return adaptive_paths(surface, lr, beta, self.n_steps)

    def update(self, surface="ravine", lr=0.1, beta=0.9):
        runs = self.compute(surface, lr, beta)
        self.runs = runs
        if self.backdrop is not None:
            self.backdrop.show(surface, lambda: self._prepare(surface))
        else:
            self._prepare(surface)
        lines = []
        for method in METHODS:
            run = runs[method]
            self.path_lines[method].set_data(run.points[:, 0], run.points[:, 1])
            self.path_ends[method].set_data(run.points[-1:, 0], run.points[-1:, 1])
            lines.append(f"{method + ':':9s}{run.status()}")
            steps = np.arange(1, len(run.effective_lr) + 1)
            for k, line in enumerate(self.lr_lines[method]):
                line.set_data(steps, run.effective_lr[:, k])
        self.status.set_text("\n".join(lines))


def explore_adaptive_paths(surface="ravine", lr=0.1, beta=0.9, n_steps=150):
    """The widget: a surface dropdown, ``lr`` on a log slider, RMSProp's decay rate ``beta``."""
    from nnlesson.viz.widgets import beta_slider, choice, interactive_plot, lr_slider

    drawing = AdaptivePathsExplorer(n_steps, surface=surface, lr=lr, beta=beta)
    return interactive_plot(
        drawing.figure, drawing.update,
        surface=choice(list(SURFACE_NAMES), surface, description="surface"),
        lr=lr_slider(lr, min_exp=-3, max_exp=0),
        beta=beta_slider(beta, min=0.0, max=0.999, step=0.001,
                         description="RMSProp decay rate β"),
    )


def snapshot_adaptive_paths(surface="ravine", lr=0.1, beta=0.9, n_steps=150):
    """The explorer's figure for one setting of the knobs (a static Figure)."""
    drawing = AdaptivePathsExplorer(n_steps, bake=False, surface=surface, lr=lr, beta=beta)
    drawing.axes[0].set_title(f"{surface}, lr = {lr:g}, β = {beta:g}: which path reaches the "
                              f"minimum ★?", fontsize=10)
    return drawing.figure


def figure_paths(paths, surface="ravine", title="your paths"):
    """Paths given as arrays of points on the contours of ``surface`` (a static Figure).

    Args:
        paths: ``{label: array (k, 2)}``, e.g. the points an exercise's update rule visited.
        surface: ``"ravine"``, ``"beale"`` or a Surface. title: what to look at.
    """
    from nnlesson.viz.plotting import PALETTE, label_axes, new_figure, series_style

    surf = _check_surface(surface)
    name = surf.name if surf.name in _CONTOUR_LEVELS else "beale"
    fig, ax = new_figure(width=6.0, height=4.4)
    X, Y, Z = loss_grid(surf, n=120)
    ax.contour(X, Y, Z, levels=_CONTOUR_LEVELS[name], colors="#aaaaaa", linewidths=0.7)
    if surf.minimum is not None:
        ax.plot(*surf.minimum, marker="*", markersize=14, color=PALETTE[7], linestyle="none")
    for i, (label, points) in enumerate(paths.items()):
        points = check_array(f"paths[{label!r}]", points, ndim=2, dtype=np.float64)
        style = dict(series_style(i), markevery=0.1, markersize=5, linewidth=1.4)
        ax.plot(points[:, 0], points[:, 1], label=label, **style)
    (x0, x1), (y0, y1) = surf.bounds
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.legend(loc="upper right", fontsize=8, framealpha=0.9)
    label_axes(ax, title=title, xlabel="weight x", ylabel="weight y")
    return fig


# --------------------------------------------------------------------------- constant gradient


def constant_gradient_steps(n_steps=1000, lr=0.1, beta=0.9, g=1.0):
    """The size of each step of AdaGrad and RMSProp when the gradient is always ``g``.

    One weight, gradient ``g`` at every step, accumulators starting at 0. The formulas give::

        AdaGrad:  s_t = t g^2,              step_t = lr |g| / (sqrt(t) |g| + eps)  ~ lr / sqrt(t)
        RMSProp:  s_t = (1 - beta^t) g^2,   step_t ~ lr / sqrt(1 - beta^t)  -> lr

    but the numbers returned are measured: ``|w_t - w_{t-1}|`` from the library's rules.

    Returns:
        dict ``{"AdaGrad": (n_steps,), "RMSProp": (n_steps,)}``: step t at index t - 1.
    """
    n_steps = check_int("n_steps", n_steps, low=1, high=100000)
    lr = check_number("lr", lr, low=0, low_open=True)
    beta = check_number("beta", beta, low=0, high=1, high_open=True)
    g = check_number("g", g)
    grad = np.array([g])
    out = {}
    w, s = np.zeros(1), np.zeros(1)
    steps = np.empty(n_steps)
    for t in range(1, n_steps + 1):
        w_new, s = adagrad_update(w, grad, s, t, lr=lr, eps=ADAGRAD_EPS)
        steps[t - 1] = abs(w_new[0] - w[0])
        w = w_new
    out["AdaGrad"] = steps
    w, s = np.zeros(1), np.zeros(1)
    steps = np.empty(n_steps)
    for t in range(1, n_steps + 1):
        w_new, s, _, _ = rmsprop_update(w, grad, s, lr=lr, alpha=beta, eps=RMSPROP_EPS)
        steps[t - 1] = abs(w_new[0] - w[0])
        w = w_new
    out["RMSProp"] = steps
    return out


def figure_step_sizes(n_steps=1000, lr=0.1, betas=(0.9, 0.99)):
    """Step size ÷ lr for a constant gradient: AdaGrad's falls for ever, RMSProp's settles."""
    from nnlesson.viz.plotting import label_axes, new_figure, series_style

    fig, ax = new_figure(width=7.0, height=4.2)
    t = np.arange(1, n_steps + 1)
    style = dict(series_style(1), markevery=0.1, markersize=5)
    ax.plot(t, constant_gradient_steps(n_steps, lr, betas[0])["AdaGrad"] / lr,
            label="AdaGrad: 1/√t", **style)
    for i, beta in enumerate(betas):
        style = dict(series_style(2 + i), markevery=0.1, markersize=5)
        ax.plot(t, constant_gradient_steps(n_steps, lr, beta)["RMSProp"] / lr,
                label=f"RMSProp, β = {beta:g}", **style)
    ax.axhline(1.0, color="#555555", linewidth=0.8, linestyle=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    label_axes(ax, title="the same gradient at every step: AdaGrad's step keeps shrinking",
               xlabel="step t (log)", ylabel="step size ÷ lr (log)")
    return fig


# --------------------------------------------------------------------------- real data: wine


@dataclass(frozen=True, eq=False)
class WineComparison:
    """Validation accuracies of :func:`wine_comparison`.

    Attributes:
        lrs: the learning rates tried.
        accuracy: ``{label: array (len(lrs),)}``, the validation accuracy after training
            (NaN if the run diverged). Labels: ``"SGD"``, ``"AdaGrad"``, ``"RMSProp"`` on the
            raw features, and ``"SGD, standardized"`` on standardized features.
    """

    lrs: tuple
    accuracy: dict

    def best(self, label):
        """``(accuracy, lr)``: the best learning rate of one method."""
        acc = self.accuracy[label]
        if np.all(np.isnan(acc)):
            return float("nan"), None
        k = int(np.nanargmax(acc))
        return float(acc[k]), self.lrs[k]

    def table(self):
        """Rows: methods; columns: learning rates; and the best of each row."""
        head = "method".ljust(20) + "".join(f"{lr:>8g}" for lr in self.lrs) + "    best"
        lines = [head]
        for label, acc in self.accuracy.items():
            cells = "".join("     div" if np.isnan(a) else f"{a:8.2f}" for a in acc)
            lines.append(label.ljust(20) + cells + f"{self.best(label)[0]:8.2f}")
        return "\n".join(lines)


def wine_comparison(lrs=(1e-4, 1e-3, 1e-2, 1e-1, 1.0), epochs=100, seed=0):
    """Train a linear softmax classifier on the wine data with SGD, AdaGrad and RMSProp.

    The 13 features are used *raw*: their standard deviations range from 0.12 (nonflavanoid
    phenols) to 314 (proline), so the gradients of the weights differ by as much. Full-batch
    training (``batch_size`` = all training rows) for ``epochs`` epochs at each rate, through
    :func:`nnlesson.train.fit` with the library's optimizers (PyTorch defaults otherwise), the
    model ``mlp([13, 3])`` initialized with ``seed``. A 70/30 stratified split; the reference
    row trains SGD on features standardized with the training part's statistics (lesson 02).

    Returns:
        :class:`WineComparison`.
    """
    from nnlesson.data import train_val_split
    from nnlesson.datasets import load_wine
    from nnlesson.optim import SGD, Adagrad, RMSprop
    from nnlesson.scaling import StandardScaler
    from nnlesson.train import fit, mlp

    lrs = tuple(check_number("lrs", lr, low=0, low_open=True) for lr in lrs)
    epochs = check_int("epochs", epochs, low=1)
    data = load_wine()
    X_train, X_val, y_train, y_val = train_val_split(data.X, data.y, 0.3, rng=0, stratify=True)
    scaler = StandardScaler().fit(X_train)
    runs = {
        "SGD": (SGD, X_train, X_val),
        "AdaGrad": (Adagrad, X_train, X_val),
        "RMSProp": (RMSprop, X_train, X_val),
        "SGD, standardized": (SGD, scaler.transform(X_train), scaler.transform(X_val)),
    }
    accuracy = {}
    for label, (make, A, B) in runs.items():
        acc = []
        for lr in lrs:
            model = mlp([A.shape[1], 3], rng=seed)
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")  # a diverged run is part of the measurement
                hist = fit(model, A, y_train, optimizer=make(model.parameters(), lr=lr),
                           epochs=epochs, batch_size=len(A), rng=seed, X_val=B, y_val=y_val)
            ok = hist.diverged_at is None and len(hist.val_acc) == epochs
            acc.append(hist.val_acc[-1] if ok else np.nan)
        accuracy[label] = np.array(acc, dtype=np.float64)
    return WineComparison(lrs=lrs, accuracy=accuracy)
