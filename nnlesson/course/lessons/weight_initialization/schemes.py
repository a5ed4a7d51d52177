"""Lesson 09: the initialization schemes of the experiments, and the deep networks they fill.

Every initializer comes from :mod:`nnlesson.init`. Weight matrices have shape ``(n_in, n_out)``
(the transpose of PyTorch's), so ``fan_in = shape[0]``.
"""
from __future__ import annotations

import functools

from nnlesson import init as _init
from nnlesson._validate import check_choice, check_int, check_rng
from nnlesson.layers import Linear, ReLU, Sigmoid, Tanh

__all__ = ["SCHEMES", "ACTIVATIONS", "TANH_GAIN", "make_initializer", "scheme_label",
           "build_deep_net"]

#: PyTorch's ``torch.nn.init.calculate_gain("tanh")``.
TANH_GAIN = 5.0 / 3.0

#: Initialization schemes of the experiments: key -> (label, library initializer, its keywords).
SCHEMES = {
    "zeros": ("zeros", "zeros", {}),
    "small": ("small random N(0, 0.01²)", "normal", {"std": 0.01}),
    "large": ("large random N(0, 1)", "normal", {"std": 1.0}),
    "xavier_uniform": ("Xavier uniform", "xavier_uniform", {}),
    "xavier_normal": ("Xavier normal", "xavier_normal", {}),
    "xavier_normal_tanh_gain": ("Xavier normal, gain 5/3", "xavier_normal", {"gain": TANH_GAIN}),
    "he_uniform": ("He uniform", "he_uniform", {}),
    "he_normal": ("He normal", "he_normal", {}),
}

#: Activations of the experiments (the names of :func:`nnlesson.train.mlp`).
ACTIVATIONS = ("relu", "tanh", "sigmoid")


def make_initializer(scheme):
    """``f(shape, rng=None) -> weights`` for a key of :data:`SCHEMES`, or ``scheme`` if callable.

    A callable is passed through unchanged (an exercise's own initializer, for example); it
    must accept ``(shape, rng=rng)`` like the initializers of :mod:`nnlesson.init`.
    """
    if callable(scheme):
        return scheme
    check_choice("scheme", scheme, tuple(SCHEMES))
    _, name, kwargs = SCHEMES[scheme]
    return functools.partial(_init.INITIALIZERS[name], **kwargs)


def scheme_label(scheme):
    """The label a student reads: ``"He normal"``, or a callable's name."""
    if callable(scheme):
        return getattr(scheme, "__name__", "your initializer")
    return SCHEMES[scheme][0]


def activation_layer(activation):
    """A fresh ReLU, Tanh or Sigmoid layer."""
    check_choice("activation", activation, ACTIVATIONS)
    return {"relu": ReLU, "tanh": Tanh, "sigmoid": Sigmoid}[activation]()


def build_deep_net(depth, width, scheme, activation, rng=None):
    """``depth`` blocks ``Linear(width, width) -> activation`` as a list of (Linear, activation).

    Weights from :func:`make_initializer` (``scheme``), biases zero (the library's default).
    """
    depth = check_int("depth", depth, low=1)
    width = check_int("width", width, low=1)
    f = make_initializer(scheme)
    rng = check_rng(rng)
    return [(Linear(width, width, init=f, rng=rng), activation_layer(activation))
            for _ in range(depth)]
