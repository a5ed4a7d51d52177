"""Parameters and the layer base class.

A :class:`Parameter` holds ``value`` and ``grad`` (same shape). Layers *add* into ``grad`` in
``backward`` (the PyTorch habit), so gradients from several uses of a parameter accumulate;
``zero_grad()`` clears them before the next step.
"""
from __future__ import annotations

import numpy as np

__all__ = ["Parameter", "Module", "DEFAULT_DTYPE"]

DEFAULT_DTYPE = np.float64


class Parameter:
    """A trainable array with its gradient.

    Attributes:
        value: ndarray, the current weights.
        grad:  ndarray of the same shape and dtype, the accumulated dL/dvalue.
        name:  a short label used in plots and messages.
    """

    __slots__ = ("value", "grad", "name")

    def __init__(self, value, name="param"):
        value = np.array(value, copy=True)
        if not np.issubdtype(value.dtype, np.floating):
            value = value.astype(DEFAULT_DTYPE)
        self.value = value
        self.grad = np.zeros_like(value)
        self.name = str(name)

    @property
    def shape(self):
        return self.value.shape

    @property
    def dtype(self):
        return self.value.dtype

    def zero_grad(self):
        """Set ``grad`` to zero, in place."""
        self.grad.fill(0.0)

    def __repr__(self):
        return f"Parameter(name={self.name!r}, shape={self.value.shape}, dtype={self.value.dtype})"


class Module:
    """Base class of layers: ``forward(x)``, ``backward(dout) -> dx``, ``parameters()``.

    ``training`` is True after ``train()`` and False after ``eval()``; layers that behave
    differently at inference (BatchNorm, Dropout, DropConnect) read it. Sub-modules are found
    through ``children()`` (attributes holding a Module, or a list or tuple of them) and
    ``modules()`` walks them all; parameters are the attributes that hold :class:`Parameter`.
    """

    training = True

    def forward(self, x):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dout):  # pragma: no cover - abstract
        raise NotImplementedError

    def __call__(self, x):
        return self.forward(x)

    def children(self):
        """Direct sub-modules, in attribute order."""
        out = []
        for value in vars(self).values():
            if isinstance(value, Module):
                out.append(value)
            elif isinstance(value, (list, tuple)):
                out.extend(v for v in value if isinstance(v, Module))
        return out

    def modules(self):
        """This module and all its sub-modules, depth first, each once (as ``torch.nn.Module``).

        Returns:
            list of :class:`Module`: ``self`` first, then each child followed by its own
            sub-modules, in attribute order; a module reachable twice is listed once.
        """
        seen, out, stack = set(), [], [self]
        while stack:
            m = stack.pop()
            if id(m) in seen:
                continue
            seen.add(id(m))
            out.append(m)
            stack.extend(reversed(m.children()))
        return out

    def own_parameters(self):
        """The parameters held directly by this module's attributes (not its sub-modules')."""
        return [v for v in vars(self).values() if isinstance(v, Parameter)]

    def parameters(self):
        """All parameters of this module and its sub-modules, each once, in a stable order.

        Returns:
            list of :class:`Parameter`, in the order of :meth:`modules`.
        """
        seen, out = set(), []
        for m in self.modules():
            for p in m.own_parameters():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append(p)
        return out

    def zero_grad(self):
        """Set the gradient of every parameter to zero."""
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode=True):
        """Switch this module and every sub-module to training mode (or inference mode).

        Args:
            mode: True for training (batch statistics, dropout on), False for inference.

        Returns:
            self.
        """
        mode = bool(mode)
        for m in self.modules():
            m.training = mode
        return self

    def eval(self):
        """Switch to inference mode (running statistics, dropout off); returns self."""
        return self.train(False)

    def __repr__(self):
        return f"{type(self).__name__}()"
