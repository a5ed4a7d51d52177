"""Two-dimensional loss surfaces and optimizer paths on them (lessons 00, 04, 05, 06).

A real network has millions of weights; these surfaces have two, ``w = (x, y)``, so the whole
landscape fits in one contour plot and an optimizer's path can be drawn on top of it.

==================  =========================================  ==========================
surface             f(x, y)                                    what it shows
==================  =========================================  ==========================
``Bowl()``          (x^2 + y^2) / 2                            the easy case: round contours
``Ravine(a, b)``    (a x^2 + b y^2) / 2                        ill-conditioning: a narrow valley
``Rosenbrock(a,b)`` (a - x)^2 + b (y - x^2)^2                  a curved, flat-bottomed valley
``Beale()``         (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2     steep walls, flat plateaus
                    + (2.625 - x + xy^3)^2
``Saddle()``        x^2 - y^2                                  no minimum: a saddle point
==================  =========================================  ==========================

Every surface has ``value(w)`` and ``grad(w)``. ``w`` has shape (2,) for one point, or
(..., 2) for many (a grid): ``value`` then returns shape (...) and ``grad`` shape (..., 2).
``grad_point(w)`` is the gradient at one point without checking ``w`` (for loops that checked
their start once, such as :func:`nnlesson.course.runner.run`). Surfaces also carry ``minimum``
(the point, or None), ``min_value``, ``default_start`` and ``bounds = ((xmin, xmax), (ymin,
ymax))`` for plotting. :func:`loss_grid` samples a surface once for contours;
:func:`check_surface` accepts a surface or its name. Running an optimizer on a surface is
:func:`nnlesson.course.runner.run`.

Deprecated (kept until the lessons are ported): :func:`optimizer_path` and
:class:`OptimizerPath` here are :func:`nnlesson.course.runner.run` and
:class:`nnlesson.course.runner.OptimizerPath`.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_choice, check_int, check_number
from nnlesson.course.runner import DIVERGED_NORM, OptimizerPath, run

__all__ = [
    "Surface",
    "Bowl",
    "Ravine",
    "Rosenbrock",
    "Beale",
    "Saddle",
    "SURFACES",
    "check_surface",
    "loss_grid",
    "OptimizerPath",
    "optimizer_path",
]


def _check_w(w):
    w = check_array("w", w, dtype=np.float64)
    if w.ndim == 0 or w.shape[-1] != 2:
        raise ValueError(
            f"w must have shape (2,) or (..., 2): the point (x, y), got shape {w.shape}"
        )
    return w


class Surface:
    """Base class: subclasses define ``_value(x, y)`` and ``_grad(x, y) -> (gx, gy)``.

    ``x`` and ``y`` are arrays of the same shape; the public ``value`` and ``grad`` check
    ``w`` and split it into ``x = w[..., 0]`` and ``y = w[..., 1]``.
    """

    name = "surface"
    formula = ""  # LaTeX, for plot titles
    minimum = None  # (x, y) of the global minimum, or None
    min_value = None  # f at the minimum
    default_start = (0.0, 0.0)
    bounds = ((-1.0, 1.0), (-1.0, 1.0))

    def value(self, w):
        """f(w): a float for ``w`` of shape (2,), an array of shape (...) for shape (..., 2)."""
        w = _check_w(w)
        out = self._value(w[..., 0], w[..., 1])
        return float(out) if w.ndim == 1 else out

    def grad(self, w):
        """The gradient (df/dx, df/dy), same shape as ``w``: (2,) or (..., 2)."""
        w = _check_w(w)
        gx, gy = self._grad(w[..., 0], w[..., 1])
        return np.stack([gx, gy], axis=-1)

    def grad_point(self, w):
        """The gradient at one point ``w`` of shape (2,), without checking ``w``.

        For loops that checked their start once and then step many times; the numbers are
        those of :meth:`grad` to the last bit (the same array operations: on numpy scalars,
        ``x ** 3`` rounds differently in about 2 % of cases).
        """
        gx, gy = self._grad(w[..., 0], w[..., 1])
        return np.array([gx, gy], dtype=np.float64)

    def _value(self, x, y):  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, x, y):  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Bowl(Surface):
    """``f(x, y) = (x^2 + y^2) / 2``, gradient ``(x, y)``; minimum 0 at (0, 0).

    Round contours: the gradient points straight at the minimum, and plain gradient descent
    ``w <- w - lr w = (1 - lr) w`` converges for any 0 < lr < 2 (in one step at lr = 1).
    """

    name = "bowl"
    formula = r"$\frac{1}{2}(x^2 + y^2)$"
    minimum = (0.0, 0.0)
    min_value = 0.0
    default_start = (-2.5, 2.0)
    bounds = ((-3.0, 3.0), (-3.0, 3.0))

    def _value(self, x, y):
        return 0.5 * (x**2 + y**2)

    def _grad(self, x, y):
        return x, y


@dataclass(frozen=True)
class Ravine(Surface):
    """An ill-conditioned quadratic: ``f(x, y) = (a x^2 + b y^2) / 2``; minimum 0 at (0, 0).

    Gradient ``(a x, b y)``. The curvatures are ``a`` along x and ``b`` along y; with the
    defaults (1, 25) the valley is 25 times steeper across (y) than along (x), its condition
    number. Plain gradient descent multiplies each coordinate by ``(1 - lr a)`` and
    ``(1 - lr b)`` per step, so it diverges as soon as ``lr > 2 / max(a, b)`` while the
    progress along the flat direction is set by ``lr * min(a, b)``: the case for momentum.

    Args:
        a, b: curvatures, finite numbers > 0.
    """

    a: float = 1.0
    b: float = 25.0

    name = "ravine"
    formula = r"$\frac{1}{2}(a x^2 + b y^2)$"
    minimum = (0.0, 0.0)
    min_value = 0.0
    default_start = (-4.5, 2.0)
    bounds = ((-5.0, 5.0), (-3.0, 3.0))

    def __post_init__(self):
        object.__setattr__(self, "a", check_number("a", self.a, low=0, low_open=True))
        object.__setattr__(self, "b", check_number("b", self.b, low=0, low_open=True))

    @property
    def condition_number(self):
        """Ratio of the largest to the smallest curvature, ``max(a, b) / min(a, b)``."""
        return max(self.a, self.b) / min(self.a, self.b)

    @property
    def max_stable_lr(self):
        """Plain gradient descent converges only for ``lr < 2 / max(a, b)``."""
        return 2.0 / max(self.a, self.b)

    def _value(self, x, y):
        return 0.5 * (self.a * x**2 + self.b * y**2)

    def _grad(self, x, y):
        return self.a * x, self.b * y


@dataclass(frozen=True)
class Rosenbrock(Surface):
    """Rosenbrock's banana valley: ``f(x, y) = (a - x)^2 + b (y - x^2)^2``; minimum 0 at (a, a^2).

    Gradient::

        df/dx = -2 (a - x) - 4 b x (y - x^2)
        df/dy =  2 b (y - x^2)

    Finding the curved valley is easy; following its almost flat floor to the minimum is slow.

    Args:
        a: any finite number (sets the minimum); b: finite number > 0 (steepness of the walls).
    """

    a: float = 1.0
    b: float = 100.0

    name = "rosenbrock"
    formula = r"$(a - x)^2 + b\,(y - x^2)^2$"
    min_value = 0.0
    default_start = (-1.2, 1.0)

    def __post_init__(self):
        object.__setattr__(self, "a", check_number("a", self.a))
        object.__setattr__(self, "b", check_number("b", self.b, low=0, low_open=True))

    @property
    def minimum(self):
        return (self.a, self.a**2)

    @property
    def bounds(self):
        a = self.a
        xlim = (min(-2.0, a - 1.0), max(2.0, a + 1.0))
        ylim = (min(-1.0, a**2 - 1.0), max(3.0, a**2 + 1.0))
        return (xlim, ylim)

    def _value(self, x, y):
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, x, y):
        r = y - x**2
        return -2.0 * (self.a - x) - 4.0 * self.b * x * r, 2.0 * self.b * r


@dataclass(frozen=True)
class Beale(Surface):
    """Beale's function; minimum 0 at (3, 0.5).

    With ``t1 = 1.5 - x + x y``, ``t2 = 2.25 - x + x y^2``, ``t3 = 2.625 - x + x y^3``::

        f     = t1^2 + t2^2 + t3^2
        df/dx = 2 t1 (y - 1) + 2 t2 (y^2 - 1) + 2 t3 (y^3 - 1)
        df/dy = 2 t1 x + 2 t2 (2 x y) + 2 t3 (3 x y^2)

    Very steep walls next to nearly flat regions: one learning rate cannot suit both, which
    adaptive methods (RMSProp, Adam) handle better.
    """

    name = "beale"
    formula = r"$(1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2$"
    minimum = (3.0, 0.5)
    min_value = 0.0
    default_start = (1.0, 1.5)
    bounds = ((-1.5, 4.5), (-2.0, 2.0))

    @staticmethod
    def _terms(x, y):
        return 1.5 - x + x * y, 2.25 - x + x * y**2, 2.625 - x + x * y**3

    def _value(self, x, y):
        t1, t2, t3 = self._terms(x, y)
        return t1**2 + t2**2 + t3**2

    def _grad(self, x, y):
        t1, t2, t3 = self._terms(x, y)
        gx = 2.0 * t1 * (y - 1.0) + 2.0 * t2 * (y**2 - 1.0) + 2.0 * t3 * (y**3 - 1.0)
        gy = 2.0 * t1 * x + 2.0 * t2 * (2.0 * x * y) + 2.0 * t3 * (3.0 * x * y**2)
        return gx, gy


@dataclass(frozen=True)
class Saddle(Surface):
    """``f(x, y) = x^2 - y^2``, gradient ``(2 x, -2 y)``: a saddle point at (0, 0), NO minimum.

    Along x the origin is a minimum, along y a maximum, and f goes to minus infinity as |y|
    grows, so ``minimum`` and ``min_value`` are None and every optimizer eventually runs away
    along y. Started on the x axis (y = 0) gradient descent walks into the saddle and stays:
    the gradient there is zero, although it is not a minimum.
    """

    name = "saddle"
    formula = r"$x^2 - y^2$"
    minimum = None
    min_value = None
    saddle_point = (0.0, 0.0)
    default_start = (-1.5, 0.01)
    bounds = ((-2.0, 2.0), (-2.0, 2.0))

    def _value(self, x, y):
        return x**2 - y**2

    def _grad(self, x, y):
        return 2.0 * x, -2.0 * y


SURFACES = {
    "bowl": Bowl(),
    "ravine": Ravine(),
    "rosenbrock": Rosenbrock(),
    "beale": Beale(),
    "saddle": Saddle(),
}


def check_surface(surface, names=None):
    """``surface`` itself if it is a :class:`Surface`, or the surface of that name.

    Args:
        surface: a Surface (e.g. ``Ravine(b=100)``), or a name in :data:`SURFACES`.
        names: the names accepted (default: every key of :data:`SURFACES`).

    Returns:
        a :class:`Surface`.

    Raises:
        ValueError: an unknown name. TypeError: neither a Surface nor a name.
    """
    names = tuple(SURFACES) if names is None else tuple(names)
    if isinstance(surface, str):
        check_choice("surface", surface, names)
        return SURFACES[surface]
    if not isinstance(surface, Surface):
        raise TypeError(
            f"surface must be a Surface such as Ravine() or one of the names "
            f"{', '.join(names)}; got {surface!r}"
        )
    return surface


def optimizer_path(surface, make_optimizer, start=None, n_steps=100, max_norm=DIVERGED_NORM):
    """Deprecated: use :func:`nnlesson.course.runner.run` (``run(surface, make_optimizer)``).

    Runs ``make_optimizer([w])`` on ``surface`` for ``n_steps`` updates, as before, with the
    same numbers: it is ``run(surface, make_optimizer, start=start, n_steps=n_steps)``. A
    ``max_norm`` below the runner's :data:`~nnlesson.course.runner.DIVERGED_NORM` (1e6) stops
    the path at the first point with ``||w||_2 > max_norm`` instead (``diverged_at`` is that
    update), which is what the old loop did; larger values are refused.

    Args:
        surface: a :class:`Surface`.
        make_optimizer: callable ``[Parameter] -> optimizer`` with ``step()``.
        start: (x, y); ``surface.default_start`` if None.
        n_steps: number of updates, an integer >= 0.
        max_norm: in (0, 1e6].

    Returns:
        :class:`OptimizerPath`.
    """
    surface = check_surface(surface)
    if not callable(make_optimizer):
        raise TypeError(
            f"make_optimizer must be a callable taking a list of Parameters and returning an "
            f"optimizer, e.g. lambda params: SGD(params, lr=0.1); got {make_optimizer!r}"
        )
    if start is not None:
        start = check_array("start", start, ndim=1, dtype=np.float64)
        if start.shape != (2,):
            raise ValueError(f"start must be a point (x, y) of shape (2,), got shape {start.shape}")
    max_norm = check_number("max_norm", max_norm, low=0, high=DIVERGED_NORM, low_open=True)
    path = run(surface, _factory(make_optimizer), start=start, n_steps=n_steps)
    if max_norm < DIVERGED_NORM:
        far = np.flatnonzero(np.linalg.norm(path.points, axis=1) > max_norm)
        if len(far):
            t = int(far[0])  # points[t] is w after update t
            path = OptimizerPath(points=path.points[:t], values=path.values[:t], diverged_at=t,
                                 lrs=path.lrs[:t], grads=path.grads[:t],
                                 clipped_grads=path.clipped_grads[:t],
                                 grad_norms=path.grad_norms[:t])
    return path


def _factory(make_optimizer):
    """The factory, checked to build something with step() (the old message)."""

    def make(params):
        optimizer = make_optimizer(params)
        for method in ("step", "zero_grad"):
            if not callable(getattr(optimizer, method, None)):
                raise TypeError(
                    f"make_optimizer must return an optimizer with step() and zero_grad(), got "
                    f"{type(optimizer).__name__} without {method}()"
                )
        return optimizer

    return make


def _check_bounds(bounds):
    want = "((xmin, xmax), (ymin, ymax)) of finite numbers with min < max"
    try:
        (x0, x1), (y0, y1) = bounds
        x0, x1, y0, y1 = (check_number("bounds", v) for v in (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be {want}, got {bounds!r}") from None
    if not (x0 < x1 and y0 < y1):
        raise ValueError(f"bounds must be {want}, got {bounds!r}")
    return ((x0, x1), (y0, y1))


def loss_grid(surface, n=200, bounds=None):
    """Sample ``surface`` on an n x n grid for contour plots: ``plt.contour(X, Y, Z)``.

    Args:
        surface: a :class:`Surface`.
        n: points per axis, an integer in [2, 2000].
        bounds: ((xmin, xmax), (ymin, ymax)); ``surface.bounds`` if None.

    Returns:
        ``(X, Y, Z)``, float64 arrays of shape (n, n) with ``X[i, j] = xs[j]``,
        ``Y[i, j] = ys[i]`` (``np.meshgrid`` order) and ``Z = f(X, Y)``.

    The result is cached per (surface, n, bounds), so a slider that redraws a path does not
    recompute the grid. The arrays are read-only because they are shared; copy them to modify.
    """
    surface = check_surface(surface)
    n = check_int("n", n, low=2, high=2000)
    bounds = _check_bounds(surface.bounds if bounds is None else bounds)
    return _loss_grid(surface, n, bounds)


@functools.lru_cache(maxsize=64)
def _loss_grid(surface, n, bounds):
    (x0, x1), (y0, y1) = bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    Z = surface.value(np.stack([X, Y], axis=-1))
    for arr in (X, Y, Z):
        arr.flags.writeable = False
    return X, Y, Z
