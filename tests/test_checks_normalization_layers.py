"""Lesson 10's exercise checks: answers in several forms pass, the rest is named.

Every declared mistake of ``BATCHNORM``, ``BACKWARD``, ``CHANNELS`` and ``LAYERNORM`` is fed
to its check by the meta-test (tests/test_checks_meta.py). Here: the references against
PyTorch, answers whose *form* matters (the backward pass written with sums, a layer that keeps
its statistics in place, the channels through ``np.moveaxis``), and what a sequence case
catches that a fresh object never would.
"""
import numpy as np
import pytest
import torch

from nnlesson.course.checks.normalization_layers import (
    BACKWARD,
    BATCHNORM,
    CHANNELS,
    check_batchnorm1d,
    check_batchnorm_backward,
    check_batchnorm_channels,
    check_layernorm_forward,
)

# --------------------------------------------------------------------------- student versions


class BatchNorm1d:
    def __init__(self, gamma, beta, momentum=0.1, eps=1e-5):
        self.gamma, self.beta = np.array(gamma, float), np.array(beta, float)
        self.momentum, self.eps = momentum, eps
        self.running_mean, self.running_var = np.zeros(len(gamma)), np.ones(len(gamma))
        self.training = True

    def train(self):
        self.training = True

    def eval(self):
        self.training = False

    def forward(self, x):
        if self.training:
            n = len(x)
            mu, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean *= 1 - self.momentum          # in place: fine, it is the state
            self.running_mean += self.momentum * mu
            self.running_var = (1 - self.momentum) * self.running_var + \
                self.momentum * var * n / (n - 1)
        else:
            mu, var = self.running_mean, self.running_var
        return self.gamma * (x - mu) / np.sqrt(var + self.eps) + self.beta


def batchnorm_backward(dout, x, gamma, eps=1e-5):  # the cs231n form, with sums
    n = x.shape[0]
    inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) * inv_std
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    dx = gamma * inv_std / n * (n * dout - dbeta - x_hat * dgamma)
    return dx, dgamma, dbeta


def batchnorm_channels(x, gamma, beta, eps=1e-5):
    rows = np.moveaxis(x, 1, -1).reshape(-1, x.shape[1])
    mu, var = rows.mean(axis=0), rows.var(axis=0)
    out = (np.moveaxis(x, 1, -1) - mu) / np.sqrt(var + eps) * gamma + beta
    return np.moveaxis(out, -1, 1)


def layernorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt(var + eps) + beta


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def test_student_solutions_pass():
    assert check_batchnorm1d(BatchNorm1d).passed
    assert check_batchnorm_backward(batchnorm_backward).passed
    assert check_batchnorm_channels(batchnorm_channels).passed
    assert check_layernorm_forward(layernorm_forward).passed


@pytest.mark.parametrize("check", [check_batchnorm_backward, check_batchnorm_channels,
                                   check_layernorm_forward])
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and "not implemented yet" in result.message


def test_a_class_whose_forward_is_a_stub_is_not_implemented_yet():
    class Stub(BatchNorm1d):
        def forward(self, x):
            raise NotImplementedError("replace this line with your code")

    assert check_batchnorm1d(Stub).status == "todo"


# --------------------------------------------------------------------------- references


def test_the_layer_reference_is_pytorchs_batchnorm1d_through_every_sequence():
    """Each sequence case replayed on torch.nn.BatchNorm1d: outputs and running statistics."""
    for case in BATCHNORM.get_cases():
        gamma, beta = case.args
        kwargs = case.kwargs
        ours = BATCHNORM.reference(gamma, beta, **kwargs)
        theirs = torch.nn.BatchNorm1d(len(gamma), momentum=kwargs.get("momentum", 0.1),
                                      eps=kwargs.get("eps", 1e-5), dtype=torch.float64)
        with torch.no_grad():
            theirs.weight.copy_(torch.tensor(gamma))
            theirs.bias.copy_(torch.tensor(beta))
        for step in case.steps:
            if step.method in ("train", "eval"):
                getattr(ours, step.method)()
                getattr(theirs, step.method)()
                continue
            out = ours.forward(step.args[0])
            expected = theirs(torch.tensor(step.args[0])).detach().numpy()
            np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-12)
            np.testing.assert_allclose(ours.running_mean, theirs.running_mean.numpy(),
                                       rtol=1e-12, atol=1e-14)
            np.testing.assert_allclose(ours.running_var, theirs.running_var.numpy(),
                                       rtol=1e-12, atol=1e-14)


def test_the_backward_reference_is_pytorchs_autograd():
    for case in BACKWARD.get_cases():
        dout, x, gamma = case.args
        eps = case.kwargs.get("eps", 1e-5)
        xt = torch.tensor(x, requires_grad=True)
        g = torch.tensor(gamma, requires_grad=True)
        b = torch.zeros(len(gamma), dtype=torch.float64, requires_grad=True)
        out = torch.nn.functional.batch_norm(xt, None, None, g, b, training=True, eps=eps)
        (out * torch.tensor(dout)).sum().backward()
        dx, dgamma, dbeta = BACKWARD.reference(dout, x, gamma, **case.kwargs)
        np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-8, atol=1e-10)
        np.testing.assert_allclose(dgamma, g.grad.numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dbeta, b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_the_channels_reference_is_pytorchs_batchnorm2d():
    for case in CHANNELS.get_cases():
        x, gamma, beta = case.args
        eps = case.kwargs.get("eps", 1e-5)
        layer = torch.nn.BatchNorm2d(x.shape[1], eps=eps, dtype=torch.float64)
        with torch.no_grad():
            layer.weight.copy_(torch.tensor(gamma))
            layer.bias.copy_(torch.tensor(beta))
        expected = layer.train()(torch.tensor(x)).detach().numpy()
        np.testing.assert_allclose(CHANNELS.reference(x, gamma, beta, **case.kwargs), expected,
                                   rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- what sequences catch


def test_a_layer_that_forgets_its_mode_after_train_is_caught_by_the_sequence():
    """Right when fresh and after eval(), wrong only after eval() then train() again."""
    class StuckInEval(BatchNorm1d):
        def train(self):
            pass  # the mode is never switched back

    result = check_batchnorm1d(StuckInEval)
    assert not result.passed
    assert "train -> eval -> train" in result.message or "train -> eval -> train" in \
        " ".join(result.details)


def test_a_running_average_that_aliases_the_batch_statistics_is_caught():
    """running_mean = mu (the batch's own array) then changed in place later."""
    class Aliased(BatchNorm1d):
        def forward(self, x):
            if self.training:
                n = len(x)
                mu = x.mean(axis=0)
                self.running_mean = (1 - self.momentum) * self.running_mean + self.momentum * mu
                self.running_var = (1 - self.momentum) * self.running_var + \
                    self.momentum * x.var(axis=0)  # the biased variance
                return self.gamma * (x - mu) / np.sqrt(x.var(axis=0) + self.eps) + self.beta
            return super().forward(x)

    result = check_batchnorm1d(Aliased)
    assert result.mistake == "biased running variance"


def test_the_backward_messages_point_to_the_hints():
    def constant_statistics(dout, x, gamma, eps=1e-5):
        inv_std = 1.0 / np.sqrt(x.var(axis=0) + eps)
        x_hat = (x - x.mean(axis=0)) * inv_std
        return dout * gamma * inv_std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)

    result = check_batchnorm_backward(constant_statistics)
    assert result.mistake == "mean and variance treated as constants"
    assert result.message.endswith("Hint 1 above gives the idea.")


def test_gamma_broadcast_against_the_wrong_axis_gets_the_shape_advice():
    def last_axis(x, gamma, beta, eps=1e-5):
        mu = x.mean(axis=(0, 2, 3), keepdims=True)
        var = x.var(axis=(0, 2, 3), keepdims=True)
        return gamma * (x - mu) / np.sqrt(var + eps) + beta  # gamma lines up with W, not C

    result = check_batchnorm_channels(last_axis)
    assert not result.passed and "broadcast" in result.message


# --------------------------------------------------------------------------- named families
# Wrong answers written as students write them (not the declared wrong functions): each must get
# the name of what it did.


class _UpdatesAtTheTop(BatchNorm1d):
    """Statistics and the running update first, whatever the mode; then the branch."""

    def forward(self, x):
        n = x.shape[0]
        if n > 1:
            m = self.momentum
            self.running_mean = (1 - m) * self.running_mean + m * x.mean(0)
            self.running_var = (1 - m) * self.running_var + m * x.var(0, ddof=1)
        if self.training:
            mu, var = x.mean(0), x.var(0)
        else:
            mu, var = self.running_mean, self.running_var
        return self.gamma * (x - mu) / np.sqrt(var + self.eps) + self.beta


class _UpdatesAtTheTopUnguarded(BatchNorm1d):
    """The same without a guard: in eval a batch of one divides by N - 1 = 0."""

    def forward(self, x):
        n, m = len(x), self.momentum
        self.running_mean = (1 - m) * self.running_mean + m * x.mean(0)
        self.running_var = (1 - m) * self.running_var + m * x.var(0) * n / (n - 1)
        mu, var = (x.mean(0), x.var(0)) if self.training else \
            (self.running_mean, self.running_var)
        return self.gamma * (x - mu) / np.sqrt(var + self.eps) + self.beta


class _BiasedUpdateAtTheTop(BatchNorm1d):
    """Updates first in every mode, and feeds the running variance the biased one."""

    def forward(self, x):
        mean, var = np.mean(x, axis=0), np.var(x, axis=0)
        if x.shape[0] > 1:
            self.running_mean = self.running_mean + self.momentum * (mean - self.running_mean)
            self.running_var = self.running_var + self.momentum * (var - self.running_var)
        if not self.training:
            mean, var = self.running_mean, self.running_var
        return (x - mean) / np.sqrt(var + self.eps) * self.gamma + self.beta


class _NoScaleNoShift(BatchNorm1d):
    def forward(self, x):
        out = super().forward(x)
        return (out - self.beta) / self.gamma


class _CorrectionUpsideDown(BatchNorm1d):
    def forward(self, x):
        if not self.training:
            return super().forward(x)
        n, m = len(x), self.momentum
        mu, var = np.mean(x, axis=0), np.var(x, axis=0)
        self.running_mean = m * mu + (1 - m) * self.running_mean
        self.running_var = m * var * (n - 1) / n + (1 - m) * self.running_var
        return self.gamma * (x - mu) / np.sqrt(var + self.eps) + self.beta


def _backward_per_sample(dout, x, gamma, eps=1e-5):
    dx, _, _ = batchnorm_backward(dout, x, gamma, eps)
    x_hat = (x - x.mean(0)) / np.sqrt(x.var(0) + eps)
    return dx, dout * x_hat, dout.copy()


def _backward_eps_outside(dout, x, gamma, eps=1e-5):
    n = len(x)
    std = x.std(axis=0) + eps
    x_hat = (x - x.mean(axis=0)) / std
    dbeta, dgamma = dout.sum(0), (dout * x_hat).sum(0)
    return gamma / std / n * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta


def _backward_gamma_everywhere(dout, x, gamma, eps=1e-5):
    dx, dgamma, dbeta = batchnorm_backward(dout, x, gamma, eps)
    return dx, gamma * dgamma, gamma * dbeta


def _channels_over_n_and_c(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=(0, 1), keepdims=True)
    var = x.var(axis=(0, 1), keepdims=True)
    g, b = gamma[None, :, None, None], beta[None, :, None, None]
    return g * (x - mu) / np.sqrt(var + eps) + b


def _channels_instance_unbiased(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=(2, 3), keepdims=True)
    sd = x.std(axis=(2, 3), keepdims=True, ddof=1)
    out = (x - mu) / np.sqrt(sd ** 2 + eps)
    return out * gamma.reshape(1, -1, 1, 1) + beta.reshape(1, -1, 1, 1)


def _layernorm_rms(x, gamma, beta, eps=1e-5):
    rms = np.sqrt((x ** 2).mean(-1, keepdims=True) + eps)
    return x / rms * gamma + beta


def _layernorm_raw_second_moment(x, gamma, beta, eps=1e-5):
    mu = x.mean(-1, keepdims=True)
    return gamma * (x - mu) / np.sqrt((x ** 2).mean(-1, keepdims=True) + eps) + beta


class _EvalEpsOutside(BatchNorm1d):
    def forward(self, x):
        if self.training:
            return super().forward(x)
        std = np.sqrt(self.running_var) + self.eps
        return self.gamma * (x - self.running_mean) / std + self.beta


class _ModesTheWrongWayRound(BatchNorm1d):
    def forward(self, x):
        self.training = not self.training
        try:
            return super().forward(x)
        finally:
            self.training = not self.training


def _backward_std_forgotten(dout, x, gamma, eps=1e-5):
    n = len(x)
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    dbeta, dgamma = dout.sum(axis=0), (dout * x_hat).sum(axis=0)
    return gamma / n * (n * dout - dbeta - x_hat * dgamma), dgamma, dbeta


def _channels_shift_only(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=(0, 2, 3), keepdims=True)
    return (x - mu) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps) + beta[:, None, None]


def _layernorm_std_under_the_root(x, gamma, beta, eps=1e-5):
    sd = np.std(x, axis=-1, keepdims=True)
    return gamma * (x - np.mean(x, axis=-1, keepdims=True)) / np.sqrt(sd + eps) + beta


def _backward_dx_alone(dout, x, gamma, eps=1e-5):
    return batchnorm_backward(dout, x, gamma, eps)[0]


@pytest.mark.parametrize("check, answer, name", [
    (check_batchnorm_backward, _backward_dx_alone, "dx only"),
    (check_batchnorm1d, _EvalEpsOutside, "eps outside the square root in eval"),
    (check_batchnorm1d, _ModesTheWrongWayRound, "training and evaluation exchanged"),
    (check_batchnorm_backward, _backward_std_forgotten, "1 / sqrt(var + eps) missing"),
    (check_batchnorm_channels, _channels_shift_only, "gamma missing"),
    (check_layernorm_forward, _layernorm_std_under_the_root, "square root of the std"),
    (check_batchnorm1d, _UpdatesAtTheTop, "running statistics updated in eval"),
    (check_batchnorm1d, _UpdatesAtTheTopUnguarded, "running statistics updated in eval"),
    (check_batchnorm1d, _BiasedUpdateAtTheTop,
     "biased running variance + running statistics updated in eval"),
    (check_batchnorm1d, _NoScaleNoShift, "gamma and beta missing"),
    (check_batchnorm1d, _CorrectionUpsideDown, "Bessel's correction inverted"),
    (check_batchnorm_backward, _backward_per_sample, "dgamma and dbeta not summed over the batch"),
    (check_batchnorm_backward, _backward_eps_outside, "eps outside the square root"),
    (check_batchnorm_backward, _backward_gamma_everywhere, "gamma in dgamma and dbeta"),
    (check_batchnorm_channels, _channels_over_n_and_c, "statistics per pixel over the channels"),
    (check_batchnorm_channels, _channels_instance_unbiased,
     "statistics per image and channel + unbiased variance"),
    (check_layernorm_forward, _layernorm_rms, "mean not subtracted (RMS norm)"),
    (check_layernorm_forward, _layernorm_raw_second_moment, "variance not centred"),
], ids=lambda x: getattr(x, "__name__", None) if callable(x) else None)
def test_a_wrong_answer_is_named(check, answer, name):
    with np.errstate(all="ignore"):
        result = check(answer)
    assert not result.passed and result.mistake == name, (result.mistake, result.message)
