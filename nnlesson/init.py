"""Weight initialization (lesson 09): zeros, small random, Xavier/Glorot and He/Kaiming.

Shape convention
----------------
A weight matrix here has shape ``(n_in, n_out)`` because a layer computes ``out = x @ W``.
So::

    fan_in  = shape[0]        fan_out = shape[1]

PyTorch stores ``nn.Linear.weight`` as ``(out, in)`` and reads ``fan_in = shape[1]``; an
``nnlesson`` weight of shape ``(n_in, n_out)`` corresponds to a PyTorch weight of shape
``(n_out, n_in)`` (its transpose). With that translation the variances below are exactly those
of ``torch.nn.init``.

================  =================================  ==========================================
name              distribution                       variance
================  =================================  ==========================================
zeros             all zeros                          0
normal            N(0, std^2)                        std^2           (default std = 0.01)
xavier_uniform    U(-a, a), a = gain sqrt(6 / (fan_in + fan_out))   gain^2 * 2 / (fan_in + fan_out)
xavier_normal     N(0, std^2), std = gain sqrt(2 / (fan_in + fan_out))   same
he_uniform        U(-a, a), a = sqrt(6 / fan_in)     2 / fan_in      (ReLU gain sqrt(2), fan_in mode)
he_normal         N(0, std^2), std = sqrt(2 / fan_in)  2 / fan_in
================  =================================  ==========================================

A uniform U(-a, a) has variance a^2 / 3, which is why ``a = sqrt(3) * std``.

Every initializer in :data:`INITIALIZERS` can be called as ``f(shape, rng=rng, dtype=dtype)``;
that is how :class:`nnlesson.layers.Linear` calls the one it is given by name.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

from nnlesson._validate import check_choice, check_dtype, check_int, check_number, check_rng
from nnlesson.core import DEFAULT_DTYPE

__all__ = [
    "zeros",
    "normal",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "INITIALIZERS",
    "initializer_std",
    "RELU_GAIN",
]

#: Gain for ReLU layers, as ``torch.nn.init.calculate_gain("relu")``: half the units are zero,
#: so the weights need twice the variance to keep the activations' scale.
RELU_GAIN = math.sqrt(2.0)


def _check_shape(shape, *, matrix):
    """Return ``shape`` as a tuple of positive ints; ``matrix=True`` requires (n_in, n_out)."""
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape must be a tuple of positive integers, got {shape!r}")
    shape = tuple(check_int(f"shape[{i}]", s, low=1) for i, s in enumerate(shape))
    if matrix and len(shape) != 2:
        raise ValueError(
            f"shape must be (n_in, n_out) with 2 entries for a fan-based initializer, got {shape}"
        )
    return shape


def _uniform(shape, bound, rng, dtype):
    return check_rng(rng).uniform(-bound, bound, size=shape).astype(dtype, copy=False)


def _normal(shape, std, rng, dtype):
    return check_rng(rng).normal(0.0, std, size=shape).astype(dtype, copy=False)


def zeros(shape, rng=None, dtype=DEFAULT_DTYPE):
    """All-zero weights of ``shape``.

    Every unit of a layer then computes the same thing and receives the same gradient, so
    they never become different (the symmetry problem of lesson 09). Fine for biases.

    Args:
        shape: tuple of positive ints (or one int).
        rng: accepted, and ignored, so that all initializers share one call signature.
        dtype: a floating dtype (float64 by default).

    Returns:
        array of ``shape`` and ``dtype``.

    Raises:
        ValueError, TypeError: a bad shape or dtype.
    """
    shape = _check_shape(shape, matrix=False)
    return np.zeros(shape, dtype=check_dtype(dtype))


def normal(shape, std=0.01, rng=None, dtype=DEFAULT_DTYPE):
    """Small random weights ``W ~ N(0, std^2)``, the same for any fan (``torch.nn.init.normal_``).

    Equations::

        W ~ N(0, std^2)

    Args:
        shape: tuple of positive ints (or one int).
        std: standard deviation, a finite number >= 0.
        rng: None, an int seed or a ``numpy.random.Generator``.
        dtype: a floating dtype (float64 by default).

    Returns:
        array of ``shape`` and ``dtype``.

    Raises:
        ValueError, TypeError: a bad shape, std, rng or dtype.
    """
    shape = _check_shape(shape, matrix=False)
    std = check_number("std", std, low=0)
    return _normal(shape, std, rng, check_dtype(dtype))


def xavier_uniform(shape, gain=1.0, rng=None, dtype=DEFAULT_DTYPE):
    """Glorot/Xavier uniform: ``W ~ U(-a, a)``, ``a = gain * sqrt(6 / (fan_in + fan_out))``.

    Variance ``gain^2 * 2 / (fan_in + fan_out)``: a compromise that keeps the forward
    activations and the backward gradients at about the same scale for tanh/linear layers.
    Same variance as ``torch.nn.init.xavier_uniform_`` on the transposed (n_out, n_in) tensor.

    Equations::

        a = gain * sqrt(6 / (fan_in + fan_out)),   W ~ U(-a, a)

    Args:
        shape: (n_in, n_out); fan_in = n_in, fan_out = n_out.
        gain: a finite number > 0 (1 for tanh/linear, sqrt(2) for ReLU).
        rng: None, an int seed or a ``numpy.random.Generator``.
        dtype: a floating dtype (float64 by default).

    Returns:
        array of shape (n_in, n_out) and ``dtype``.

    Raises:
        ValueError, TypeError: a bad shape, rng or dtype.
    """
    n_in, n_out = _check_shape(shape, matrix=True)
    gain = check_number("gain", gain, low=0, low_open=True)
    a = gain * math.sqrt(6.0 / (n_in + n_out))
    return _uniform((n_in, n_out), a, rng, check_dtype(dtype))


def xavier_normal(shape, gain=1.0, rng=None, dtype=DEFAULT_DTYPE):
    """Glorot/Xavier normal: ``W ~ N(0, std^2)``, ``std = gain * sqrt(2 / (fan_in + fan_out))``.

    As ``torch.nn.init.xavier_normal_`` on the transposed (n_out, n_in) tensor.

    Equations::

        std = gain * sqrt(2 / (fan_in + fan_out)),   W ~ N(0, std^2)

    Args:
        shape: (n_in, n_out); fan_in = n_in, fan_out = n_out.
        gain: a finite number > 0.
        rng: None, an int seed or a ``numpy.random.Generator``.
        dtype: a floating dtype (float64 by default).

    Returns:
        array of shape (n_in, n_out) and ``dtype``.

    Raises:
        ValueError, TypeError: a bad shape, rng or dtype.
    """
    n_in, n_out = _check_shape(shape, matrix=True)
    gain = check_number("gain", gain, low=0, low_open=True)
    std = gain * math.sqrt(2.0 / (n_in + n_out))
    return _normal((n_in, n_out), std, rng, check_dtype(dtype))


def he_uniform(shape, rng=None, dtype=DEFAULT_DTYPE):
    """He/Kaiming uniform for ReLU, fan_in mode: ``W ~ U(-a, a)``, ``a = sqrt(6 / fan_in)``.

    ``std = RELU_GAIN / sqrt(fan_in) = sqrt(2 / fan_in)`` and ``a = sqrt(3) * std``.
    As ``torch.nn.init.kaiming_uniform_(w, a=0, mode="fan_in", nonlinearity="relu")`` on the
    transposed (n_out, n_in) tensor. (PyTorch's *default* ``nn.Linear`` init is different:
    ``kaiming_uniform_`` with ``a=sqrt(5)``, i.e. ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``.)

    Equations::

        a = sqrt(6 / fan_in),   W ~ U(-a, a)

    Args:
        shape: (n_in, n_out); fan_in = n_in.
        rng: None, an int seed or a ``numpy.random.Generator``.
        dtype: a floating dtype (float64 by default).

    Returns:
        array of shape (n_in, n_out) and ``dtype``.

    Raises:
        ValueError, TypeError: a bad shape, rng or dtype.
    """
    n_in, n_out = _check_shape(shape, matrix=True)
    a = math.sqrt(6.0 / n_in)  # sqrt(3) * std, std = RELU_GAIN / sqrt(fan_in)
    return _uniform((n_in, n_out), a, rng, check_dtype(dtype))


def he_normal(shape, rng=None, dtype=DEFAULT_DTYPE):
    """He/Kaiming normal for ReLU, fan_in mode: ``W ~ N(0, std^2)``, ``std = sqrt(2 / fan_in)``.

    As ``torch.nn.init.kaiming_normal_(w, a=0, mode="fan_in", nonlinearity="relu")`` on the
    transposed (n_out, n_in) tensor (not truncated).

    Equations::

        std = sqrt(2 / fan_in),   W ~ N(0, std^2)

    Args:
        shape: (n_in, n_out); fan_in = n_in.
        rng: None, an int seed or a ``numpy.random.Generator``.
        dtype: a floating dtype (float64 by default).

    Returns:
        array of shape (n_in, n_out) and ``dtype``.

    Raises:
        ValueError, TypeError: a bad shape, rng or dtype.
    """
    n_in, n_out = _check_shape(shape, matrix=True)
    std = math.sqrt(2.0 / n_in)  # RELU_GAIN / sqrt(fan_in)
    return _normal((n_in, n_out), std, rng, check_dtype(dtype))


#: Initializers by name; each can be called as ``f(shape, rng=rng, dtype=dtype)``.
INITIALIZERS = {
    "zeros": zeros,
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def initializer_std(name, fan_in, fan_out, *, std=0.01, gain=1.0):
    """The standard deviation of the weights the initializer ``name`` draws.

    Useful to draw the theoretical scale next to the measured one in lesson 09.

    >>> initializer_std("he_normal", fan_in=8, fan_out=3)
    0.5

    Args:
        name: a key of :data:`INITIALIZERS`.
        fan_in: >= 1.
        fan_out: >= 1.
        std: used by ``"normal"`` only (its default).
        gain: used by the two Xavier schemes only (their default).

    Returns:
        float.

    Raises:
        ValueError, TypeError: an unknown name or a bad number.
    """
    check_choice("name", name, tuple(INITIALIZERS))
    fan_in = check_int("fan_in", fan_in, low=1)
    fan_out = check_int("fan_out", fan_out, low=1)
    std = check_number("std", std, low=0)
    gain = check_number("gain", gain, low=0, low_open=True)
    if name == "zeros":
        return 0.0
    if name == "normal":
        return std
    if name.startswith("xavier"):
        return gain * math.sqrt(2.0 / (fan_in + fan_out))
    return math.sqrt(2.0 / fan_in)  # he_uniform, he_normal: RELU_GAIN / sqrt(fan_in)
