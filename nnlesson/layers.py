"""Layers: linear, activations, containers, dropout, DropConnect, residual (lessons 01, 11, 12).

Every layer is a :class:`nnlesson.core.Module`:

- ``forward(x)`` computes the output and keeps what the backward pass needs;
- ``backward(dout) -> dx`` takes dL/d(out) and returns dL/dx, and *adds* dL/dparam into each
  parameter's ``.grad`` (so two backward calls accumulate; ``zero_grad()`` clears).

Shapes follow cs231n: ``N`` examples per batch, ``D`` features in, ``M`` features out. Batches
are rows, so a linear layer computes ``out = x @ W + b`` with ``W`` of shape ``(D, M)``
(PyTorch's ``nn.Linear.weight`` is the transpose, ``(M, D)``).

The activations also exist as plain functions (``relu``, ``sigmoid``, ``tanh``, ``softmax``,
``log_softmax``) for code that only needs the values.
"""
from __future__ import annotations

import numpy as np

from nnlesson import init as _init
from nnlesson._validate import check_bool, check_dtype, check_int, check_number, check_rng
from nnlesson.core import DEFAULT_DTYPE, Module, Parameter

__all__ = [
    "relu",
    "sigmoid",
    "tanh",
    "softmax",
    "log_softmax",
    "Linear",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "Identity",
    "Softmax",
    "Sequential",
    "Dropout",
    "DropConnect",
    "Residual",
]


# ----------------------------------------------------------------------------------------------
# Helpers shared by the layers
# ----------------------------------------------------------------------------------------------

def _as_float_array(name, x, dtype=None):
    """``x`` as a floating ndarray (integers become float64, or ``dtype`` when given)."""
    x = np.asarray(x)
    if dtype is not None:
        return x.astype(dtype, copy=False)
    if x.dtype.kind != "f":
        if x.dtype.kind not in "iub":
            raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
        x = x.astype(DEFAULT_DTYPE)
    return x


def _require_forward(layer, cache):
    if cache is None:
        raise RuntimeError(
            f"{type(layer).__name__}.backward was called before forward: call forward(x) first"
        )
    return cache


def _check_dout(dout, shape, dtype=None):
    if dout is None:
        raise ValueError(
            "dout is None: the layer after this one returned no gradient (only a first layer "
            "may be built with input_grad=False)"
        )
    dout = np.asarray(dout) if dtype is None else np.asarray(dout, dtype=dtype)
    if dout.shape != shape:
        raise ValueError(
            f"dout must have the shape of the forward output {shape}, got {dout.shape}"
        )
    return dout


# ----------------------------------------------------------------------------------------------
# Activation and output functions
# ----------------------------------------------------------------------------------------------

def relu(x):
    """``relu(x) = max(x, 0)``, elementwise."""
    return np.maximum(_as_float_array("x", x), 0)


def sigmoid(x):
    """``sigmoid(x) = 1 / (1 + exp(-x))``, elementwise, without overflow.

    ``exp(-x)`` overflows for large negative ``x``; with ``e = exp(-|x|)`` (always <= 1)
    ``sigmoid(x) = 1 / (1 + e)`` for ``x >= 0`` and ``e / (1 + e)`` for ``x < 0``.
    """
    x = _as_float_array("x", x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def tanh(x):
    """``tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))``, elementwise."""
    return np.tanh(_as_float_array("x", x))


def softmax(x, axis=-1):
    """``softmax(x)_j = exp(x_j - max(x)) / sum_k exp(x_k - max(x))`` along ``axis``.

    Subtracting the maximum changes nothing mathematically (it cancels) and keeps ``exp``
    from overflowing. Each slice along ``axis`` sums to 1.
    """
    x = _as_float_array("x", x)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """``log_softmax(x)_j = x_j - m - log(sum_k exp(x_k - m))``, ``m = max(x)``, along ``axis``.

    The log-sum-exp form: never takes the log of a softmax that underflowed to 0.
    """
    x = _as_float_array("x", x)
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# ----------------------------------------------------------------------------------------------
# Linear layer
# ----------------------------------------------------------------------------------------------

class Linear(Module):
    """Fully connected layer ``out = x @ W + b``.

    Equations (forward, x: (N, D) -> out: (N, M), x converted to the dtype of W; backward,
    dout: (N, M) -> dx: (N, D))::

        out = x @ W + b
        dW += x.T @ dout        db += sum_n dout[n]        dx = dout @ W.T

    Args:
        n_in: number of input features D, an integer >= 1.
        n_out: number of output features M, an integer >= 1.
        bias: whether to add ``b`` (True or False).
        init: the name of an initializer in ``nnlesson.init.INITIALIZERS`` or a callable
            ``init(shape, rng=rng) -> array`` for ``W``; the bias starts at zero. The
            default, He uniform, suits ReLU networks; PyTorch's default ``nn.Linear`` init is
            smaller (``U(-1/sqrt(D), 1/sqrt(D))``).
        rng: None, an int seed or a ``numpy.random.Generator``.
        dtype: floating dtype of the parameters (float64 by default).
        input_grad: compute ``dx`` in backward (True or False). ``False`` suits a first layer
            whose input is data: backward then skips ``dx = dout @ W.T`` (a third of the
            layer's work) and returns ``None``, as PyTorch does for an input that does not
            require grad.

    Attributes:
        W: Parameter (D, M), the transpose of PyTorch's ``weight``.
        b: Parameter (M,), or ``None`` when ``bias=False``.

    Raises:
        ValueError, TypeError: a bad size, init, rng or dtype.
    """

    def __init__(self, n_in, n_out, bias=True, init="he_uniform", rng=None, dtype=DEFAULT_DTYPE,
                 input_grad=True):
        self.n_in = check_int("n_in", n_in, low=1)
        self.n_out = check_int("n_out", n_out, low=1)
        bias = check_bool("bias", bias)
        self.input_grad = check_bool("input_grad", input_grad)
        dtype = check_dtype(dtype)
        self.rng = check_rng(rng)
        self.W = Parameter(self._initial_weights(init, dtype), name="W")
        self.b = Parameter(np.zeros(self.n_out, dtype=dtype), name="b") if bias else None
        self._x = None

    def _initial_weights(self, init, dtype):
        shape = (self.n_in, self.n_out)
        if isinstance(init, str):
            if init not in _init.INITIALIZERS:
                names = ", ".join(repr(k) for k in _init.INITIALIZERS)
                raise ValueError(f"init must be one of {names} or a callable; got {init!r}")
            return _init.INITIALIZERS[init](shape, rng=self.rng, dtype=dtype)
        if not callable(init):
            raise TypeError(f"init must be an initializer name or a callable, got {init!r}")
        W = np.asarray(init(shape, rng=self.rng), dtype=dtype)
        if W.shape != shape:
            raise ValueError(f"init must return an array of shape (n_in, n_out) = {shape}, got {W.shape}")
        return W

    def _check_input(self, x):
        x = _as_float_array("x", x, dtype=self.W.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(
                f"x must have shape (N, n_in) with n_in = {self.n_in}, got {x.shape}"
            )
        return x

    def forward(self, x):
        """x: (N, D) -> out: (N, M)."""
        self._x = x = self._check_input(x)
        out = x @ self.W.value
        if self.b is not None:
            out += self.b.value
        return out

    def backward(self, dout):
        """dout: (N, M) -> dx: (N, D) (None if ``input_grad`` is False); adds into the grads."""
        x = _require_forward(self, self._x)
        dout = _check_dout(dout, (x.shape[0], self.n_out), self.W.dtype)
        self.W.grad += x.T @ dout
        if self.b is not None:
            self.b.grad += dout.sum(axis=0)
        return dout @ self.W.value.T if self.input_grad else None

    def __repr__(self):
        return f"{type(self).__name__}(n_in={self.n_in}, n_out={self.n_out}, bias={self.b is not None})"


# ----------------------------------------------------------------------------------------------
# Activation layers
# ----------------------------------------------------------------------------------------------

class ReLU(Module):
    """``out = max(x, 0)``, elementwise; any shape.

    Backward: ``dx = dout * (x > 0)`` (the subgradient 0 is used at ``x = 0``, as PyTorch).
    """

    def __init__(self):
        self._mask = None

    def forward(self, x):
        x = _as_float_array("x", x)
        self._mask = x > 0  # where the unit is on; the only thing backward needs
        return np.maximum(x, 0)

    def backward(self, dout):
        mask = _require_forward(self, self._mask)
        return _check_dout(dout, mask.shape) * mask


class Sigmoid(Module):
    """``out = sigmoid(x) = 1 / (1 + exp(-x))``, elementwise; any shape.

    Backward: ``dx = dout * out * (1 - out)``.
    """

    def __init__(self):
        self._out = None

    def forward(self, x):
        self._out = sigmoid(x)
        return self._out

    def backward(self, dout):
        out = _require_forward(self, self._out)
        return _check_dout(dout, out.shape) * out * (1 - out)


class Tanh(Module):
    """``out = tanh(x)``, elementwise; any shape.

    Backward: ``dx = dout * (1 - out**2)``.
    """

    def __init__(self):
        self._out = None

    def forward(self, x):
        self._out = tanh(x)
        return self._out

    def backward(self, dout):
        out = _require_forward(self, self._out)
        return _check_dout(dout, out.shape) * (1 - out**2)


class Identity(Module):
    """``out = x`` (the regression output function); backward ``dx = dout``."""

    def __init__(self):
        self._shape = None

    def forward(self, x):
        x = _as_float_array("x", x)
        self._shape = x.shape
        return x

    def backward(self, dout):
        return _check_dout(dout, _require_forward(self, self._shape))


class Softmax(Module):
    """``out = softmax(x, axis=-1)``: each row becomes a probability vector; x: (N, C).

    Backward (the Jacobian ``diag(out) - out out^T`` applied to each row)::

        dx = out * (dout - sum_j dout_j out_j)

    For classification prefer ``losses.softmax_cross_entropy`` on the logits: it fuses the
    two steps and is stable.
    """

    def __init__(self):
        self._out = None

    def forward(self, x):
        self._out = softmax(x, axis=-1)
        return self._out

    def backward(self, dout):
        out = _require_forward(self, self._out)
        dout = _check_dout(dout, out.shape)
        return out * (dout - np.sum(dout * out, axis=-1, keepdims=True))


# ----------------------------------------------------------------------------------------------
# Containers
# ----------------------------------------------------------------------------------------------

class Sequential(Module):
    """Layers applied one after the other.

    ``forward`` runs ``layers[0], layers[1], ...``; ``backward`` runs them in reverse order,
    each layer receiving the gradient the next one returned (the chain rule). Supports
    ``len(seq)``, ``seq[i]`` (a slice gives a Sequential sharing the same layers) and
    iteration.
    """

    def __init__(self, *layers):
        for i, layer in enumerate(layers):
            if not isinstance(layer, Module):
                raise TypeError(
                    f"layers[{i}] must be a Module (a layer), got {type(layer).__name__}"
                )
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def __len__(self):
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __iter__(self):
        return iter(self.layers)

    def __repr__(self):
        inner = ",\n".join(f"  {layer!r}" for layer in self.layers)
        return f"Sequential(\n{inner}\n)" if self.layers else "Sequential()"


class Residual(Module):
    """Skip connection around ``block`` (lesson 12): ``y = x + block(x)``.

    ``block(x)`` must have the shape of ``x``.

    Backward: the gradient reaches ``x`` twice, straight through the identity and through
    the block, and the two add::

        dx = dout + block.backward(dout)

    So even when the block's gradient vanishes, ``dout`` itself still arrives.
    """

    def __init__(self, block):
        if not isinstance(block, Module):
            raise TypeError(f"block must be a Module (a layer), got {type(block).__name__}")
        self.block = block
        self._shape = None

    def forward(self, x):
        x = _as_float_array("x", x)
        fx = self.block.forward(x)
        if fx.shape != x.shape:
            raise ValueError(
                f"Residual needs block(x) to have the shape of x: x has shape {x.shape}, "
                f"block(x) has shape {fx.shape}"
            )
        self._shape = x.shape
        return x + fx

    def backward(self, dout):
        dout = _check_dout(dout, _require_forward(self, self._shape))
        return dout + self.block.backward(dout)

    def __repr__(self):
        return f"Residual({self.block!r})"


# ----------------------------------------------------------------------------------------------
# Regularization layers (lesson 11)
# ----------------------------------------------------------------------------------------------

def _check_drop_p(p):
    return check_number("p", p, low=0, high=1, high_open=True)


class Dropout(Module):
    """Inverted dropout: drop each unit with probability ``p`` during training.

    Equations (training, x: any shape -> out: same shape)::

        mask ~ Bernoulli(1 - p)           (True = kept), one entry per element of x
        out  = x * mask / (1 - p)

    Scaling the kept units by ``1 / (1 - p)`` keeps the expected value of every unit equal
    to ``x``, so at inference (``eval()``) the layer is simply the identity; this is the
    convention of ``torch.nn.Dropout``.

    Backward uses the *same* mask: ``dx = dout * mask / (1 - p)`` (a dropped unit did not
    influence the loss, so it gets no gradient). ``mask`` holds the last mask drawn
    (``None`` after an inference-mode forward).

    Args:
        p: drop probability, in [0, 1).
        rng: None, an int seed or a ``numpy.random.Generator`` (draws the masks).

    Raises:
        ValueError, TypeError: a bad ``p`` or ``rng``.
    """

    def __init__(self, p=0.5, rng=None):
        self.p = _check_drop_p(p)
        self.rng = check_rng(rng)
        self.mask = None
        self._shape = None

    def forward(self, x):
        x = _as_float_array("x", x)
        self._shape = x.shape
        if not self.training:
            self.mask = None
            return x
        self.mask = self.rng.random(x.shape) >= self.p  # True with probability 1 - p
        return x * self.mask / (1 - self.p)

    def backward(self, dout):
        dout = _check_dout(dout, _require_forward(self, self._shape))
        if self.mask is None:  # the forward pass ran in inference mode
            return dout
        return dout * self.mask / (1 - self.p)

    def __repr__(self):
        return f"Dropout(p={self.p})"


class DropConnect(Linear):
    """A :class:`Linear` layer whose *weights* are dropped at random during training.

    Equations (training, x: (N, D) -> out: (N, M); backward with the same mask)::

        mask ~ Bernoulli(1 - p)           shape (D, M), True = kept
        W_eff = W * mask / (1 - p)
        out   = x @ W_eff + b
        dW += (x.T @ dout) * mask / (1 - p)     db += sum_n dout[n]     dx = dout @ W_eff.T

    Conventions: one mask per forward call, shared by the whole batch (the original paper
    draws one per example); the bias is never dropped; the inverted scaling makes the expected
    weight equal ``W``, so inference (``eval()``) is the plain linear layer ``x @ W + b``
    (the paper approximates inference with a Gaussian instead).

    Args:
        n_in: as :class:`Linear`.
        n_out: as :class:`Linear`.
        p: the probability to drop each weight, in [0, 1).
        rng: None, an int seed or a ``numpy.random.Generator`` (the weights and the masks).
        bias: as :class:`Linear`.
        init: as :class:`Linear`.
        dtype: as :class:`Linear`.
        input_grad: as :class:`Linear`.

    Raises:
        ValueError, TypeError: as :class:`Linear`, or a bad ``p``.
    """

    def __init__(self, n_in, n_out, p=0.5, rng=None, bias=True, init="he_uniform",
                 dtype=DEFAULT_DTYPE, input_grad=True):
        self.p = _check_drop_p(p)
        super().__init__(n_in, n_out, bias=bias, init=init, rng=rng, dtype=dtype,
                         input_grad=input_grad)
        self.mask = None
        self._W_eff = None

    def forward(self, x):
        if not self.training:
            self.mask = self._W_eff = None
            return super().forward(x)
        self._x = x = self._check_input(x)
        self.mask = self.rng.random(self.W.shape) >= self.p  # True with probability 1 - p
        self._W_eff = self.W.value * self.mask / (1 - self.p)
        out = x @ self._W_eff
        if self.b is not None:
            out += self.b.value
        return out

    def backward(self, dout):
        if self._W_eff is None:  # never ran, or the forward pass ran in inference mode
            return super().backward(dout)
        x = self._x
        dout = _check_dout(dout, (x.shape[0], self.n_out), self.W.dtype)
        self.W.grad += (x.T @ dout) * self.mask / (1 - self.p)
        if self.b is not None:
            self.b.grad += dout.sum(axis=0)
        return dout @ self._W_eff.T if self.input_grad else None

    def __repr__(self):
        return f"DropConnect(n_in={self.n_in}, n_out={self.n_out}, p={self.p}, bias={self.b is not None})"
