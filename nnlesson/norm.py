"""Normalization layers: batch normalization, layer normalization, group normalization.

All three do the same two steps and differ only in *which numbers share a mean and a variance*:

1. standardize:  x_hat = (x - mu) / sqrt(sigma2 + eps)
2. scale, shift: out   = gamma * x_hat + beta        (gamma, beta learnable, one per feature)

=============  ==========================================  =================================
layer          statistics taken over                        x shape
=============  ==========================================  =================================
batch norm     the batch: each feature over the N samples   (N, D)
layer norm     each sample, over its D features             (..., D)
group norm     each sample, over a group of channels        (N, C) or (N, C, L...)
=============  ==========================================  =================================

Conventions (those of PyTorch, and tested against it):

- ``eps`` sits *inside* the square root: ``inv_std = 1 / sqrt(sigma2 + eps)``.
- The variance used to normalize is the *biased* one (divide by the count, not count - 1).
- Batch norm keeps running averages for inference with
  ``running = (1 - momentum) * running + momentum * batch`` and the *unbiased* batch variance;
  see :func:`update_running_stats`.

Each technique is written once, as pure functions that never change their inputs:
``*_forward(x, ...) -> (out, cache)`` and ``*_backward(dout, cache) -> (dx, dgamma, dbeta)``.
The layer classes :class:`BatchNorm`, :class:`LayerNorm` and :class:`GroupNorm` call them.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlesson._validate import check_array, check_bool, check_dtype, check_int, check_number
from nnlesson.core import Module, Parameter

__all__ = [
    "NormCache",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_inference",
    "batchnorm_inference_backward",
    "update_running_stats",
    "layernorm_forward",
    "layernorm_backward",
    "groupnorm_forward",
    "groupnorm_backward",
    "BatchNorm",
    "LayerNorm",
    "GroupNorm",
]


class NormCache(NamedTuple):
    """What a backward pass needs from its forward pass.

    Attributes:
        x_hat:    the standardized input, same shape as x.
        inv_std:  1 / sqrt(sigma2 + eps), one per group of numbers that shared statistics.
        gamma:    the scale used in the forward pass.
        mu:       the mean that was subtracted (batch or running mean).
        sigma2:   the biased variance used to normalize (batch or running variance).
        training: True when mu and sigma2 came from x itself (they depend on x), False when
                  they were fixed running statistics (batch norm at inference).
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    mu: np.ndarray
    sigma2: np.ndarray
    training: bool


# --------------------------------------------------------------------------- argument checks


def _check_x(fname, x, *, min_ndim):
    x = check_array("x", x, allow_nan=True)  # finiteness is checked later, from the statistics
    if x.ndim < min_ndim:
        raise ValueError(f"{fname}: x must have at least {min_ndim} dimension(s), got shape {x.shape}")
    return x


def _vector(fname, name, arr, n, what):
    """``arr`` as an array of shape (n,); ``what`` says what the n values belong to.

    Only the shape is checked: these small vectors are checked on every call, so the check
    must stay cheap.
    """
    arr = np.asarray(arr)
    if arr.shape != (n,):
        raise ValueError(f"{fname}: {name} must have shape ({n},), one value per {what}, "
                         f"got shape {arr.shape}")
    return arr


def _check_affine(fname, gamma, beta, n, what):
    """gamma and beta must be 1-D arrays of length n (``what`` says what n counts)."""
    return _vector(fname, "gamma", gamma, n, what), _vector(fname, "beta", beta, n, what)


def _check_finite(stat, x):
    """Raise if x holds NaN or infinity.

    ``stat`` is a mean of x that was computed anyway: it is NaN or infinite whenever x is, so
    the full (slower) scan of x only runs when something is wrong.
    """
    if not np.isfinite(stat).all():
        bad = x.size - np.count_nonzero(np.isfinite(x))
        if bad:
            raise ValueError(f"x must contain only finite numbers, found {bad} NaN or infinite value(s)")


def _check_dout(dout, cache):
    dout = np.asarray(dout)
    if dout.shape != cache.x_hat.shape:
        raise ValueError(f"dout must have the shape of the forward output {cache.x_hat.shape}, "
                         f"got {dout.shape}")
    return dout


# --------------------------------------------------------------------------- batch norm


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Batch normalization in training mode: each feature standardized over the batch.

    Equations::

        mu      = (1/N) sum_i x_i                     batch mean,              shape (D,)
        sigma2  = (1/N) sum_i (x_i - mu)^2            biased batch variance,   shape (D,)
        inv_std = 1 / sqrt(sigma2 + eps)
        x_hat   = (x - mu) * inv_std                                           shape (N, D)
        out     = gamma * x_hat + beta                                         shape (N, D)

    The lesson writes mu_B, sigma_B^2 and epsilon for mu, sigma2 and eps.

    Args:
        x:     (N, D) mini-batch, N >= 2 samples of D features.
        gamma: (D,) scale.
        beta:  (D,) shift.
        eps:   > 0, added to the variance inside the square root.

    Returns:
        out:   (N, D).
        cache: a :class:`NormCache` for :func:`batchnorm_backward`; ``cache.mu`` and
               ``cache.sigma2`` are the batch statistics (sigma2 biased: divided by N).

    A batch of one sample is refused: its variance is 0, every output would equal beta, and
    the unbiased variance for the running average (divide by N - 1) does not exist.
    """
    x = _check_x("batchnorm_forward", x, min_ndim=2)
    if x.ndim != 2:
        raise ValueError(f"batchnorm_forward: x must have shape (N, D), got shape {x.shape}")
    n, d = x.shape
    if n < 2:
        raise ValueError(
            f"batchnorm_forward needs more than 1 sample per feature in training mode, got x of "
            f"shape {x.shape}: use a batch of 2 or more, or eval mode (running statistics)")
    gamma, beta = _check_affine("batchnorm_forward", gamma, beta, d, "feature (column) of x")
    eps = check_number("eps", eps, low=0, low_open=True)

    mu = x.mean(axis=0)
    _check_finite(mu, x)
    x_hat = x - mu                       # centred for now, standardized two lines down
    sigma2 = np.einsum("ij,ij->j", x_hat, x_hat) / n   # mean of squares, no (N, D) temporary
    inv_std = 1.0 / np.sqrt(sigma2 + eps)
    x_hat *= inv_std
    out = x_hat * gamma
    out += beta
    return out, NormCache(x_hat, inv_std, gamma, mu, sigma2, True)


def batchnorm_backward(dout, cache):
    """Gradients of batch normalization in training mode (the compact closed form).

    Equations::

        dbeta  = sum_i dout_i                                            shape (D,)
        dgamma = sum_i dout_i * x_hat_i                                  shape (D,)
        dx     = gamma * inv_std / N * (N * dout - dbeta - x_hat * dgamma)   shape (N, D)

    Why: x changes out directly and through mu and sigma2, which every sample shares. With
    dx_hat = gamma * dout, the chain rule through x_hat = (x - mu) * inv_std gives, per feature,

        dx = inv_std * (dx_hat - mean_i(dx_hat) - x_hat * mean_i(dx_hat * x_hat))

    (the two means are the paths through mu and through sigma2). Since gamma is the same for
    every sample, sum_i dx_hat_i = gamma * dbeta and sum_i dx_hat_i * x_hat_i = gamma * dgamma,
    which is the line above. A consequence: each column of dx sums to zero.

    Args:
        dout:  (N, D) upstream gradient dL/dout.
        cache: from :func:`batchnorm_forward`.

    Returns:
        dx (N, D), dgamma (D,), dbeta (D,).
    """
    if not cache.training:
        raise ValueError("batchnorm_backward: this cache comes from batchnorm_inference; "
                         "use batchnorm_inference_backward")
    dout = _check_dout(dout, cache)
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    n = dout.shape[0]

    dbeta = dout.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", dout, x_hat)   # sum_i dout * x_hat without an (N, D) temporary
    # dx = gamma * inv_std * (dout - dbeta / N - x_hat * dgamma / N), built in one array
    dx = x_hat * (-dgamma / n)
    dx += dout
    dx -= dbeta / n
    dx *= gamma * inv_std
    return dx, dgamma, dbeta


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Batch normalization in evaluation mode: fixed running statistics instead of the batch's.

    Equations::

        inv_std = 1 / sqrt(running_var + eps)
        x_hat   = (x - running_mean) * inv_std
        out     = gamma * x_hat + beta

    Each sample is normalized on its own, so the output no longer depends on the rest of the
    batch and a batch of one is fine.

    Args:
        x:            (N, D).
        gamma, beta:  (D,).
        running_mean: (D,) from :func:`update_running_stats`.
        running_var:  (D,) likewise, >= 0.
        eps:          > 0.

    Returns:
        out (N, D) and a :class:`NormCache` for :func:`batchnorm_inference_backward`.
    """
    x = _check_x("batchnorm_inference", x, min_ndim=2)
    if x.ndim != 2:
        raise ValueError(f"batchnorm_inference: x must have shape (N, D), got shape {x.shape}")
    d = x.shape[1]
    gamma, beta = _check_affine("batchnorm_inference", gamma, beta, d, "feature (column) of x")
    running_mean = _vector("batchnorm_inference", "running_mean", running_mean, d, "feature (column) of x")
    running_var = _vector("batchnorm_inference", "running_var", running_var, d, "feature (column) of x")
    if np.any(running_var < 0):
        raise ValueError("running_var must be >= 0 everywhere, got a negative value")
    eps = check_number("eps", eps, low=0, low_open=True)

    inv_std = 1.0 / np.sqrt(running_var + eps)
    x_hat = x - running_mean
    x_hat *= inv_std
    _check_finite(x_hat.sum(axis=0), x)
    out = x_hat * gamma
    out += beta
    return out, NormCache(x_hat, inv_std, gamma, running_mean, running_var, False)


def batchnorm_inference_backward(dout, cache):
    """Gradients of :func:`batchnorm_inference`.

    The running statistics are constants here, so the layer is a plain per-feature affine map
    ``out = (gamma * inv_std) * x + const``::

        dx     = dout * gamma * inv_std           shape (N, D)
        dgamma = sum_i dout_i * x_hat_i           shape (D,)
        dbeta  = sum_i dout_i                     shape (D,)
    """
    if cache.training:
        raise ValueError("batchnorm_inference_backward: this cache comes from batchnorm_forward "
                         "(training mode); use batchnorm_backward")
    dout = _check_dout(dout, cache)
    dx = dout * (cache.gamma * cache.inv_std)
    dgamma = np.einsum("ij,ij->j", dout, cache.x_hat)
    dbeta = dout.sum(axis=0)
    return dx, dgamma, dbeta


def _float_copy(a):
    """A copy of ``a`` with a floating dtype (kept if it already is one, else float64)."""
    a = np.asarray(a)
    return a.astype(a.dtype if np.issubdtype(a.dtype, np.floating) else np.float64, copy=True)


def update_running_stats(running_mean, running_var, batch_mean, batch_var_unbiased, momentum,
                         inplace=False):
    """Move the running statistics of batch norm towards one batch's (PyTorch convention).

    Equations::

        running_mean = (1 - momentum) * running_mean + momentum * batch_mean
        running_var  = (1 - momentum) * running_var  + momentum * batch_var_unbiased
        batch_var_unbiased = sigma2 * N / (N - 1)       (sigma2: the biased batch variance)

    ``momentum`` is the weight of the *new* batch (PyTorch's default 0.1): an exponential moving
    average that forgets old batches at rate ``momentum``. Two warnings about the name:

    - it has nothing to do with the optimizer's momentum (lesson 04); it only averages
      statistics for inference and never touches a gradient;
    - Keras' ``BatchNormalization(momentum=0.99)`` means the opposite, the weight of the *old*
      value: Keras momentum m corresponds to PyTorch momentum 1 - m.

    The normalization itself uses the biased variance sigma2; the running average stores the
    unbiased one (N / (N - 1) times larger), as PyTorch does.

    Args:
        running_mean, running_var: (D,) current averages.
        batch_mean:          (D,) mean of the batch (``cache.mu``).
        batch_var_unbiased:  (D,) unbiased variance of the batch.
        momentum:            in [0, 1]; 0 keeps the running values, 1 replaces them.
        inplace:             False (default) returns new arrays and changes nothing; True
                             updates ``running_mean`` and ``running_var`` in place and returns
                             them.

    Returns:
        (running_mean, running_var) after the update.
    """
    momentum = check_number("momentum", momentum, low=0, high=1)
    inplace = check_bool("inplace", inplace)
    if inplace:
        for name, arr in (("running_mean", running_mean), ("running_var", running_var)):
            if not (isinstance(arr, np.ndarray) and np.issubdtype(arr.dtype, np.floating)):
                raise TypeError(f"{name} must be a floating numpy array to be updated in place "
                                f"(inplace=True), got {type(arr).__name__}")
    else:  # work on float copies, so the caller's arrays stay as they were
        running_mean, running_var = _float_copy(running_mean), _float_copy(running_var)
    d = running_mean.shape
    if running_mean.ndim != 1:
        raise ValueError(f"running_mean must have 1 dimension (one value per feature), got shape {d}")
    for name, arr in (("running_var", running_var), ("batch_mean", batch_mean),
                      ("batch_var_unbiased", batch_var_unbiased)):
        if np.shape(arr) != d:
            raise ValueError(f"{name} must have the shape of running_mean {d}, got {np.shape(arr)}")

    running_mean *= 1.0 - momentum
    running_mean += momentum * np.asarray(batch_mean)
    running_var *= 1.0 - momentum
    running_var += momentum * np.asarray(batch_var_unbiased)
    return running_mean, running_var


# --------------------------------------------------------------------------- shared by layer and group norm


def _standardize_last_axis(x, eps):
    """x_hat = (x - mu) / sqrt(sigma2 + eps), statistics over the last axis (kept, size 1)."""
    mu = x.mean(axis=-1, keepdims=True)
    _check_finite(mu, x)
    x_hat = x - mu
    sigma2 = np.einsum("...j,...j->...", x_hat, x_hat)[..., None] / x.shape[-1]
    inv_std = 1.0 / np.sqrt(sigma2 + eps)
    x_hat *= inv_std
    return x_hat, inv_std, mu, sigma2


def _standardize_last_axis_backward(dx_hat, x_hat, inv_std):
    """dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)), means over the last axis.

    The same derivation as :func:`batchnorm_backward`, with the statistics taken along the
    last axis instead of the batch axis.
    """
    proj = np.einsum("...j,...j->...", dx_hat, x_hat)[..., None] / x_hat.shape[-1]
    dx = dx_hat - dx_hat.mean(axis=-1, keepdims=True)
    dx -= x_hat * proj
    dx *= inv_std
    return dx


# --------------------------------------------------------------------------- layer norm


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization: each sample standardized over its own features (last axis).

    Equations (one sample x_n, a vector of D features)::

        mu      = (1/D) sum_j x_nj                     shape (..., 1)
        sigma2  = (1/D) sum_j (x_nj - mu)^2            biased, shape (..., 1)
        inv_std = 1 / sqrt(sigma2 + eps)
        x_hat   = (x - mu) * inv_std                   shape (..., D)
        out     = gamma * x_hat + beta                 gamma, beta: (D,), one per feature

    No statistic is shared between samples: training and inference compute the same thing and
    any batch size works, including 1. Matches ``torch.nn.LayerNorm(D)``.

    Args:
        x:           (..., D), e.g. (N, D) or (N, T, D).
        gamma, beta: (D,).
        eps:         > 0.

    Returns:
        out (same shape as x) and a :class:`NormCache` for :func:`layernorm_backward`.
    """
    x = _check_x("layernorm_forward", x, min_ndim=1)
    gamma, beta = _check_affine("layernorm_forward", gamma, beta, x.shape[-1], "feature (last axis) of x")
    eps = check_number("eps", eps, low=0, low_open=True)
    x_hat, inv_std, mu, sigma2 = _standardize_last_axis(x, eps)
    out = x_hat * gamma
    out += beta
    return out, NormCache(x_hat, inv_std, gamma, mu, sigma2, True)


def layernorm_backward(dout, cache):
    """Gradients of :func:`layernorm_forward`.

    Equations (means over the last axis j, sums over every other axis)::

        dbeta  = sum dout                     shape (D,)
        dgamma = sum dout * x_hat             shape (D,)
        dx_hat = dout * gamma
        dx     = inv_std * (dx_hat - mean_j(dx_hat) - x_hat * mean_j(dx_hat * x_hat))

    Unlike batch norm, gamma varies along the normalized axis, so it cannot be pulled out of
    the means.

    Returns:
        dx (shape of x), dgamma (D,), dbeta (D,).
    """
    dout = _check_dout(dout, cache)
    d = dout.shape[-1]
    dout2 = dout.reshape(-1, d)
    dbeta = dout2.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", dout2, cache.x_hat.reshape(-1, d))
    dx = _standardize_last_axis_backward(dout * cache.gamma, cache.x_hat, cache.inv_std)
    return dx, dgamma, dbeta


# --------------------------------------------------------------------------- group norm


def _channel_shape(x):
    """Shape that broadcasts a per-channel (C,) vector against x of shape (N, C, L...)."""
    return (x.shape[1],) + (1,) * (x.ndim - 2)


def groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5):
    """Group normalization: each sample standardized over groups of C / G channels.

    The C channels are cut into G = num_groups consecutive groups; the mean and variance are
    taken over one sample's channels of one group and all their positions L...

    Equations::

        xg      = x reshaped to (N, G, C/G * L...)
        mu      = mean of xg over its last axis              shape (N, G, 1)
        sigma2  = biased variance of xg over its last axis   shape (N, G, 1)
        inv_std = 1 / sqrt(sigma2 + eps)
        x_hat   = (xg - mu) * inv_std, reshaped back to x's shape
        out     = gamma[c] * x_hat + beta[c]                 gamma, beta: (C,), one per channel

    G = 1 normalizes each sample over all its channels and positions; G = C normalizes each
    channel of each sample on its own (instance norm). Matches ``torch.nn.GroupNorm``.

    Args:
        x:           (N, C) or (N, C, L...).
        gamma, beta: (C,).
        num_groups:  G, a positive integer that divides C.
        eps:         > 0.

    Returns:
        out (same shape as x) and a :class:`NormCache` for :func:`groupnorm_backward`.
    """
    x = _check_x("groupnorm_forward", x, min_ndim=2)
    n, c = x.shape[:2]
    gamma, beta = _check_affine("groupnorm_forward", gamma, beta, c, "channel (axis 1) of x")
    g = check_int("num_groups", num_groups, low=1)
    if c % g:
        raise ValueError(f"num_groups must divide the number of channels x.shape[1] = {c}, got {g}")
    eps = check_number("eps", eps, low=0, low_open=True)

    x_hat, inv_std, mu, sigma2 = _standardize_last_axis(x.reshape(n, g, -1), eps)
    x_hat = x_hat.reshape(x.shape)
    out = x_hat * gamma.reshape(_channel_shape(x))
    out += beta.reshape(_channel_shape(x))
    return out, NormCache(x_hat, inv_std, gamma, mu, sigma2, True)


def groupnorm_backward(dout, cache):
    """Gradients of :func:`groupnorm_forward`.

    Equations (sums over the samples and positions, means over each group)::

        dbeta  = sum dout                      shape (C,)
        dgamma = sum dout * x_hat              shape (C,)
        dx_hat = dout * gamma[c]               then reshaped to (N, G, C/G * L...)
        dx     = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat))

    Returns:
        dx (shape of x), dgamma (C,), dbeta (C,).
    """
    dout = _check_dout(dout, cache)
    x_hat, inv_std, gamma = cache.x_hat, cache.inv_std, cache.gamma
    n, g = inv_std.shape[:2]
    others = (0,) + tuple(range(2, dout.ndim))
    dbeta = dout.sum(axis=others)
    dgamma = (dout * x_hat).sum(axis=others)
    dx_hat = dout * gamma.reshape(_channel_shape(dout))
    dx = _standardize_last_axis_backward(dx_hat.reshape(n, g, -1), x_hat.reshape(n, g, -1), inv_std)
    return dx.reshape(dout.shape), dgamma, dbeta


# --------------------------------------------------------------------------- layers


class _Norm(Module):
    """Shared plumbing: validation, learnable gamma and beta, gradient accumulation."""

    def _init_affine(self, n, eps, affine, dtype):
        self.eps = check_number("eps", eps, low=0, low_open=True)
        self.affine = check_bool("affine", affine)
        dtype = check_dtype(dtype)
        if self.affine:
            self.gamma = Parameter(np.ones(n, dtype=dtype), name="gamma")
            self.beta = Parameter(np.zeros(n, dtype=dtype), name="beta")
        else:
            # fixed gamma = 1, beta = 0: not Parameters, so parameters() is empty
            self.gamma = self.beta = None
            self._ones, self._zeros = np.ones(n, dtype=dtype), np.zeros(n, dtype=dtype)
        self._cache = None
        return dtype

    def _gamma_beta(self):
        if self.affine:
            return self.gamma.value, self.beta.value
        return self._ones, self._zeros

    def _accumulate(self, dgamma, dbeta):
        if self.affine:
            self.gamma.grad += dgamma
            self.beta.grad += dbeta

    def _need_cache(self):
        if self._cache is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._cache


class BatchNorm(_Norm):
    """Batch normalization of (N, D) inputs, as ``torch.nn.BatchNorm1d(D)``.

    Training mode (``train()``, the default): normalize with the batch mean and *biased*
    variance (:func:`batchnorm_forward`), then move ``running_mean`` and ``running_var``
    towards the batch mean and *unbiased* variance (:func:`update_running_stats`,
    ``running = (1 - momentum) * running + momentum * batch``) and count the batch in
    ``num_batches_tracked``. Needs at least 2 samples.

    Evaluation mode (``eval()``): normalize with ``running_mean`` and ``running_var``
    (:func:`batchnorm_inference`); the statistics are constants and backward differentiates
    the fixed affine map.

    Args:
        n_features: D, the number of features (columns of x).
        momentum:   in [0, 1], weight of the new batch in the running averages (PyTorch
                    convention; *not* the optimizer's momentum; Keras' momentum is 1 - this).
        eps:        > 0, added to the variance inside the square root.
        affine:     learn gamma (init 1) and beta (init 0); if False they stay 1 and 0.
        dtype:      floating dtype of gamma, beta and the running statistics.

    Attributes:
        gamma, beta:          Parameters of shape (D,) (None when affine=False).
        running_mean:         (D,), starts at 0.
        running_var:          (D,), starts at 1.
        num_batches_tracked:  number of training batches seen.
    """

    def __init__(self, n_features, momentum=0.1, eps=1e-5, affine=True, dtype=np.float64):
        self.n_features = check_int("n_features", n_features, low=1)
        self.momentum = check_number("momentum", momentum, low=0, high=1)
        dtype = self._init_affine(self.n_features, eps, affine, dtype)
        self.running_mean = np.zeros(self.n_features, dtype=dtype)
        self.running_var = np.ones(self.n_features, dtype=dtype)
        self.num_batches_tracked = 0

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batch tracked."""
        self.running_mean.fill(0.0)
        self.running_var.fill(1.0)
        self.num_batches_tracked = 0

    def _check_input(self, x):
        x = np.asarray(x)  # the function it calls checks the values
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ValueError(f"x must have shape (N, n_features) = (N, {self.n_features}), "
                             f"got shape {x.shape}")
        return x

    def forward(self, x):
        """x: (N, n_features) -> out: (N, n_features)."""
        x = self._check_input(x)
        gamma, beta = self._gamma_beta()
        if not self.training:
            out, self._cache = batchnorm_inference(x, gamma, beta, self.running_mean,
                                                   self.running_var, self.eps)
            return out
        n = x.shape[0]
        if n < 2:
            raise ValueError(
                f"BatchNorm needs more than 1 sample per feature in training mode, got x of shape "
                f"{x.shape}: use a batch of 2 or more, or call eval() to use the running statistics")
        out, self._cache = batchnorm_forward(x, gamma, beta, self.eps)
        batch_var_unbiased = self._cache.sigma2 * (n / (n - 1))
        update_running_stats(self.running_mean, self.running_var, self._cache.mu,
                             batch_var_unbiased, self.momentum, inplace=True)
        self.num_batches_tracked += 1
        return out

    def backward(self, dout):
        """dout: (N, n_features) -> dx: (N, n_features); adds into gamma.grad and beta.grad."""
        cache = self._need_cache()
        if cache.training:
            dx, dgamma, dbeta = batchnorm_backward(dout, cache)
        else:
            dx, dgamma, dbeta = batchnorm_inference_backward(dout, cache)
        self._accumulate(dgamma, dbeta)
        return dx

    def __repr__(self):
        return (f"BatchNorm({self.n_features}, momentum={self.momentum}, eps={self.eps}, "
                f"affine={self.affine})")


class LayerNorm(_Norm):
    """Layer normalization over the last axis, as ``torch.nn.LayerNorm(n_features)``.

    Each sample is standardized over its own ``n_features`` values
    (:func:`layernorm_forward`); training and evaluation modes behave the same.

    Args:
        n_features: D, the size of the last axis of x.
        eps:        > 0, added to the variance inside the square root.
        affine:     learn gamma (init 1) and beta (init 0), shape (D,).
        dtype:      floating dtype of gamma and beta.
    """

    def __init__(self, n_features, eps=1e-5, affine=True, dtype=np.float64):
        self.n_features = check_int("n_features", n_features, low=1)
        self._init_affine(self.n_features, eps, affine, dtype)

    def forward(self, x):
        """x: (..., n_features) -> out: same shape."""
        x = np.asarray(x)  # the function it calls checks the values
        if x.ndim < 1 or x.shape[-1] != self.n_features:
            raise ValueError(f"x must have shape (..., n_features) = (..., {self.n_features}), "
                             f"got shape {x.shape}")
        out, self._cache = layernorm_forward(x, *self._gamma_beta(), self.eps)
        return out

    def backward(self, dout):
        """dout: shape of out -> dx: shape of x; adds into gamma.grad and beta.grad."""
        dx, dgamma, dbeta = layernorm_backward(dout, self._need_cache())
        self._accumulate(dgamma, dbeta)
        return dx

    def __repr__(self):
        return f"LayerNorm({self.n_features}, eps={self.eps}, affine={self.affine})"


class GroupNorm(_Norm):
    """Group normalization, as ``torch.nn.GroupNorm(num_groups, n_channels)``.

    Each sample's channels are split into ``num_groups`` groups, each standardized over its
    channels and positions (:func:`groupnorm_forward`); gamma and beta are per channel.
    Training and evaluation modes behave the same.

    Args:
        num_groups: G, a positive integer that divides n_channels.
        n_channels: C, the size of axis 1 of x, which has shape (N, C) or (N, C, L...).
        eps:        > 0, added to the variance inside the square root.
        affine:     learn gamma (init 1) and beta (init 0), shape (C,).
        dtype:      floating dtype of gamma and beta.
    """

    def __init__(self, num_groups, n_channels, eps=1e-5, affine=True, dtype=np.float64):
        self.num_groups = check_int("num_groups", num_groups, low=1)
        self.n_channels = check_int("n_channels", n_channels, low=1)
        if self.n_channels % self.num_groups:
            raise ValueError(f"n_channels must be divisible by num_groups = {self.num_groups}, "
                             f"got {self.n_channels}")
        self._init_affine(self.n_channels, eps, affine, dtype)

    def forward(self, x):
        """x: (N, n_channels) or (N, n_channels, L...) -> out: same shape."""
        x = np.asarray(x)  # the function it calls checks the values
        if x.ndim < 2 or x.shape[1] != self.n_channels:
            raise ValueError(f"x must have shape (N, n_channels, ...) = (N, {self.n_channels}, ...), "
                             f"got shape {x.shape}")
        out, self._cache = groupnorm_forward(x, *self._gamma_beta(), self.num_groups, self.eps)
        return out

    def backward(self, dout):
        """dout: shape of out -> dx: shape of x; adds into gamma.grad and beta.grad."""
        dx, dgamma, dbeta = groupnorm_backward(dout, self._need_cache())
        self._accumulate(dgamma, dbeta)
        return dx

    def __repr__(self):
        return f"GroupNorm({self.num_groups}, {self.n_channels}, eps={self.eps}, affine={self.affine})"
