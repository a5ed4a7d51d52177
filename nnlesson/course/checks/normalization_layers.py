"""Checks for lesson 10, normalization layers: batch norm forward (with running statistics),
batch norm backward, layer norm forward.

The references are the library's pure functions in :mod:`nnlesson.norm` (PyTorch's
conventions): eps inside the square root, the biased variance to normalize, the unbiased one in
the running average, ``running = (1 - momentum) * running + momentum * batch``.
"""
from __future__ import annotations

import numpy as np

from nnlesson import norm as _norm
from nnlesson.course.checks._core import Case, Mistake, compare_outputs, run_check

__all__ = ["check_batchnorm_forward", "check_batchnorm_backward", "check_layernorm_forward"]


class _Anything:
    """Stands for an output a mistake does not predict (a wrong mean also spoils the running mean
    in ways that depend on how it was written): it matches whatever the student returned."""

    def __repr__(self):
        return "anything"


ANY = _Anything()


def _compare_with_wildcards(output_names):
    def compare(expected, received):
        if (isinstance(expected, tuple) and isinstance(received, (tuple, list))
                and len(expected) == len(received)):
            expected = tuple(r if e is ANY else e for e, r in zip(expected, received))
        return compare_outputs(expected, received, output_names=output_names)

    return compare


def _features(rng, n, d, scale=None):
    """(n, d) values with a different mean and scale per feature, like hidden pre-activations."""
    scale = rng.uniform(0.5, 3.0, d) if scale is None else np.asarray(scale, dtype=float)
    return rng.normal(0.0, 2.0, d) + scale * rng.standard_normal((n, d))


# --------------------------------------------------------------------------- batch norm forward


def _batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1,
                       eps=1e-5):
    """The library's batch norm, returning ``(out, new_running_mean, new_running_var)``."""
    if training:
        out, cache = _norm.batchnorm_forward(x, gamma, beta, eps)
        n = x.shape[0]
        rm, rv = _norm.update_running_stats(running_mean, running_var, cache.mu,
                                            cache.sigma2 * n / (n - 1), momentum)
        return out, rm, rv
    out, _ = _norm.batchnorm_inference(x, gamma, beta, running_mean, running_var, eps)
    return out, np.array(running_mean, dtype=float), np.array(running_var, dtype=float)


def _bn_variant(*, stat_axis=0, var_axis=None, norm_ddof=0, running_ddof=1, eps_inside=True,
                use_eps=True, eval_uses_batch=False, update_in_train=True, update_in_eval=False,
                keras_momentum=False, any_running=False):
    """A batch norm forward with one or more deliberate deviations (for the mistakes).

    ``any_running``: the mistake is about ``out``; in training mode the running statistics it
    returns are :data:`ANY` (they match whatever the student returned).
    """
    var_axis = stat_axis if var_axis is None else var_axis

    def forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
        x = np.asarray(x, dtype=float)
        n = x.shape[0]
        e = eps if use_eps else 0.0

        def normalize(mu, var):
            std = np.sqrt(var + e) if eps_inside else np.sqrt(var) + e
            return gamma * (x - mu) / std + beta

        mu = x.mean(axis=stat_axis, keepdims=True)
        var = ((x - x.mean(axis=var_axis, keepdims=True)) ** 2).sum(axis=var_axis, keepdims=True)
        count = x.shape[var_axis]
        rm, rv = np.array(running_mean, dtype=float), np.array(running_var, dtype=float)
        if training or eval_uses_batch:
            out = normalize(mu, var / max(count - norm_ddof, 1))
        else:
            out = normalize(rm, rv)
        if (training and update_in_train) or (not training and update_in_eval):
            m = 1 - momentum if keras_momentum else momentum
            bmean = x.mean(axis=0)
            bvar = ((x - bmean) ** 2).sum(axis=0) / (n - running_ddof)
            rm = (1 - m) * rm + m * bmean
            rv = (1 - m) * rv + m * bvar
        if training and any_running:
            return out, ANY, ANY
        return out, rm, rv

    return forward


def _bn_forward_mistakes():
    return [
        Mistake("statistics over the wrong axis",
                "Your mean and variance were taken over each sample's features (axis=1), which "
                "is layer norm. Batch norm normalizes each feature over the batch: "
                "mu = x.mean(axis=0), var = x.var(axis=0), one value per column.",
                _bn_variant(stat_axis=1, any_running=True)),
        Mistake("variance over the wrong axis",
                "Your mean is per feature (axis=0), but your variance was taken over each "
                "sample's features (axis=1). Both statistics of batch norm are per feature, "
                "over the batch: var = x.var(axis=0).",
                _bn_variant(stat_axis=0, var_axis=1, any_running=True)),
        Mistake("unbiased variance used to normalize",
                "You normalized with the unbiased variance (divided by N - 1). Batch norm "
                "normalizes with the biased batch variance, divided by N (np.var's default); "
                "only the running average stores the unbiased one.",
                _bn_variant(norm_ddof=1, any_running=True)),
        Mistake("biased running variance",
                "Your running variance was updated with the biased batch variance (divided by N). "
                "PyTorch stores the unbiased one in the running average: "
                "var_unbiased = var * N / (N - 1) (the normalization itself still uses var).",
                _bn_variant(running_ddof=0)),
        Mistake("eps outside the square root",
                "You divided by sqrt(var) + eps. The convention (and PyTorch's) puts eps inside: "
                "x_hat = (x - mu) / sqrt(var + eps). It matters when a feature's variance is "
                "small or zero.",
                _bn_variant(eps_inside=False, any_running=True)),
        Mistake("eps missing",
                "You divided by sqrt(var) without eps: a constant feature (variance 0) then "
                "gives 0 / 0 = NaN. Use x_hat = (x - mu) / sqrt(var + eps).",
                _bn_variant(use_eps=False, any_running=True)),
        Mistake("batch statistics used in eval",
                "In evaluation mode (training=False) you normalized with the batch's own mean "
                "and variance. At inference batch norm uses the running statistics: "
                "x_hat = (x - running_mean) / sqrt(running_var + eps), so a sample's output does "
                "not depend on the rest of its batch (and a batch of 1 works).",
                _bn_variant(eval_uses_batch=True)),
        Mistake("running statistics not updated",
                "In training mode your running mean and variance came back unchanged. Each "
                "training batch must move them: running = (1 - momentum) * running + "
                "momentum * batch_statistic.",
                _bn_variant(update_in_train=False)),
        Mistake("running statistics updated in eval",
                "Your running statistics changed in evaluation mode (training=False). They are "
                "only updated while training; evaluation reads them and returns them unchanged.",
                _bn_variant(update_in_eval=True)),
        Mistake("momentum convention reversed",
                "You weighted the *old* running value by momentum: running = momentum * running "
                "+ (1 - momentum) * batch. That is the Keras convention (Keras momentum 0.99 = "
                "PyTorch momentum 0.01). Here momentum is the weight of the new batch, as in "
                "PyTorch: running = (1 - momentum) * running + momentum * batch.",
                _bn_variant(keras_momentum=True)),
        Mistake("batch statistics in eval and running statistics updated in eval",
                "In evaluation mode you normalized with the batch's statistics and also updated "
                "the running statistics: that is training mode. With training=False use the "
                "running statistics and return them unchanged.",
                _bn_variant(eval_uses_batch=True, update_in_eval=True)),
    ]


def _bn_forward_cases():
    rng = np.random.default_rng(10)
    d = 4
    gamma, beta = rng.uniform(0.5, 2.0, d), rng.normal(0.0, 1.0, d)
    rm, rv = rng.normal(0.0, 1.0, d), rng.uniform(0.5, 2.0, d)
    tiny = _features(rng, 6, d, scale=[1.0, 1e-3, 2.0, 0.5])  # feature 1: variance ~1e-6
    const = _features(rng, 5, d)
    const[:, 2] = 3.0
    return [
        Case("training, a batch of 8", (_features(rng, 8, d), gamma, beta, rm, rv, True)),
        Case("training, a batch of 2", (_features(rng, 2, d), gamma, beta, rm, rv, True)),
        Case("training, momentum 0.3", (_features(rng, 6, d), gamma, beta, rm, rv, True),
             {"momentum": 0.3}),
        Case("training, a feature with variance ~1e-6", (tiny, gamma, beta, rm, rv, True)),
        Case("training, a constant feature", (const, gamma, beta, rm, rv, True)),
        Case("evaluation, a batch of 6", (_features(rng, 6, d), gamma, beta, rm, rv, False)),
        Case("evaluation, a batch of 1", (_features(rng, 1, d), gamma, beta, rm, rv, False)),
    ]


def check_batchnorm_forward(student_batchnorm_forward):
    """Check ``batchnorm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1,
    eps=1e-5) -> (out, running_mean, running_var)`` against :mod:`nnlesson.norm`.

    Cases: training batches of 8 and 2, another momentum, a feature whose variance is near eps,
    a constant feature, and evaluation batches of 6 and 1.
    """
    return run_check("check_batchnorm_forward", student_batchnorm_forward, _bn_forward_cases(),
                     _batchnorm_forward, _bn_forward_mistakes(),
                     compare=_compare_with_wildcards(("out", "running_mean", "running_var")))


# --------------------------------------------------------------------------- batch norm backward


def _batchnorm_backward(dout, x, gamma, eps=1e-5):
    """The library's training-mode batch norm backward: ``(dx, dgamma, dbeta)``."""
    _, cache = _norm.batchnorm_forward(x, gamma, np.zeros_like(gamma), eps)
    return _norm.batchnorm_backward(dout, cache)


def _bn_backward_variant(kind):
    def backward(dout, x, gamma, eps=1e-5):
        mu = x.mean(axis=0)
        inv_std = 1.0 / np.sqrt(x.var(axis=0, ddof=1 if kind == "unbiased" else 0) + eps)
        x_hat = (x - mu) * inv_std
        dbeta = dout.sum(axis=0)
        dgamma = (dout * x_hat).sum(axis=0)
        dx_hat = dout * gamma
        full = inv_std * (dx_hat - dx_hat.mean(axis=0) - x_hat * (dx_hat * x_hat).mean(axis=0))
        if kind == "constant statistics":
            return dx_hat * inv_std, dgamma, dbeta
        if kind == "no variance path":
            return inv_std * (dx_hat - dx_hat.mean(axis=0)), dgamma, dbeta
        if kind == "no mean path":
            return inv_std * (dx_hat - x_hat * (dx_hat * x_hat).mean(axis=0)), dgamma, dbeta
        if kind == "wrong axis":
            return full, (dout * x_hat).sum(axis=1), dout.sum(axis=1)
        if kind == "swapped":
            return full, dbeta, dgamma
        if kind == "x instead of x_hat":
            return full, (dout * x).sum(axis=0), dbeta
        if kind == "gamma missing":
            return (inv_std * (dout - dout.mean(axis=0) - x_hat * (dout * x_hat).mean(axis=0)),
                    dgamma, dbeta)
        if kind == "unbiased":
            return full, dgamma, dbeta
        raise AssertionError(kind)

    return backward


def _bn_backward_mistakes():
    return [
        Mistake("mean and variance treated as constants",
                "Your dx = dout * gamma / sqrt(var + eps) treats the batch mean and variance as "
                "constants. In training mode they are computed from x, so x also changes the "
                "output through them: dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * "
                "mean(dx_hat * x_hat)) with dx_hat = dout * gamma, means over the batch (axis 0). "
                "(Your formula is the one for evaluation mode.)",
                _bn_backward_variant("constant statistics")),
        Mistake("path through the variance missing",
                "dx is missing the term that flows through the variance: "
                "dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * mean(dx_hat * x_hat)); you have "
                "the first two terms only.",
                _bn_backward_variant("no variance path")),
        Mistake("path through the mean missing",
                "dx is missing the term that flows through the mean, - mean(dx_hat) (means over "
                "the batch, axis 0): dx = inv_std * (dx_hat - mean(dx_hat) - x_hat * "
                "mean(dx_hat * x_hat)). A check: each column of dx must sum to zero.",
                _bn_backward_variant("no mean path")),
        Mistake("dgamma and dbeta summed over the wrong axis",
                "dgamma and dbeta must have one value per feature, shape (D,): sum over the batch "
                "(axis 0), dbeta = dout.sum(axis=0), dgamma = (dout * x_hat).sum(axis=0). You "
                "summed over the features (axis 1).",
                _bn_backward_variant("wrong axis")),
        Mistake("dgamma and dbeta swapped",
                "dgamma and dbeta are swapped. out = gamma * x_hat + beta, so dbeta = "
                "sum(dout) and dgamma = sum(dout * x_hat), both over axis 0.",
                _bn_backward_variant("swapped")),
        Mistake("dgamma uses x instead of x_hat",
                "Your dgamma multiplies dout by x. gamma scales the *normalized* input: "
                "dgamma = sum over the batch of dout * x_hat.",
                _bn_backward_variant("x instead of x_hat")),
        Mistake("gamma missing in dx",
                "Your dx lacks the factor gamma: the gradient reaching x_hat is dx_hat = "
                "dout * gamma, and dx is built from dx_hat.",
                _bn_backward_variant("gamma missing")),
        Mistake("unbiased variance in the backward pass",
                "You recomputed the variance with N - 1 (ddof=1). The forward pass normalizes with "
                "the biased batch variance, divided by N (np.var's default), so x_hat and "
                "inv_std in the backward pass must use it too.",
                _bn_backward_variant("unbiased")),
    ]


def check_batchnorm_backward(student_batchnorm_backward):
    """Check ``batchnorm_backward(dout, x, gamma, eps=1e-5) -> (dx, dgamma, dbeta)``.

    Training mode: the batch statistics depend on x.

    Cases: batches of 7 x 3, 2 x 5 and 16 x 4, one with a gamma containing a zero, and one with a
    constant feature.
    """
    rng = np.random.default_rng(20)
    const = _features(rng, 6, 3)
    const[:, 0] = -1.5
    cases = []
    for label, x, gamma in [
        ("a batch of 7 x 3", _features(rng, 7, 3), rng.uniform(0.5, 2.0, 3)),
        ("a batch of 2 x 5", _features(rng, 2, 5), rng.uniform(0.5, 2.0, 5)),
        ("a batch of 16 x 4", _features(rng, 16, 4), rng.uniform(0.5, 2.0, 4)),
        ("gamma with a zero", _features(rng, 5, 3), np.array([1.5, 0.0, 0.7])),
        ("a constant feature", const, rng.uniform(0.5, 2.0, 3)),
    ]:
        cases.append(Case(label, (rng.standard_normal(x.shape), x, gamma)))
    return run_check("check_batchnorm_backward", student_batchnorm_backward, cases,
                     _batchnorm_backward, _bn_backward_mistakes(),
                     output_names=("dx", "dgamma", "dbeta"))


# --------------------------------------------------------------------------- layer norm


def _layernorm_forward(x, gamma, beta, eps=1e-5):
    """The library's layer norm output."""
    return _norm.layernorm_forward(x, gamma, beta, eps)[0]


def _ln_variant(kind):
    def forward(x, gamma, beta, eps=1e-5):
        x = np.asarray(x, dtype=float)
        axis, var_axis, ddof = -1, -1, 0
        if kind == "batch axis":
            axis = var_axis = 0
        elif kind == "variance axis":
            var_axis = 0
        elif kind == "unbiased":
            ddof = 1
        mu = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=var_axis, keepdims=True, ddof=ddof)
        if kind == "eps outside":
            return gamma * (x - mu) / (np.sqrt(var) + eps) + beta
        if kind == "affine before":
            y = gamma * x + beta
            return (y - y.mean(axis=-1, keepdims=True)) / np.sqrt(y.var(axis=-1, keepdims=True)
                                                                  + eps)
        return gamma * (x - mu) / np.sqrt(var + eps) + beta

    return forward


def _ln_mistakes():
    return [
        Mistake("statistics over the batch axis",
                "You took the mean and variance over the batch (axis 0): that is batch norm. "
                "Layer norm standardizes each sample over its own features, the last axis: "
                "mu = x.mean(axis=-1, keepdims=True), var = x.var(axis=-1, keepdims=True).",
                _ln_variant("batch axis")),
        Mistake("variance over the wrong axis",
                "Your mean is over the features (last axis) but your variance is over the batch "
                "(axis 0). Both statistics of layer norm are over the last axis, per sample.",
                _ln_variant("variance axis")),
        Mistake("unbiased variance",
                "You used the unbiased variance (ddof=1, divided by D - 1). Layer norm divides by "
                "D, the number of features: np.var's default (ddof=0), as torch.nn.LayerNorm.",
                _ln_variant("unbiased")),
        Mistake("eps outside the square root",
                "You divided by sqrt(var) + eps. Put eps inside: (x - mu) / sqrt(var + eps).",
                _ln_variant("eps outside")),
        Mistake("scale and shift before normalizing",
                "You applied gamma and beta before standardizing, so they were normalized away. "
                "Standardize first, then out = gamma * x_hat + beta.",
                _ln_variant("affine before")),
    ]


def check_layernorm_forward(student_layernorm_forward):
    """Check ``layernorm_forward(x, gamma, beta, eps=1e-5) -> out`` against :mod:`nnlesson.norm`.

    Cases: a batch of 5 x 6, a batch of one sample, a 3-D input (2, 3, 4), a sample whose
    features are all equal, and a sample whose features differ by ~1e-3.
    """
    rng = np.random.default_rng(30)
    const = _features(rng, 3, 5)
    const[1] = 2.5
    tiny = 1.0 + 1e-3 * rng.standard_normal((2, 4))
    cases = [
        Case("a batch of 5 x 6", (_features(rng, 5, 6), rng.uniform(0.5, 2, 6),
                                  rng.normal(0, 1, 6))),
        Case("a batch of one sample", (_features(rng, 1, 4), rng.uniform(0.5, 2, 4),
                                       rng.normal(0, 1, 4))),
        Case("a 3-D input (2, 3, 4)", (rng.normal(0, 2, (2, 3, 4)), rng.uniform(0.5, 2, 4),
                                       rng.normal(0, 1, 4))),
        Case("a sample with equal features", (const, rng.uniform(0.5, 2, 5), rng.normal(0, 1, 5))),
        Case("features that differ by ~1e-3", (tiny, rng.uniform(0.5, 2, 4), rng.normal(0, 1, 4))),
    ]
    return run_check("check_layernorm_forward", student_layernorm_forward, cases,
                     _layernorm_forward, _ln_mistakes())
