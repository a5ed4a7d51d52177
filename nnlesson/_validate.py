"""Argument checks shared by every public constructor and function.

Each check raises an error whose message names the argument, the accepted range and the value
received, e.g. ``lr must be a number >= 0, got -0.1``. Returning the (converted) value lets a
constructor write ``self.lr = check_number("lr", lr, low=0)``.
"""
from __future__ import annotations

import math
import numbers

import numpy as np

__all__ = [
    "check_number",
    "check_int",
    "check_bool",
    "check_choice",
    "check_array",
    "check_same_shape",
    "check_rng",
    "check_dtype",
]


def _describe_range(low, high, low_open, high_open):
    parts = []
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"in {left}{low}, {high}{right}"
    if low is not None:
        parts.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        parts.append(f"{'<' if high_open else '<='} {high}")
    return " and ".join(parts)


def check_number(name, value, *, low=None, high=None, low_open=False, high_open=False):
    """Return ``float(value)`` if it is a finite real number inside the given range."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {_want_number(low, high, low_open, high_open)}, "
                        f"got {value!r} of type {type(value).__name__}")
    value = float(value)
    ok = math.isfinite(value)
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:  # the message is built only on failure: this check runs on every step
        raise ValueError(f"{name} must be {_want_number(low, high, low_open, high_open)}, "
                         f"got {value!r}")
    return value


def _want_number(low, high, low_open, high_open):
    return f"a finite number {_describe_range(low, high, low_open, high_open)}".rstrip()


def check_int(name, value, *, low=None, high=None):
    """Return ``int(value)`` if it is a whole number (not a bool) inside ``[low, high]``."""
    rng = _describe_range(low, high, False, False)
    want = f"an integer {rng}".rstrip()
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {want}, got {value!r} of type {type(value).__name__}")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name} must be {want}, got {value!r}")
    return value


def check_bool(name, value):
    """Return ``value`` if it is ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return bool(value)


def check_choice(name, value, choices):
    """Return ``value`` if it is one of ``choices``."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_array(name, value, *, ndim=None, dtype=None, allow_nan=False, min_rows=None):
    """Return ``value`` as a numpy array, checking dimensions and that it holds no NaN/inf.

    ``ndim`` may be an int or a tuple of accepted ints. ``dtype`` converts (default: keep a
    floating dtype, turn integers into float64).
    """
    try:
        arr = np.asarray(value)
    except Exception as exc:  # pragma: no cover - numpy raises many kinds
        raise TypeError(f"{name} must be array-like, got {type(value).__name__}") from exc
    if arr.dtype == object:
        raise TypeError(f"{name} must be a numeric array, got an array of Python objects")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif not np.issubdtype(arr.dtype, np.floating):
        if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
            raise TypeError(f"{name} must be a numeric array, got dtype {arr.dtype}")
    if ndim is not None:
        accepted = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in accepted:
            want = " or ".join(str(a) for a in accepted)
            raise ValueError(f"{name} must have {want} dimension(s), got shape {arr.shape}")
    if min_rows is not None and (arr.ndim == 0 or arr.shape[0] < min_rows):
        raise ValueError(f"{name} must have at least {min_rows} row(s), got shape {arr.shape}")
    if not allow_nan and np.issubdtype(arr.dtype, np.floating) and not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name} must contain only finite numbers, found {bad} NaN or infinite value(s)")
    return arr


def check_same_shape(name_a, a, name_b, b):
    """Raise unless arrays ``a`` and ``b`` have the same shape."""
    if np.shape(a) != np.shape(b):
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {np.shape(a)} and {np.shape(b)}"
        )


def check_rng(rng):
    """Return a ``numpy.random.Generator`` from None, a seed or a Generator."""
    if rng is None:
        return np.random.default_rng()
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        return np.random.default_rng(int(rng))
    raise TypeError(f"rng must be None, an integer seed or a numpy.random.Generator, got {rng!r}")


def check_dtype(dtype):
    """Return ``numpy.dtype(dtype)`` if it is a floating-point dtype (float16/32/64).

    Args:
        dtype: anything ``numpy.dtype`` accepts, e.g. ``numpy.float32`` or ``"float64"``.

    Returns:
        numpy.dtype.

    Raises:
        TypeError: not a dtype, or not a floating one.
    """
    want = "a floating dtype such as numpy.float64 or numpy.float32"
    try:
        dt = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype must be {want}, got {dtype!r}") from exc
    if dt.kind != "f":
        raise TypeError(f"dtype must be {want}, got {dt}")
    return dt
