"""Checks for lesson 10, normalization layers, declared as data (see :mod:`._core`).

* ``BatchNorm1d`` (a class): batch norm with running statistics, driven through sequences of
  ``forward``, ``eval()`` and ``train()`` on the same object; the outputs of every step and the
  running statistics after every step are compared with :class:`nnlesson.norm.BatchNorm`.
* ``batchnorm_backward(dout, x, gamma, eps=1e-5) -> (dx, dgamma, dbeta)``: training mode, the
  student derives it (:func:`nnlesson.norm.batchnorm_backward`, checked against PyTorch and
  finite differences in the test suite).
* ``batchnorm_channels(x, gamma, beta, eps=1e-5) -> out``: batch norm of images (N, C, H, W),
  one mean and variance per channel over N, H and W (PyTorch's ``BatchNorm2d``).
* ``layernorm_forward(x, gamma, beta, eps=1e-5) -> out``: :func:`nnlesson.norm.layernorm_forward`.

PyTorch's conventions throughout: eps inside the square root, the biased variance to
normalize, the unbiased one in the running average, ``running = (1 - momentum) * running +
momentum * batch``.
"""
from __future__ import annotations

import numpy as np

from nnlesson import norm as _norm
from nnlesson.course.checks._core import Case, Check, Mistake, Step

__all__ = ["BATCHNORM", "BACKWARD", "CHANNELS", "LAYERNORM", "CHECKS", "check_batchnorm1d",
           "check_batchnorm_backward", "check_batchnorm_channels", "check_layernorm_forward"]

HINTS = ("the idea", "the formula", "a partial line")
FORBIDDEN = ("nnlesson.norm.*",)


def _features(rng, n, d, scale=None):
    """(n, d) values with a different mean and scale per feature, like hidden pre-activations."""
    scale = rng.uniform(0.5, 3.0, d) if scale is None else np.asarray(scale, dtype=float)
    return rng.normal(0.0, 2.0, d) + scale * rng.standard_normal((n, d))


# --------------------------------------------------------------------------- the BatchNorm1d class


class _ReferenceBatchNorm1d:
    """The exercise's interface on the library's :class:`nnlesson.norm.BatchNorm`."""

    def __init__(self, gamma, beta, momentum=0.1, eps=1e-5):
        gamma = np.asarray(gamma, dtype=np.float64)
        self._layer = _norm.BatchNorm(len(gamma), momentum=momentum, eps=eps)
        self._layer.gamma.value[...] = gamma
        self._layer.beta.value[...] = np.asarray(beta, dtype=np.float64)

    @property
    def running_mean(self):
        return self._layer.running_mean

    @property
    def running_var(self):
        return self._layer.running_var

    @property
    def training(self):
        return self._layer.training

    def train(self):
        self._layer.train()
        return self

    def eval(self):
        self._layer.eval()
        return self

    def forward(self, x):
        return self._layer.forward(x)


def _wrong_batchnorm(*, axis=0, norm_ddof=0, running_ddof=1, eps_inside=True,
                     eval_uses_batch=False, update_in_train=True, update_in_eval=False,
                     keras_momentum=False, running_from_start=False, normalize_with_running=False,
                     eval_affine=True, eval_eps_inside=None, eval_eps=True, eval_sqrt=True,
                     running_std=False, bessel_from_features=False, keras_variance_only=False,
                     one_minus_missing=False, first_batch_sets=False, train_affine=True,
                     running_of_output=False, affine_swapped=None, running_corrected_twice=False,
                     eval_update_first=None, bessel_inverted=False, modes_exchanged=False,
                     bessel_unguarded=False):
    """A BatchNorm1d with deliberate deviations (written out: the library is forbidden).

    ``affine_swapped``: ``"eval"`` or ``"both"`` (modes computing ``beta * x_hat + gamma``).
    ``eval_update_first``: ``"guarded"`` (batches of more than one) or ``"always"``: in evaluation
    mode the running statistics are updated first, then used to normalize.
    ``modes_exchanged``: ``if not self.training`` where ``if self.training`` belongs.
    ``bessel_unguarded``: ``N / (N - 1)`` for a batch of one too (``0 * inf = NaN``).
    """

    class Wrong:
        def __init__(self, gamma, beta, momentum=0.1, eps=1e-5):
            self.gamma = np.array(gamma, dtype=float)
            self.beta = np.array(beta, dtype=float)
            self.momentum, self.eps = momentum, eps
            self.running_mean = np.zeros(len(self.gamma))
            self.running_var = np.ones(len(self.gamma))
            self.training = True
            self._batches = 0

        def train(self):
            self.training = True

        def eval(self):
            self.training = False

        def _affine(self, x_hat, mode):
            if affine_swapped in (mode, "both"):
                return self.beta * x_hat + self.gamma
            return self.gamma * x_hat + self.beta

        def _normalize(self, x, mu, var, inside=eps_inside, mode="train"):
            std = np.sqrt(var + self.eps) if inside else np.sqrt(var) + self.eps
            return self._affine((x - mu) / std, mode)

        def forward(self, x):
            x = np.asarray(x, dtype=float)
            n = x.shape[0]
            if modes_exchanged:
                self.training = not self.training
                try:
                    return self._forward(x, n)
                finally:
                    self.training = not self.training
            return self._forward(x, n)

        def _forward(self, x, n):
            update = (self.training and update_in_train) or \
                (not self.training and update_in_eval and n > 1)
            if update and normalize_with_running:  # the running statistics first, then used
                self._update(x, n, None)
            if not self.training and eval_update_first and \
                    (n > 1 or eval_update_first == "always"):
                with np.errstate(divide="ignore", invalid="ignore"):  # a batch of 1: 0 * inf
                    self._update(x, n, None)
            if self.training or eval_uses_batch:
                if normalize_with_running:
                    out = self._normalize(x, self.running_mean, self.running_var)
                else:
                    mu = x.mean(axis=axis, keepdims=True)
                    var = x.var(axis=axis, keepdims=True, ddof=norm_ddof)
                    if self.training and not train_affine:
                        std = np.sqrt(var + self.eps) if eps_inside else np.sqrt(var) + self.eps
                        out = (x - mu) / std
                    else:
                        out = self._normalize(x, mu, var)
            elif not eval_affine:
                out = (x - self.running_mean) / np.sqrt(self.running_var + self.eps)
            elif not eval_eps:  # no eps in evaluation mode
                out = self._affine((x - self.running_mean) / np.sqrt(self.running_var), "eval")
            elif not eval_sqrt:  # divided by the variance in evaluation mode
                out = self._affine((x - self.running_mean) / (self.running_var + self.eps),
                                   "eval")
            else:
                inside = eps_inside if eval_eps_inside is None else eval_eps_inside
                out = self._normalize(x, self.running_mean, self.running_var, inside, "eval")
            if update and not normalize_with_running:
                self._update(x, n, out)
            return out

        def _update(self, x, n, out):
            if running_of_output:  # the statistics of the normalized output, not of x
                x = out
            m = 1 - self.momentum if keras_momentum else self.momentum
            mean = x.mean(axis=0)
            count = x.shape[1] if bessel_from_features else n
            if bessel_unguarded:
                with np.errstate(divide="ignore", invalid="ignore"):
                    var = x.var(axis=0) * (count / np.float64(count - running_ddof))
            else:
                var = x.var(axis=0) * (count / (count - running_ddof) if count > running_ddof
                                       else 1.0)
            if bessel_inverted:  # (N - 1) / N where N / (N - 1) belongs
                var = x.var(axis=0) * (n - 1) / n
            if running_corrected_twice:  # the unbiased variance, corrected once more
                var = x.var(axis=0, ddof=1) * n / (n - 1)
            if running_std:
                var = np.sqrt(var)
            first = self._batches == 0
            self._batches += 1
            if running_from_start or (first_batch_sets and first):
                self.running_mean, self.running_var = mean, var
            elif one_minus_missing:
                self.running_mean = self.running_mean + m * mean
                self.running_var = self.running_var + m * var
            else:
                m_var = 1 - m if keras_variance_only else m
                self.running_mean = (1 - m) * self.running_mean + m * mean
                self.running_var = (1 - m_var) * self.running_var + m_var * var

    return Wrong


#: The BatchNorm1d mistakes: key -> (flags of :func:`_wrong_batchnorm`, name, explanation, hint).
_BN_SINGLES = {
    "eval_batch": (dict(eval_uses_batch=True), "batch statistics in eval",
                   "In evaluation mode your layer normalizes with the batch's own mean and "
                   "variance. After eval() batch norm uses the running statistics, so that a "
                   "sample's output does not depend on the rest of its batch (and a batch of 1 "
                   "works).", 1),
    "no_update": (dict(update_in_train=False), "running statistics not updated",
                  "Your running mean and variance never change in training mode. Each training "
                  "batch must move them: running = (1 - momentum) * running + momentum * batch "
                  "statistic.", 2),
    "eval_update": (dict(update_in_eval=True), "running statistics updated in eval",
                    "Your running statistics also change in evaluation mode. They are updated "
                    "only while training; eval() reads them and leaves them as they are.", 1),
    "axis": (dict(axis=1), "statistics over the wrong axis",
             "Your mean and variance were taken over each sample's features (axis=1), which is "
             "layer norm. Batch norm normalizes each feature over the batch: one mean and one "
             "variance per column, axis=0.", 2),
    "norm_ddof": (dict(norm_ddof=1), "unbiased variance used to normalize",
                  "You normalized with the unbiased variance (divided by N - 1). Batch norm "
                  "normalizes with the biased batch variance, divided by N (np.var's default); "
                  "only the running average stores the unbiased one.", 2),
    "running_biased": (dict(running_ddof=0), "biased running variance",
                       "Your running variance was updated with the biased batch variance "
                       "(divided by N). PyTorch stores the unbiased one in the running average: "
                       "var * N / (N - 1) (the normalization itself still uses var).", 2),
    "eps_out": (dict(eps_inside=False), "eps outside the square root",
                "You divided by sqrt(var) + eps. The convention (and PyTorch's) puts eps inside: "
                "(x - mu) / sqrt(var + eps). It matters when a feature's variance is small or "
                "zero.", 2),
    "eps_out_train": (dict(eps_inside=False, eval_eps_inside=True), "eps outside the square root",
                      "In training mode you divided by sqrt(var) + eps. The convention (and "
                      "PyTorch's) puts eps inside, in both modes: (x - mu) / sqrt(var + eps), as "
                      "your evaluation branch does.", 2),
    "eval_no_eps": (dict(eval_eps=False), "eps missing in eval",
                    "In evaluation mode you divided by sqrt(running_var) without eps. eps sits "
                    "inside the square root in both modes: (x - running_mean) / "
                    "sqrt(running_var + eps).", 2),
    "eval_no_sqrt": (dict(eval_sqrt=False), "square root missing in eval",
                     "In evaluation mode you divided by running_var + eps, a variance. "
                     "Standardizing divides by a standard deviation: (x - running_mean) / "
                     "sqrt(running_var + eps).", 2),
    "running_std": (dict(running_std=True), "standard deviation in the running variance",
                    "Your running variance averages standard deviations (you fed it the square "
                    "root of the batch variance). It stores variances: running_var = "
                    "(1 - momentum) * running_var + momentum * var * N / (N - 1).", 2),
    "bessel_d": (dict(bessel_from_features=True), "N - 1 from the number of features",
                 "Your unbiased variance uses the number of features D: var * D / (D - 1). The "
                 "correction counts the values each variance was computed from, the N samples "
                 "of the batch: var * N / (N - 1), with N = x.shape[0].", 2),
    "running_twice": (dict(running_corrected_twice=True), "running variance corrected twice",
                      "Your running variance is the unbiased variance times N / (N - 1) once "
                      "more: the correction was applied twice. Feed it var * N / (N - 1) with "
                      "the BIASED var (np.var's default), or np.var(x, axis=0, ddof=1) alone.",
                      2),
    "keras_var": (dict(keras_variance_only=True), "momentum convention reversed for the variance",
                  "Your running mean is right, but your running variance weights the OLD value "
                  "by momentum (running_var = momentum * running_var + (1 - momentum) * batch), "
                  "the Keras convention. Both running statistics use the same rule: "
                  "(1 - momentum) * running + momentum * batch.", 2),
    "keras": (dict(keras_momentum=True), "momentum convention reversed",
              "You weighted the *old* running value by momentum: running = momentum * running "
              "+ (1 - momentum) * batch. That is the Keras convention. Here momentum is the "
              "weight of the NEW batch, as in PyTorch: running = (1 - momentum) * running + "
              "momentum * batch.", 2),
    "one_minus": (dict(one_minus_missing=True), "(1 - momentum) missing",
                  "Your running statistics only grow: running = running + momentum * batch. The "
                  "old value must shrink by the same weight the new batch gets: running = "
                  "(1 - momentum) * running + momentum * batch.", 2),
    "replaced": (dict(running_from_start=True), "running statistics replaced",
                 "Your running statistics are just the last batch's statistics: they must be a "
                 "moving average of all the training batches, (1 - momentum) * running + "
                 "momentum * batch.", 2),
    "first_batch": (dict(first_batch_sets=True), "running statistics start from the first batch",
                    "Your first training batch replaces the running statistics. They start at "
                    "0 and 1 and every batch, the first one too, moves them by the same rule: "
                    "(1 - momentum) * running + momentum * batch.", 2),
    "of_output": (dict(running_of_output=True), "running statistics of the output",
                  "Your running statistics average the mean and variance of the layer's OUTPUT "
                  "(after normalizing). They must track the INPUT x, whose statistics eval() "
                  "needs to normalize with: the batch's mu and var * N / (N - 1).", 2),
    "eval_no_affine": (dict(eval_affine=False), "gamma and beta missing in eval",
                       "In evaluation mode your output is the standardized x alone: gamma and "
                       "beta are missing. The learned scale and shift apply in both modes: "
                       "gamma * x_hat + beta.", 2),
    "train_no_affine": (dict(train_affine=False), "gamma and beta missing in training",
                        "In training mode your output is the standardized x alone: gamma and "
                        "beta are missing. The learned scale and shift apply in both modes: "
                        "gamma * x_hat + beta.", 2),
    "swapped_eval": (dict(affine_swapped="eval"), "gamma and beta exchanged in eval",
                     "In evaluation mode you computed beta * x_hat + gamma: gamma and beta are "
                     "exchanged. gamma scales, beta shifts: gamma * x_hat + beta.", 2),
    "swapped": (dict(affine_swapped="both"), "gamma and beta exchanged",
                "You computed beta * x_hat + gamma: gamma and beta are exchanged. gamma scales, "
                "beta shifts: gamma * x_hat + beta.", 2),
    "eval_update_first": (dict(eval_update_first="guarded"), "running statistics updated in eval",
                          "In evaluation mode your layer first moves the running statistics "
                          "towards the batch, then normalizes with them. They are updated only "
                          "while training; eval() reads them and leaves them as they are.", 1),
    "eval_update_first_1": (dict(eval_update_first="always", bessel_unguarded=True),
                            "running statistics updated in eval",
                            "In evaluation mode your layer first moves the running statistics "
                            "towards the batch, then normalizes with them (and a batch of one "
                            "gives N / (N - 1) = 1 / 0). They are updated only while training; "
                            "eval() reads them and leaves them as they are.", 1),
    "no_affine": (dict(train_affine=False, eval_affine=False), "gamma and beta missing",
                  "Your output is the standardized x alone, in both modes: the learned scale "
                  "and shift are missing. out = gamma * x_hat + beta.", 2),
    "bessel_inverted": (dict(bessel_inverted=True), "Bessel's correction inverted",
                        "Your running variance is fed var * (N - 1) / N, smaller than the biased "
                        "variance: the correction is upside down. The unbiased variance divides "
                        "by N - 1, so it is var * N / (N - 1), larger.", 2),
    "eval_eps_out": (dict(eval_eps_inside=False), "eps outside the square root in eval",
                     "In evaluation mode you divided by sqrt(running_var) + eps. eps sits inside "
                     "the square root in both modes, as your training branch has it: "
                     "(x - running_mean) / sqrt(running_var + eps).", 2),
    "modes_exchanged": (dict(modes_exchanged=True), "training and evaluation exchanged",
                        "Your two branches are exchanged (`if not self.training`?): in training "
                        "mode your layer normalizes with the running statistics, and in "
                        "evaluation mode it uses the batch's statistics and updates the running "
                        "ones. Training: the batch's statistics and the update; eval(): the "
                        "running statistics, unchanged.", 1),
    "modes_exchanged_1": (dict(modes_exchanged=True, bessel_unguarded=True),
                          "training and evaluation exchanged",
                          "Your two branches are exchanged (`if not self.training`?): in "
                          "training mode your layer normalizes with the running statistics, and "
                          "in evaluation mode it uses the batch's statistics and updates the "
                          "running ones (a batch of one then gives N / (N - 1) = 1 / 0). "
                          "Training: the batch's statistics and the update; eval(): the running "
                          "statistics, unchanged.", 1),
    "running_in_train": (dict(normalize_with_running=True), "running statistics used in training",
                         "In training mode your layer normalizes with the running statistics. "
                         "Training uses the batch's own mean and (biased) variance; the running "
                         "statistics are for eval().", 1),
}

#: Two mistakes at once, each from a different part of the layer (what normalizes in training,
#: what goes into the running statistics, how they are averaged, what eval() does): the pairs
#: students write most (the unbiased variance in the wrong place, eps outside, a reversed or
#: incomplete average, an eval branch that still updates).
_BN_PAIRS = [
    ("norm_ddof", "running_biased"), ("norm_ddof", "running_twice"), ("norm_ddof", "keras"),
    ("norm_ddof", "eval_update"), ("norm_ddof", "replaced"), ("norm_ddof", "one_minus"),
    ("eps_out", "running_biased"), ("eps_out", "keras"), ("eps_out", "eval_update"),
    ("eps_out", "replaced"), ("eps_out", "norm_ddof"),
    ("running_biased", "keras"), ("running_biased", "eval_update"),
    ("running_biased", "one_minus"), ("running_biased", "eval_batch"),
    ("keras", "eval_update"), ("keras", "eval_batch"), ("one_minus", "eval_update"),
    ("replaced", "eval_update"), ("no_update", "eval_batch"), ("eval_batch", "norm_ddof"),
    ("eval_no_affine", "running_biased"), ("eval_no_affine", "keras"),
    # the running update at the top of forward, before the mode branch, with a second mistake
    ("norm_ddof", "eval_update_first"), ("eps_out", "eval_update_first"),
    ("running_biased", "eval_update_first"), ("keras", "eval_update_first"),
    ("one_minus", "eval_update_first"), ("replaced", "eval_update_first"),
]


def _bn_single(key):
    flags, name, explanation, hint = _BN_SINGLES[key]
    return Mistake(name, explanation, _wrong_batchnorm(**flags), hint=hint)


def _bn_pair(first, second):
    flags_1, name_1, text_1, hint_1 = _BN_SINGLES[first]
    flags_2, name_2, text_2, hint_2 = _BN_SINGLES[second]
    return Mistake(f"{name_1} + {name_2}", f"Two mistakes. {text_1} And: {text_2}",
                   _wrong_batchnorm(**flags_1, **flags_2), hint=min(hint_1, hint_2))


def _batchnorm_cases():
    rng = np.random.default_rng(10)
    d = 4
    gamma, beta = rng.uniform(0.5, 2.0, d), rng.normal(0.0, 1.0, d)
    x = [_features(rng, n, d) for n in (8, 6, 5, 7, 2)]
    const = _features(rng, 6, d)
    const[:, 2] = 3.0
    return [
        Case("two training batches, then eval", (gamma, beta),
             steps=(Step("forward", (x[0],)), Step("forward", (x[1],)), Step("eval"),
                    Step("forward", (x[2],)))),
        Case("train -> eval -> train -> eval on the same layer", (gamma, beta),
             steps=(Step("forward", (x[0],)), Step("eval"), Step("forward", (x[1],)),
                    Step("train"), Step("forward", (x[3],)), Step("eval"),
                    Step("forward", (x[2],)))),
        Case("momentum 0.3 and eps 1e-3, a constant feature, then a batch of 1 in eval",
             (gamma, beta), {"momentum": 0.3, "eps": 1e-3},
             steps=(Step("forward", (const,)), Step("forward", (x[3],)), Step("eval"),
                    Step("forward", (x[2][:1],)))),
        Case("a fresh layer in eval mode (running statistics 0 and 1)", (gamma, beta),
             steps=(Step("eval"), Step("forward", (x[1],)))),
        Case("a batch of 2 in training, then eval", (gamma, beta), {"momentum": 0.5},
             steps=(Step("forward", (x[4],)), Step("eval"), Step("forward", (x[0],)))),
    ]


BATCHNORM = Check(
    name="check_batchnorm1d",
    function="BatchNorm1d",
    reference=_ReferenceBatchNorm1d,
    takes="class",
    state=("running_mean", "running_var"),
    cases=_batchnorm_cases,
    mistakes=(*[_bn_single(key) for key in _BN_SINGLES],
               *[_bn_pair(a, b) for a, b in _BN_PAIRS]),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``BatchNorm1d(gamma, beta, momentum=0.1, eps=1e-5)`` with ``forward(x)``, ``train()``, "
        "``eval()``, ``running_mean`` (starts at 0) and ``running_var`` (starts at 1)",
)
check_batchnorm1d = BATCHNORM.check_function()


# --------------------------------------------------------------------------- batch norm backward


def _batchnorm_backward(dout, x, gamma, eps=1e-5):
    """The library's training-mode batch norm backward: ``(dx, dgamma, dbeta)``."""
    _, cache = _norm.batchnorm_forward(x, gamma, np.zeros_like(gamma), eps)
    return _norm.batchnorm_backward(dout, cache)


def _backward_variant(kind):
    def backward(dout, x, gamma, eps=1e-5):
        mu = x.mean(axis=0)
        inv_std = 1.0 / np.sqrt(x.var(axis=0, ddof=1 if kind == "unbiased" else 0) + eps)
        x_hat = (x - mu) * inv_std
        dbeta = dout.sum(axis=0)
        dgamma = (dout * x_hat).sum(axis=0)
        d_hat = dout * gamma
        full = inv_std * (d_hat - d_hat.mean(axis=0) - x_hat * (d_hat * x_hat).mean(axis=0))
        if kind == "constant statistics":
            return d_hat * inv_std, dgamma, dbeta
        if kind == "no variance path":
            return inv_std * (d_hat - d_hat.mean(axis=0)), dgamma, dbeta
        if kind == "no mean path":
            return inv_std * (d_hat - x_hat * (d_hat * x_hat).mean(axis=0)), dgamma, dbeta
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
        if kind == "sums for means":
            return (inv_std * (d_hat - d_hat.sum(axis=0) - x_hat * (d_hat * x_hat).sum(axis=0)),
                    dgamma, dbeta)
        if kind == "variance path sign":
            return (inv_std * (d_hat - d_hat.mean(axis=0) + x_hat * (d_hat * x_hat).mean(axis=0)),
                    dgamma, dbeta)
        if kind == "variance path without 1/N":  # the graph, step by step, one 1/N forgotten
            n = x.shape[0]
            xc = x - mu
            dvar = (d_hat * xc).sum(axis=0) * -0.5 * inv_std ** 3
            dmu = -(d_hat * inv_std).sum(axis=0) + dvar * (-2.0 * xc).mean(axis=0)
            return d_hat * inv_std + dvar * 2.0 * xc + dmu / n, dgamma, dbeta
        if kind in ("dvar exponent", "dvar without -1/2"):  # the graph, step by step
            n = x.shape[0]
            xc = x - mu
            var = x.var(axis=0)
            if kind == "dvar exponent":
                dvar = (d_hat * xc).sum(axis=0) * -0.5 * (var + eps) ** -0.5
            else:
                dvar = -(d_hat * xc).sum(axis=0) * (var + eps) ** -1.5
            dmu = -(d_hat * inv_std).sum(axis=0)
            return d_hat * inv_std + dvar * 2.0 * xc / n + dmu / n, dgamma, dbeta
        if kind == "centred x in dgamma":
            return full, (dout * (x - mu)).sum(axis=0), dbeta
        if kind == "eps left out of dvar":
            n = x.shape[0]
            xc = x - mu
            with np.errstate(divide="ignore", invalid="ignore"):
                dvar = (d_hat * xc).sum(axis=0) * -0.5 * x.var(axis=0) ** -1.5
            dmu = -(d_hat * inv_std).sum(axis=0)
            return d_hat * inv_std + dvar * 2.0 * xc / n + dmu / n, dgamma, dbeta
        if kind == "mean path without 1/N":
            n = x.shape[0]
            xc = x - mu
            dvar = (d_hat * xc).sum(axis=0) * -0.5 * inv_std ** 3
            dmu = -(d_hat * inv_std).sum(axis=0)
            return d_hat * inv_std + dvar * 2.0 * xc / n + dmu, dgamma, dbeta
        if kind == "x instead of x_hat in dx":
            return (inv_std * (d_hat - d_hat.mean(axis=0) - x * (d_hat * x).mean(axis=0)),
                    dgamma, dbeta)
        if kind == "gamma in dgamma":
            return full, (d_hat * x_hat).sum(axis=0), dbeta
        if kind == "eps left out":
            inv = 1.0 / np.sqrt(x.var(axis=0))
            xh = (x - mu) * inv
            return (inv * (d_hat - d_hat.mean(axis=0) - xh * (d_hat * xh).mean(axis=0)),
                    (dout * xh).sum(axis=0), dbeta)
        if kind == "dx only":
            return full
        if kind == "inv_std missing":
            return d_hat - d_hat.mean(axis=0) - x_hat * (d_hat * x_hat).mean(axis=0), dgamma, dbeta
        if kind == "gamma in dbeta":
            return full, dgamma, d_hat.sum(axis=0)
        if kind == "not summed":
            return full, dout * x_hat, dout
        if kind == "dx over the features":
            return (inv_std * (d_hat - d_hat.mean(axis=1, keepdims=True)
                               - x_hat * (d_hat * x_hat).mean(axis=1, keepdims=True)),
                    dgamma, dbeta)
        if kind == "eps outside":
            inv = 1.0 / (np.sqrt(x.var(axis=0)) + eps)
            xh = (x - mu) * inv
            return (inv * (d_hat - d_hat.mean(axis=0) - xh * (d_hat * xh).mean(axis=0)),
                    (dout * xh).sum(axis=0), dbeta)
        if kind == "gamma in dgamma and dbeta":
            return full, (d_hat * x_hat).sum(axis=0), d_hat.sum(axis=0)
        if kind == "std instead of inverse":
            std = np.sqrt(x.var(axis=0) + eps)
            return std * (d_hat - d_hat.mean(axis=0) - x_hat * (d_hat * x_hat).mean(axis=0)), \
                dgamma, dbeta
        raise AssertionError(kind)

    return backward


def _backward_cases():
    rng = np.random.default_rng(20)
    const = _features(rng, 6, 3)
    const[:, 0] = -1.5
    cases = []
    for label, x, gamma, kwargs in [
        ("a batch of 7 x 3", _features(rng, 7, 3), rng.uniform(0.5, 2.0, 3), {}),
        ("a batch of 2 x 5", _features(rng, 2, 5), rng.uniform(0.5, 2.0, 5), {}),
        ("a batch of 16 x 4, eps = 0.1", _features(rng, 16, 4), rng.uniform(0.5, 2.0, 4),
         {"eps": 0.1}),
        ("gamma with a zero", _features(rng, 5, 3), np.array([1.5, 0.0, 0.7]), {}),
        ("a constant feature", const, rng.uniform(0.5, 2.0, 3), {}),
    ]:
        cases.append(Case(label, (rng.standard_normal(x.shape), x, gamma), kwargs))
    return cases


BACKWARD = Check(
    name="check_batchnorm_backward",
    function="batchnorm_backward",
    reference=_batchnorm_backward,
    cases=_backward_cases,
    mistakes=(
        Mistake("mean and variance treated as constants",
                "Your dx = dout * gamma / sqrt(var + eps) treats the batch mean and variance as "
                "constants. In training mode they are computed from x, so every x also changes "
                "the output of every other sample through them: two more paths. (Your formula "
                "is the one for evaluation mode.)", _backward_variant("constant statistics"),
                hint=1),
        Mistake("path through the variance missing",
                "dx is missing the term that flows through the variance, the one proportional "
                "to x_hat: - x_hat * mean(dx_hat * x_hat) inside the bracket.",
                _backward_variant("no variance path"), hint=2),
        Mistake("path through the mean missing",
                "dx is missing the term that flows through the mean, - mean(dx_hat) over the "
                "batch. A check you can make yourself: each column of dx must sum to zero, "
                "because adding a constant to a feature changes nothing after batch norm.",
                _backward_variant("no mean path"), hint=2),
        Mistake("dgamma and dbeta summed over the wrong axis",
                "dgamma and dbeta must have one value per feature, shape (D,): sum over the "
                "batch (axis 0). You summed over the features (axis 1).",
                _backward_variant("wrong axis"), hint=3),
        Mistake("dgamma and dbeta swapped",
                "dgamma and dbeta are swapped. out = gamma * x_hat + beta, so dbeta = "
                "sum(dout) and dgamma = sum(dout * x_hat), both over axis 0.",
                _backward_variant("swapped"), hint=2),
        Mistake("dgamma uses x instead of x_hat",
                "Your dgamma multiplies dout by x. gamma scales the *normalized* input: "
                "dgamma = sum over the batch of dout * x_hat.",
                _backward_variant("x instead of x_hat"), hint=2),
        Mistake("gamma missing in dx",
                "Your dx lacks the factor gamma: the gradient reaching x_hat is dx_hat = "
                "dout * gamma, and dx is built from dx_hat.", _backward_variant("gamma missing"),
                hint=2),
        Mistake("unbiased variance in the backward pass",
                "You recomputed the variance with N - 1 (ddof=1). The forward pass normalizes "
                "with the biased batch variance, divided by N, so x_hat and 1 / sqrt(var + eps) "
                "in the backward pass must use it too.", _backward_variant("unbiased"), hint=3),
        Mistake("sums instead of means in dx",
                "Your dx uses sums over the batch where the formula has means: the mean and the "
                "variance each divide by N, and so do the two terms that flow back through them.",
                _backward_variant("sums for means"), hint=2),
        Mistake("sign of the variance path",
                "The term that flows through the variance has the wrong sign: a larger variance "
                "shrinks every x_hat, so that term is SUBTRACTED, - x_hat * mean(dx_hat * x_hat).",
                _backward_variant("variance path sign"), hint=2),
        Mistake("1/N missing in the variance path",
                "Your dx misses a 1/N in the path through the variance: sigma^2 is a MEAN over "
                "the batch, so d sigma^2 / d x_i = 2 (x_i - mu) / N. (Going through the graph "
                "step by step, the term dvar * 2 (x - mu) needs a / N.)",
                _backward_variant("variance path without 1/N"), hint=1),
        Mistake("dvar with the wrong power",
                "Your path through the variance uses (var + eps)^(-1/2) where the derivative of "
                "(var + eps)^(-1/2) is -1/2 (var + eps)^(-3/2): dvar = sum(dx_hat * (x - mu)) * "
                "(-1/2) (var + eps)^(-3/2).", _backward_variant("dvar exponent"), hint=1),
        Mistake("-1/2 missing in dvar",
                "Your dvar is twice too large: the derivative of (var + eps)^(-1/2) carries a "
                "factor -1/2, dvar = sum(dx_hat * (x - mu)) * (-1/2) (var + eps)^(-3/2).",
                _backward_variant("dvar without -1/2"), hint=1),
        Mistake("gamma in dgamma",
                "Your dgamma multiplies by gamma: out = gamma * x_hat + beta, so "
                "d out / d gamma = x_hat and dgamma = sum over the batch of dout * x_hat (gamma "
                "belongs in dx, not in dgamma).", _backward_variant("gamma in dgamma"), hint=2),
        Mistake("x - mu in dgamma",
                "Your dgamma multiplies dout by x - mu, the centred input. gamma scales the "
                "NORMALIZED input: dgamma = sum over the batch of dout * x_hat, with "
                "x_hat = (x - mu) / sqrt(var + eps).", _backward_variant("centred x in dgamma"),
                hint=2),
        Mistake("eps left out of dvar",
                "Your path through the variance uses var^(-3/2) without eps: it divides by zero "
                "for a constant feature. The forward pass used var + eps, so dvar carries "
                "(var + eps)^(-3/2).", _backward_variant("eps left out of dvar"), hint=1),
        Mistake("1/N missing in the mean path",
                "Your path through the mean lacks its 1/N: mu is a MEAN over the batch, so "
                "d mu / d x_i = 1 / N, and the term dmu reaches each x_i as dmu / N.",
                _backward_variant("mean path without 1/N"), hint=1),
        Mistake("x instead of x_hat in dx",
                "The term that flows through the variance uses x where the formula has x_hat: "
                "- x_hat * mean(dx_hat * x_hat), with x_hat = (x - mu) / sqrt(var + eps).",
                _backward_variant("x instead of x_hat in dx"), hint=2),
        Mistake("eps left out",
                "You left eps out of the backward pass: 1 / sqrt(var) divides by zero for a "
                "constant feature. The forward pass normalized with 1 / sqrt(var + eps), and the "
                "backward pass must use the same.", _backward_variant("eps left out"), hint=3),
        Mistake("dx only",
                "Your dx is right, but it is all you returned. Return three gradients, "
                "(dx, dgamma, dbeta): dgamma = sum over the batch of dout * x_hat, "
                "dbeta = sum over the batch of dout.", _backward_variant("dx only"), hint=2),
        Mistake("1 / sqrt(var + eps) missing",
                "Your dx lacks the factor 1 / sqrt(var + eps) in front of the bracket: x_hat = "
                "(x - mu) / sqrt(var + eps), so every path from x_hat back to x is divided by "
                "the std.", _backward_variant("inv_std missing"), hint=2),
        Mistake("gamma in dbeta",
                "Your dbeta sums dout * gamma: out = gamma * x_hat + beta, so d out / d beta = 1 "
                "and dbeta = sum over the batch of dout (gamma belongs in dx only).",
                _backward_variant("gamma in dbeta"), hint=2),
        Mistake("dgamma and dbeta not summed over the batch",
                "Your dgamma and dbeta have one row per sample, shape (N, D): gamma and beta are "
                "shared by every sample of the batch, so their gradients add up over it: "
                "dgamma = sum over axis 0 of dout * x_hat, dbeta = sum over axis 0 of dout.",
                _backward_variant("not summed"), hint=2),
        Mistake("means over the features in dx",
                "Your dx takes its two means over each sample's features (axis 1). Batch norm's "
                "statistics are per feature over the batch, so the paths through mu and "
                "sigma^2 average over the batch: mean(..., axis=0).",
                _backward_variant("dx over the features"), hint=2),
        Mistake("eps outside the square root",
                "You used 1 / (sqrt(var) + eps). The forward pass divides by sqrt(var + eps), "
                "eps inside, and the backward pass must use the same: "
                "inv_std = 1 / np.sqrt(var + eps).", _backward_variant("eps outside"), hint=3),
        Mistake("gamma in dgamma and dbeta",
                "Your dgamma and dbeta are multiplied by gamma: out = gamma * x_hat + beta, so "
                "dbeta = sum(dout) and dgamma = sum(dout * x_hat), over the batch (gamma belongs "
                "in dx only).", _backward_variant("gamma in dgamma and dbeta"), hint=2),
        Mistake("multiplied by the std",
                "You multiplied by sqrt(var + eps) where the chain rule gives its inverse: "
                "x_hat = (x - mu) / sqrt(var + eps), so dx carries 1 / sqrt(var + eps).",
                _backward_variant("std instead of inverse"), hint=2),
    ),
    output_names=("dx", "dgamma", "dbeta"),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``batchnorm_backward(dout, x, gamma, eps=1e-5) -> (dx, dgamma, dbeta)`` for training "
        "mode (the batch statistics depend on x)",
)
check_batchnorm_backward = BACKWARD.check_function()


# --------------------------------------------------------------------------- image channels


def _batchnorm_channels(x, gamma, beta, eps=1e-5):
    """Batch norm of (N, C, H, W) per channel: the library's batch norm of the (N H W, C)
    matrix of channels."""
    n, c, h, w = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(n * h * w, c)
    out, _ = _norm.batchnorm_forward(rows, gamma, beta, eps)
    return out.reshape(n, h, w, c).transpose(0, 3, 1, 2)


def _channels_variant(axes, *, ddof=0, eps_inside=True):
    def forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True, ddof=ddof)
        std = np.sqrt(var + eps) if eps_inside else np.sqrt(var) + eps
        g, b = gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)
        return g * (x - mu) / std + b
    return forward


#: The axes of the usual wrong statistics, for the pairs with a second mistake below.
_CHANNEL_AXES = {(0,): "statistics per pixel", (2, 3): "statistics per image and channel",
                 (1, 2, 3): "statistics per image"}


def _channels_pairs():
    pairs = []
    for axes, name in _CHANNEL_AXES.items():
        pairs.append(Mistake(
            f"{name} + unbiased variance",
            f"Two mistakes. Your statistics are over the axes {axes}: batch norm shares one mean "
            "and variance per channel over every image and position, axes (0, 2, 3). And you "
            "used the unbiased variance (ddof=1): batch norm divides by the number of values, "
            "np.var's default.", _channels_variant(axes, ddof=1), hint=1))
        pairs.append(Mistake(
            f"{name} + eps outside the square root",
            f"Two mistakes. Your statistics are over the axes {axes}: batch norm shares one mean "
            "and variance per channel over every image and position, axes (0, 2, 3). And you "
            "divided by sqrt(var) + eps: eps belongs inside, sqrt(var + eps).",
            _channels_variant(axes, eps_inside=False), hint=1))
    return pairs


def _channels_unmoved(x, gamma, beta, eps=1e-5):
    # reshaped to (-1, C) without moving the channel axis last: the columns mix channels
    n, c, h, w = x.shape
    rows = x.reshape(-1, c)
    out = gamma * (rows - rows.mean(axis=0)) / np.sqrt(rows.var(axis=0) + eps) + beta
    return out.reshape(n, c, h, w)


def _channels_not_moved_back(x, gamma, beta, eps=1e-5):
    # channels moved last for the statistics, then reshaped back without moving them back
    n, c, h, w = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, c)
    out = gamma * (rows - rows.mean(axis=0)) / np.sqrt(rows.var(axis=0) + eps) + beta
    return out.reshape(n, c, h, w)


def _channels_mixed_axes(mean_axes, var_axes):
    def forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(axis=mean_axes, keepdims=True)
        var = ((x - mu) ** 2).mean(axis=var_axes, keepdims=True)
        g, b = gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)
        return g * (x - mu) / np.sqrt(var + eps) + b
    return forward


def _channels_affine(kind):
    def forward(x, gamma, beta, eps=1e-5):
        mu = x.mean(axis=(0, 2, 3), keepdims=True)
        x_hat = (x - mu) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
        g, b = gamma.reshape(1, -1, 1, 1), beta.reshape(1, -1, 1, 1)
        if kind == "no gamma":
            return x_hat + b
        if kind == "no beta":
            return g * x_hat
        return x_hat if kind == "none" else b * x_hat + g
    return forward


def _channels_cases():
    rng = np.random.default_rng(40)

    def images(shape):
        c = shape[1]
        return rng.normal(0.0, 2.0, (1, c, 1, 1)) + rng.uniform(0.5, 3.0, (1, c, 1, 1)) * \
            rng.standard_normal(shape)

    return [
        Case("4 images, 3 channels, 5 x 5", (images((4, 3, 5, 5)), rng.uniform(0.5, 2, 3),
                                             rng.normal(0, 1, 3))),
        Case("2 images, 2 channels, 3 x 4", (images((2, 2, 3, 4)), rng.uniform(0.5, 2, 2),
                                             rng.normal(0, 1, 2))),
        Case("one channel, eps = 0.01", (images((6, 1, 2, 2)), rng.uniform(0.5, 2, 1),
                                         rng.normal(0, 1, 1)), {"eps": 0.01}),
        Case("1 x 1 images: plain batch norm", (images((5, 4, 1, 1)), rng.uniform(0.5, 2, 4),
                                                rng.normal(0, 1, 4))),
    ]


CHANNELS = Check(
    name="check_batchnorm_channels",
    function="batchnorm_channels",
    reference=_batchnorm_channels,
    cases=_channels_cases,
    mistakes=(
        Mistake("statistics per pixel",
                "You took the mean and variance over the batch only (axis 0): one mean per "
                "channel AND per pixel position. A convolution uses the same filter at every "
                "position, so batch norm shares one mean and variance per channel over all its "
                "N x H x W numbers: axes (0, 2, 3).", _channels_variant((0,)), hint=1),
        Mistake("statistics per image and channel",
                "You normalized each image's channel on its own (axes 2 and 3): that is instance "
                "norm, which ignores the batch. Batch norm takes each channel over the whole "
                "batch: axes (0, 2, 3).", _channels_variant((2, 3)), hint=1),
        Mistake("statistics per image",
                "You normalized each image over all its channels and positions (axes 1, 2, 3): "
                "that is layer norm. Batch norm keeps the channels apart and takes each over "
                "the batch and the positions: axes (0, 2, 3).", _channels_variant((1, 2, 3)),
                hint=1),
        Mistake("statistics over everything",
                "You used one mean and one variance for the whole array. Batch norm keeps one "
                "per channel (axis 1): take them over axes (0, 2, 3) with keepdims=True.",
                _channels_variant((0, 1, 2, 3)), hint=2),
        Mistake("reshaped without moving the channels",
                "You reshaped x to (-1, C) without moving the channel axis to the end first: "
                "x.reshape(-1, C) of an (N, C, H, W) array does not give one channel per column, "
                "it cuts the rows of the images into pieces of C. Move the channels last "
                "(x.transpose(0, 2, 3, 1) or np.moveaxis(x, 1, -1)), then reshape, or take the "
                "statistics over axes (0, 2, 3).", _channels_unmoved, hint=3),
        Mistake("mean and variance over different axes",
                "Your mean is taken per channel over (0, 2, 3), but your variance over other "
                "axes. Both statistics of a channel come from the same N x H x W numbers: "
                "axes (0, 2, 3) for the variance too.", _channels_mixed_axes((0, 2, 3), (2, 3)),
                hint=2),
        Mistake("mean and variance over different axes",
                "Your mean is taken per channel over (0, 2, 3), but your variance over the batch "
                "axis only. Both statistics of a channel come from the same N x H x W numbers: "
                "axes (0, 2, 3) for the variance too.", _channels_mixed_axes((0, 2, 3), (0,)),
                hint=2),
        Mistake("gamma and beta missing",
                "Your output is the standardized x alone: the scale and shift per channel are "
                "missing. out = gamma_c * x_hat + beta_c, with gamma and beta lined up with the "
                "channel axis.", _channels_affine("none"), hint=2),
        Mistake("gamma and beta exchanged",
                "You computed beta * x_hat + gamma: gamma and beta are exchanged. gamma scales, "
                "beta shifts: gamma_c * x_hat + beta_c.", _channels_affine("swapped"), hint=2),
        Mistake("channels not moved back",
                "Your statistics are right, but the result is scrambled: you moved the channels "
                "last, (N, H, W, C), and then reshaped straight to (N, C, H, W). Reshape to "
                "(N, H, W, C) first, then move the channels back with .transpose(0, 3, 1, 2).",
                _channels_not_moved_back, hint=3),
        Mistake("unbiased variance",
                "You normalized with the unbiased variance (ddof=1). Batch norm divides by the "
                "number of values, N x H x W: np.var's default.",
                _channels_variant((0, 2, 3), ddof=1), hint=2),
        Mistake("eps outside the square root",
                "You divided by sqrt(var) + eps; eps belongs inside: sqrt(var + eps).",
                _channels_variant((0, 2, 3), eps_inside=False), hint=2),
        Mistake("gamma missing",
                "Your output is x_hat + beta: the scale gamma is missing. out = gamma_c * x_hat "
                "+ beta_c, with gamma lined up with the channel axis (gamma.reshape(1, -1, 1, "
                "1)).", _channels_affine("no gamma"), hint=3),
        Mistake("beta missing",
                "Your output is gamma * x_hat: the shift beta is missing. out = gamma_c * x_hat "
                "+ beta_c, with beta lined up with the channel axis (beta.reshape(1, -1, 1, 1)).",
                _channels_affine("no beta"), hint=3),
        Mistake("statistics per pixel over the channels",
                "You took the mean and variance over the batch and the channels (axes 0 and 1): "
                "one mean per pixel position, mixing the channels. Batch norm keeps the channels "
                "apart and shares a mean over the batch and the positions: axes (0, 2, 3).",
                _channels_variant((0, 1)), hint=1),
        *_channels_pairs(),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``batchnorm_channels(x, gamma, beta, eps=1e-5) -> out`` for images ``x`` (N, C, H, W), "
        "``gamma, beta`` (C,): training mode, one mean and variance per channel",
)
check_batchnorm_channels = CHANNELS.check_function()


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
        elif kind == "axis 1":
            axis = var_axis = 1
        elif kind == "variance axis":
            var_axis = 0
        elif kind == "unbiased":
            ddof = 1
        elif kind == "all but the batch":
            axis = var_axis = tuple(range(1, x.ndim))
        elif kind == "everything":
            axis = var_axis = None
        mu = x.mean(axis=axis, keepdims=True)
        var = x.var(axis=var_axis, keepdims=True, ddof=ddof)
        if kind == "eps outside":
            return gamma * (x - mu) / (np.sqrt(var) + eps) + beta
        if kind == "affine before":
            y = gamma * x + beta
            return (y - y.mean(axis=-1, keepdims=True)) / np.sqrt(y.var(axis=-1, keepdims=True)
                                                                  + eps)
        if kind == "no affine":
            return (x - mu) / np.sqrt(var + eps)
        if kind == "eps after dividing":
            return gamma * ((x - mu) / np.sqrt(var) + eps) + beta
        if kind == "eps left out":
            with np.errstate(divide="ignore", invalid="ignore"):
                return gamma * (x - mu) / np.sqrt(var) + beta
        if kind == "unbiased and eps outside":
            return gamma * (x - mu) / (np.sqrt(x.var(axis=-1, keepdims=True, ddof=1)) + eps) \
                + beta
        if kind == "swapped":
            return beta * (x - mu) / np.sqrt(var + eps) + gamma
        if kind == "root of the std":
            return gamma * (x - mu) / np.sqrt(np.sqrt(var) + eps) + beta
        if kind == "no gamma":
            return (x - mu) / np.sqrt(var + eps) + beta
        if kind == "no beta":
            return gamma * (x - mu) / np.sqrt(var + eps)
        if kind == "not centred":  # RMS norm: no mean subtracted, the mean square divides
            return gamma * x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) + beta
        if kind == "variance not centred":
            return gamma * (x - mu) / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) \
                + beta
        if kind == "beta scaled":
            return gamma * ((x - mu) / np.sqrt(var + eps) + beta)
        return gamma * (x - mu) / np.sqrt(var + eps) + beta

    return forward


def _ln_cases():
    rng = np.random.default_rng(30)
    const = _features(rng, 3, 5)
    const[1] = 2.5
    tiny = 1.0 + 1e-3 * rng.standard_normal((2, 4))
    return [
        Case("a batch of 5 x 6", (_features(rng, 5, 6), rng.uniform(0.5, 2, 6),
                                  rng.normal(0, 1, 6))),
        Case("a batch of one sample", (_features(rng, 1, 4), rng.uniform(0.5, 2, 4),
                                       rng.normal(0, 1, 4))),
        Case("a 3-D input (2, 3, 4)", (rng.normal(0, 2, (2, 3, 4)), rng.uniform(0.5, 2, 4),
                                       rng.normal(0, 1, 4))),
        Case("a sample with equal features", (const, rng.uniform(0.5, 2, 5),
                                              rng.normal(0, 1, 5))),
        Case("features that differ by ~1e-3, eps = 1e-4",
             (tiny, rng.uniform(0.5, 2, 4), rng.normal(0, 1, 4)), {"eps": 1e-4}),
    ]


LAYERNORM = Check(
    name="check_layernorm_forward",
    function="layernorm_forward",
    reference=_layernorm_forward,
    cases=_ln_cases,
    mistakes=(
        Mistake("statistics over the batch axis",
                "You took the mean and variance over the batch (axis 0): that is batch norm. "
                "Layer norm standardizes each sample over its own features, the last axis.",
                _ln_variant("batch axis"), hint=1),
        Mistake("statistics over axis 1",
                "You took the statistics over axis 1: right for a 2-D batch (N, D), wrong for a "
                "sequence (N, T, D), where axis 1 is time. Layer norm standardizes over the "
                "features, the LAST axis: axis=-1.", _ln_variant("axis 1"), hint=3),
        Mistake("statistics over every axis but the batch",
                "You took the statistics over every axis but the first: for a sequence "
                "(N, T, D) that mixes all the time steps of a sample. Layer norm standardizes "
                "each position over its features only, the LAST axis: axis=-1 (as "
                "torch.nn.LayerNorm(D)).", _ln_variant("all but the batch"), hint=3),
        Mistake("statistics over everything",
                "You used one mean and one variance for the whole array. Layer norm gives each "
                "sample (each row, each position of a sequence) its own, over its features: "
                "axis=-1 with keepdims=True.", _ln_variant("everything"), hint=1),
        Mistake("eps added after dividing",
                "eps ended up outside the division: (x - mu) / sqrt(var) + eps adds eps to the "
                "result (mind the parentheses). It belongs under the square root: "
                "(x - mu) / np.sqrt(var + eps).", _ln_variant("eps after dividing"), hint=2),
        Mistake("eps left out",
                "You left eps out: a sample whose features are all equal has variance 0, and "
                "(x - mu) / sqrt(var) is 0 / 0. Divide by sqrt(var + eps).",
                _ln_variant("eps left out"), hint=2),
        Mistake("unbiased variance + eps outside the square root",
                "Two mistakes: the unbiased std (ddof=1) and eps outside the square root. Layer "
                "norm divides by sqrt(var + eps) with var divided by D, np.var's default.",
                _ln_variant("unbiased and eps outside"), hint=2),
        Mistake("gamma and beta exchanged",
                "You computed beta * x_hat + gamma: gamma and beta are exchanged. gamma scales, "
                "beta shifts: gamma * x_hat + beta.", _ln_variant("swapped"), hint=2),
        Mistake("beta scaled by gamma",
                "You computed gamma * (x_hat + beta), which scales the shift too. The shift is "
                "added after the scale: out = gamma * x_hat + beta.", _ln_variant("beta scaled"),
                hint=2),
        Mistake("variance over the wrong axis",
                "Your mean is over the features (last axis) but your variance is over the batch "
                "(axis 0). Both statistics of layer norm are over the last axis, per sample.",
                _ln_variant("variance axis"), hint=2),
        Mistake("unbiased variance",
                "You used the unbiased variance (ddof=1, divided by D - 1). Layer norm divides by "
                "D, the number of features: np.var's default (ddof=0), as torch.nn.LayerNorm.",
                _ln_variant("unbiased"), hint=2),
        Mistake("eps outside the square root",
                "You divided by sqrt(var) + eps. Put eps inside: (x - mu) / sqrt(var + eps).",
                _ln_variant("eps outside"), hint=2),
        Mistake("scale and shift before normalizing",
                "You applied gamma and beta before standardizing, so they were normalized away. "
                "Standardize first, then out = gamma * x_hat + beta.",
                _ln_variant("affine before"), hint=2),
        Mistake("gamma and beta missing",
                "Your output is the standardized x alone: the learned scale and shift are "
                "missing. out = gamma * x_hat + beta, per feature.", _ln_variant("no affine"),
                hint=2),
        Mistake("square root of the std",
                "You divided by sqrt(std + eps): the std already is a square root (np.std), so "
                "you took the root twice. Divide by sqrt(var + eps), with var = np.var(x, "
                "axis=-1, keepdims=True).", _ln_variant("root of the std"), hint=2),
        Mistake("gamma missing",
                "Your output is x_hat + beta: the scale gamma is missing. out = gamma * x_hat + "
                "beta, per feature.", _ln_variant("no gamma"), hint=2),
        Mistake("beta missing",
                "Your output is gamma * x_hat: the shift beta is missing. out = gamma * x_hat + "
                "beta, per feature.", _ln_variant("no beta"), hint=2),
        Mistake("mean not subtracted (RMS norm)",
                "You divided x by the root of its mean square without subtracting the mean: "
                "that is RMS norm, a relative of layer norm. Layer norm centres first: "
                "x_hat = (x - mu) / sqrt(var + eps), with var the mean of (x - mu)^2.",
                _ln_variant("not centred"), hint=2),
        Mistake("variance not centred",
                "Your mean is subtracted, but your variance is the mean of x^2, not of "
                "(x - mu)^2: it includes the mean squared. var = mean((x - mu)^2) over the last "
                "axis (np.var does it).", _ln_variant("variance not centred"), hint=2),
    ),
    forbidden=FORBIDDEN,
    hints=HINTS,
    doc="``layernorm_forward(x, gamma, beta, eps=1e-5) -> out``: each sample standardized over "
        "its last axis, then ``gamma * x_hat + beta``",
)
check_layernorm_forward = LAYERNORM.check_function()


CHECKS = (BATCHNORM, BACKWARD, CHANNELS, LAYERNORM)
