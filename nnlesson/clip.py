"""Gradient clipping (lesson 08): by global norm and by value.

Three layers, one source:

* pure functions on a list of gradient arrays, :func:`clip_by_global_norm` and
  :func:`clip_by_value`, which return new arrays and never change their inputs;
* :func:`clip_grad_norm` and :func:`clip_grad_value`, which clip the ``.grad`` of parameters in
  place with ``torch.nn.utils.clip_grad_norm_`` / ``clip_grad_value_`` semantics;
* :class:`Clipping`, the setting a training loop is given (``fit(..., clipping=Clipping(
  max_norm=1.0))``): checked once when it is made, then applied at every step without checking
  again.

All of them compute with the same private kernels (the norm, the scaling, the cut).

Clip after ``backward`` and before ``optimizer.step()``; :func:`clip_grad_norm` returns the norm
*before* clipping so a training loop can record and plot it.

Why norm clipping keeps the direction
-------------------------------------
Norm clipping multiplies *every* gradient entry by the same positive number ``coef``, so the
clipped gradient points exactly where the original did (``direction_cosine(g, clipped) == 1``);
only its length shrinks. Value clipping cuts each entry separately at ``+-clip_value``: large
entries are cut, small ones are left alone, so the ratios between entries change and the
direction turns (the cosine drops below 1), towards the diagonal of the box.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from nnlesson._validate import check_array, check_bool, check_number

__all__ = [
    "Clipping",
    "global_norm",
    "clip_by_global_norm",
    "clip_by_value",
    "clip_grad_norm",
    "clip_grad_value",
    "direction_cosine",
]

# PyTorch adds this to the norm before dividing, so the coefficient is defined for a zero norm.
NORM_EPS = 1e-6


def _check_grads(grads):
    if isinstance(grads, np.ndarray):
        raise TypeError("grads must be a list of arrays; wrap a single array as [g]")
    try:
        grads = list(grads)
    except TypeError:
        raise TypeError(f"grads must be a list of arrays, got {type(grads).__name__}") from None
    if not grads:
        raise ValueError("grads must contain at least one array, got an empty list")
    # NaN/inf allowed: exploding gradients are what this module is about
    grads = [check_array(f"grads[{i}]", g, allow_nan=True) for i, g in enumerate(grads)]
    return [g if np.issubdtype(g.dtype, np.floating) else g.astype(np.float64) for g in grads]


def _check_norm_type(norm_type):
    is_real = isinstance(norm_type, numbers.Real) and not isinstance(norm_type, bool)
    if is_real and norm_type == math.inf:
        return math.inf
    if is_real and norm_type > 0:
        return check_number("norm_type", norm_type)
    raise ValueError(f"norm_type must be a number > 0 or math.inf, got {norm_type!r}")


# --------------------------------------------------------------------------- kernels
# Unchecked: a list of floating-point arrays, a norm_type and a max_norm checked by the caller.

def _vector_norm(g, norm_type):
    if g.size == 0:
        return 0.0
    return np.linalg.norm(np.ravel(g), ord=norm_type)


def _global_norm(grads, norm_type=2.0):
    norms = np.array([_vector_norm(g, norm_type) for g in grads], dtype=np.float64)
    return float(_vector_norm(norms, norm_type))


def _norm_coefficient(max_norm, total_norm):
    return min(max_norm / (total_norm + NORM_EPS), 1.0)


def _scale_in_place(grads, coef):
    # an infinite norm gives coef 0, and 0 * inf = nan, as in torch
    with np.errstate(invalid="ignore"):
        for g in grads:
            g *= g.dtype.type(coef)  # g.dtype.type keeps float32 float32


def _cut_in_place(grads, clip_value):
    for g in grads:
        np.clip(g, -clip_value, clip_value, out=g)


# --------------------------------------------------------------------------- public functions

def global_norm(grads, norm_type=2.0):
    """The p-norm of all gradients together, as if they were flattened into one vector.

    Equations::

        total_norm = (sum_i ||g_i||_p ** p) ** (1 / p)   = || [||g_1||_p, ..., ||g_n||_p] ||_p
        total_norm = max_i max_j |g_i[j]|                 for norm_type = inf

    Computed like PyTorch: the norm of each array, then the norm of those norms.

    Args:
        grads: list of arrays of any shapes.
        norm_type: p > 0, or ``math.inf`` for the largest absolute entry. Default 2.

    Returns:
        float.

    Raises:
        TypeError, ValueError: ``grads`` is not a non-empty list of arrays, or a bad ``norm_type``.
    """
    grads = _check_grads(grads)
    norm_type = _check_norm_type(norm_type)
    return _global_norm(grads, norm_type)


def clip_by_global_norm(grads, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale all gradients by one factor so their global norm is at most ``max_norm``.

    Equations (PyTorch's form)::

        total_norm = global_norm(grads, norm_type)
        coef       = min(max_norm / (total_norm + 1e-6), 1)
        clipped_i  = coef * g_i                for every array g_i

    Lesson 08 writes ``g_hat = clip_norm * g / max(||g||, clip_norm)``: the same thing without
    the ``1e-6`` (which only keeps the division defined when the norm is zero). One coefficient
    for every entry of every array, so the direction of the whole gradient is kept.

    Args:
        grads: list of arrays (not changed).
        max_norm: the largest allowed global norm, > 0.
        norm_type: p > 0 or ``math.inf``. Default 2.
        error_if_nonfinite: raise if the norm is NaN or infinite instead of scaling by it.

    Returns:
        ``(clipped_grads, total_norm)``: a new list of new arrays (same shapes and dtypes) and the
        global norm *before* clipping, a float.

    Raises:
        TypeError, ValueError: bad arguments, or (with ``error_if_nonfinite``) a norm that is
        NaN or infinite.
    """
    grads = _check_grads(grads)
    max_norm = check_number("max_norm", max_norm, low=0, low_open=True)
    norm_type = _check_norm_type(norm_type)
    error_if_nonfinite = check_bool("error_if_nonfinite", error_if_nonfinite)
    total_norm = _global_norm(grads, norm_type)
    _check_finite_norm(total_norm, error_if_nonfinite)
    clipped = [g.copy() for g in grads]
    _scale_in_place(clipped, _norm_coefficient(max_norm, total_norm))
    return clipped, total_norm


def _check_finite_norm(total_norm, error_if_nonfinite):
    if error_if_nonfinite and not math.isfinite(total_norm):
        raise ValueError(
            f"the total gradient norm is {total_norm}, so it cannot be clipped; "
            "pass error_if_nonfinite=False to scale by it anyway"
        )


def clip_by_value(grads, clip_value):
    """Cut every gradient entry to the interval ``[-clip_value, clip_value]``.

    Equations::

        clipped_i[j] = max(min(g_i[j], clip_value), -clip_value)

    Each entry is treated on its own, so the direction of the gradient changes whenever some
    entries are cut and others are not.

    Args:
        grads: list of arrays (not changed).
        clip_value: >= 0.

    Returns:
        a new list of new arrays, same shapes and dtypes.

    Raises:
        TypeError, ValueError: ``grads`` is not a non-empty list of arrays, or ``clip_value`` < 0.
    """
    grads = _check_grads(grads)
    clip_value = check_number("clip_value", clip_value, low=0)
    clipped = [g.copy() for g in grads]
    _cut_in_place(clipped, clip_value)
    return clipped


def _param_grads(params):
    """The ``.grad`` arrays of ``params`` (checked: each a floating-point ndarray)."""
    try:
        params = list(params)
    except TypeError:
        raise TypeError(
            f"params must be an iterable of parameters, got {type(params).__name__}") from None
    if not params:
        raise ValueError("params must contain at least one parameter, got none")
    grads = []
    for i, p in enumerate(params):
        g = getattr(p, "grad", None)
        if not isinstance(g, np.ndarray):
            raise TypeError(f"params[{i}] must have a .grad array, got {type(p).__name__}")
        if g.dtype.kind != "f":
            raise TypeError(f"params[{i}].grad must be a floating-point array, got dtype {g.dtype}")
        grads.append(g)
    return grads


def clip_grad_norm(params, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Clip the parameters' gradients, in place, to a global norm of at most ``max_norm``.

    Same semantics as ``torch.nn.utils.clip_grad_norm_``: ONE norm over all the ``.grad``
    arrays together, every ``.grad`` multiplied by ``coef = min(max_norm / (total_norm + 1e-6), 1)``
    (see :func:`clip_by_global_norm`, which does the work).

    Args:
        params: iterable of :class:`nnlesson.core.Parameter` (anything with a floating-point
            ``.grad`` array).
        max_norm: the largest allowed global norm, > 0.
        norm_type: p > 0 or ``math.inf``. Default 2.
        error_if_nonfinite: raise if the norm is NaN or infinite instead of scaling by it.

    Returns:
        the global norm *before* clipping, a float.

    Raises:
        TypeError, ValueError: as :func:`clip_by_global_norm`, or ``params`` without ``.grad``.
    """
    grads = _param_grads(params)
    max_norm = check_number("max_norm", max_norm, low=0, low_open=True)
    norm_type = _check_norm_type(norm_type)
    error_if_nonfinite = check_bool("error_if_nonfinite", error_if_nonfinite)
    total_norm = _global_norm(grads, norm_type)
    _check_finite_norm(total_norm, error_if_nonfinite)
    # in place, so anyone holding p.grad sees the clipped values
    _scale_in_place(grads, _norm_coefficient(max_norm, total_norm))
    return total_norm


def clip_grad_value(params, clip_value):
    """Clip every entry of the parameters' gradients to ``[-clip_value, clip_value]``, in place.

    Same semantics as ``torch.nn.utils.clip_grad_value_`` (see :func:`clip_by_value`).

    Args:
        params: iterable of :class:`nnlesson.core.Parameter` (anything with a floating-point
            ``.grad`` array).
        clip_value: >= 0.

    Returns:
        None.

    Raises:
        TypeError, ValueError: ``params`` without ``.grad``, or ``clip_value`` < 0.
    """
    grads = _param_grads(params)
    _cut_in_place(grads, check_number("clip_value", clip_value, low=0))


@dataclass(frozen=True)
class Clipping:
    """How a training loop clips the gradients before each update: by global norm or by value.

    Give exactly one of the two::

        Clipping(max_norm=1.0)      every .grad scaled by coef = min(max_norm / (norm + 1e-6), 1)
        Clipping(clip_value=0.5)    every entry cut to [-clip_value, clip_value]

    (:func:`clip_grad_norm`, global L2 norm, and :func:`clip_grad_value`). The setting is
    checked once, here; :meth:`apply` then clips at every step. ``fit(..., clipping=...)`` and
    :func:`nnlesson.course.runner.run` take one.

    Args:
        max_norm: None, or the largest allowed global L2 norm, > 0.
        clip_value: None, or the largest allowed absolute entry, > 0.

    Raises:
        ValueError: both or neither given, or a value <= 0.
    """

    max_norm: float | None = None
    clip_value: float | None = None

    def __post_init__(self):
        if (self.max_norm is None) == (self.clip_value is None):
            raise ValueError(f"Clipping needs exactly one of max_norm and clip_value, got "
                             f"max_norm={self.max_norm!r}, clip_value={self.clip_value!r}")
        for name in ("max_norm", "clip_value"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, check_number(name, value, low=0, low_open=True))

    @property
    def mode(self):
        """``"norm"`` or ``"value"``."""
        return "norm" if self.max_norm is not None else "value"

    def apply(self, params):
        """Clip the ``.grad`` of ``params`` in place; return their global L2 norm *before*.

        Args:
            params: iterable of :class:`nnlesson.core.Parameter` (floating-point ``.grad``).

        Returns:
            float, the global L2 norm of the gradients before clipping (what a training loop
            records and plots, whichever the mode).

        Raises:
            TypeError, ValueError: ``params`` is not a non-empty list of things with ``.grad``.
        """
        return self._apply(_param_grads(params))

    def _apply(self, grads):
        # unchecked: a list of floating-point arrays, changed in place
        total_norm = _global_norm(grads, 2.0)
        if self.max_norm is not None:
            _scale_in_place(grads, _norm_coefficient(self.max_norm, total_norm))
        else:
            _cut_in_place(grads, self.clip_value)
        return total_norm


def _flatten(x, name):
    parts = list(x) if isinstance(x, (list, tuple)) else [x]
    if not parts:
        raise ValueError(f"{name} must be an array or a non-empty list of arrays")
    return np.concatenate([np.ravel(check_array(name, g)).astype(np.float64) for g in parts])


def direction_cosine(a, b):
    """Cosine of the angle between two gradients (arrays, or lists of arrays flattened together).

    Equations::

        cos = <a, b> / (||a||_2 ||b||_2)

    1 means the same direction (what norm clipping keeps), 0 a right angle, -1 opposite.

    Args:
        a: an array, or a list of arrays (flattened and joined).
        b: the same, with as many entries in all.

    Returns:
        float in [-1, 1].

    Raises:
        ValueError: the sizes differ, or either vector is zero.
    """
    a, b = _flatten(a, "a"), _flatten(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same number of entries, got {a.size} and {b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0 or nb == 0:
        raise ValueError("a and b must both be non-zero: a zero vector has no direction")
    return float(np.dot(a, b) / (na * nb))
