"""Normalization layers against torch.nn (float64 autograd), finite differences, hand-worked
values and bad inputs.

Conventions under test (those of torch.nn.BatchNorm1d / LayerNorm / GroupNorm): eps inside the
square root, biased variance to normalize, unbiased variance in BatchNorm's running average,
``running = (1 - momentum) * running + momentum * batch``.
"""
import numpy as np
import pytest
import torch

from nnlesson.norm import (
    BatchNorm,
    GroupNorm,
    LayerNorm,
    batchnorm_backward,
    batchnorm_forward,
    batchnorm_inference,
    batchnorm_inference_backward,
    groupnorm_backward,
    groupnorm_forward,
    layernorm_backward,
    layernorm_forward,
    update_running_stats,
)

RTOL, ATOL = 1e-10, 1e-12  # atol for entries that are ~0 after cancellation
FD_TOL = 1e-7


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """The tensors here are tiny: torch's thread pool would only add start-up and contention."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def assert_close(ours, ref):
    np.testing.assert_allclose(ours, ref, rtol=RTOL, atol=ATOL)


def t64(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


def torch_run(module, x, dout):
    """out, dx, dgamma, dbeta of a torch module through autograd (dgamma/dbeta None if not affine)."""
    xt = t64(x, grad=True)
    out = module(xt)
    out.backward(t64(dout))
    grads = [None, None]
    if module.weight is not None:
        grads = [module.weight.grad.numpy(), module.bias.grad.numpy()]
    return out.detach().numpy(), xt.grad.numpy(), *grads


def set_affine(ours, ref, rng):
    """Give both layers the same random gamma and beta (so their gradients matter)."""
    n = ours.gamma.value.shape[0]
    ours.gamma.value[:] = rng.uniform(0.5, 2.0, n)
    ours.beta.value[:] = rng.normal(size=n)
    with torch.no_grad():
        ref.weight.copy_(t64(ours.gamma.value))
        ref.bias.copy_(t64(ours.beta.value))


def run_ours(layer, x, dout):
    layer.zero_grad()
    out = layer.forward(x)
    dx = layer.backward(dout)
    if not layer.affine:
        return out, dx, None, None
    return out, dx, layer.gamma.grad.copy(), layer.beta.grad.copy()


def sample(rng, shape, shift=0.0):
    """(N, D) x with a different mean and scale per feature, so normalization has work to do."""
    d = shape[1]
    return shift + rng.normal(size=d) + rng.uniform(0.5, 3.0, d) * rng.normal(size=shape)


# ------------------------------------------------------------------------- batch norm vs torch

BN_SHAPES = [(2, 1), (2, 5), (3, 1), (7, 4), (32, 16), (100, 3)]


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batchnorm_train_matches_torch(shape, rng):
    n, d = shape
    x, dout = sample(rng, shape, shift=5.0), rng.normal(size=shape)
    ours, ref = BatchNorm(d), torch.nn.BatchNorm1d(d, dtype=torch.float64)
    set_affine(ours, ref, rng)
    for a, b in zip(run_ours(ours, x, dout), torch_run(ref, x, dout)):
        assert_close(a, b)
    # one training batch moved the running statistics
    assert_close(ours.running_mean, ref.running_mean.numpy())
    assert_close(ours.running_var, ref.running_var.numpy())
    assert ours.num_batches_tracked == int(ref.num_batches_tracked) == 1


@pytest.mark.parametrize("shape", BN_SHAPES + [(1, 4)])
def test_batchnorm_eval_matches_torch(shape, rng):
    n, d = shape
    x, dout = sample(rng, shape), rng.normal(size=shape)
    ours, ref = BatchNorm(d), torch.nn.BatchNorm1d(d, dtype=torch.float64)
    set_affine(ours, ref, rng)
    ours.running_mean[:] = rng.normal(size=d)
    ours.running_var[:] = rng.uniform(0.1, 4.0, d)
    ref.running_mean.copy_(t64(ours.running_mean))
    ref.running_var.copy_(t64(ours.running_var))
    ours.eval(), ref.eval()
    before = ours.running_mean.copy(), ours.running_var.copy()
    for a, b in zip(run_ours(ours, x, dout), torch_run(ref, x, dout)):
        assert_close(a, b)
    # eval mode leaves the running statistics alone
    np.testing.assert_array_equal(ours.running_mean, before[0])
    np.testing.assert_array_equal(ours.running_var, before[1])
    assert ours.num_batches_tracked == 0


@pytest.mark.parametrize("momentum", [0.1, 0.35, 1.0, 0.0])
def test_running_stats_follow_torch_over_many_batches(momentum, rng):
    d = 6
    ours = BatchNorm(d, momentum=momentum, eps=1e-3)
    ref = torch.nn.BatchNorm1d(d, momentum=momentum, eps=1e-3, dtype=torch.float64)
    set_affine(ours, ref, rng)
    sizes = rng.integers(2, 40, size=120)
    for step, n in enumerate(sizes):
        x = sample(rng, (n, d), shift=0.05 * step)  # a drifting distribution
        assert_close(ours.forward(x), ref(t64(x)).detach().numpy())
        assert_close(ours.running_mean, ref.running_mean.numpy())
        assert_close(ours.running_var, ref.running_var.numpy())
    assert ours.num_batches_tracked == int(ref.num_batches_tracked) == len(sizes)
    ours.eval(), ref.eval()
    for n in (1, 5):
        x = sample(rng, (n, d), shift=6.0)
        assert_close(ours.forward(x), ref(t64(x)).detach().numpy())


def test_batchnorm_without_affine_matches_torch(rng):
    x, dout = sample(rng, (9, 4)), rng.normal(size=(9, 4))
    ours = BatchNorm(4, affine=False)
    ref = torch.nn.BatchNorm1d(4, affine=False, dtype=torch.float64)
    assert ours.parameters() == [] and ours.gamma is None
    for train in (True, False):
        ours.train(train), ref.train(train)
        out, dx, _, _ = run_ours(ours, x, dout)
        ref_out, ref_dx, _, _ = torch_run(ref, x, dout)
        assert_close(out, ref_out)
        assert_close(dx, ref_dx)


def test_batchnorm_train_statistics_by_hand():
    # one feature, batch [1, 3]: mean 2, biased variance 1, unbiased variance 2
    layer = BatchNorm(1, momentum=0.5, eps=1e-5)
    out = layer.forward(np.array([[1.0], [3.0]]))
    np.testing.assert_allclose(out[:, 0], [-1 / np.sqrt(1 + 1e-5), 1 / np.sqrt(1 + 1e-5)], rtol=1e-14)
    np.testing.assert_allclose(layer.running_mean, [0.5 * 0 + 0.5 * 2], rtol=1e-14)
    np.testing.assert_allclose(layer.running_var, [0.5 * 1 + 0.5 * 2], rtol=1e-14)


def test_batchnorm_dx_columns_sum_to_zero(rng):
    # the claim in batchnorm_backward's docstring: shifting a column does not change out
    x, dout = sample(rng, (20, 5)), rng.normal(size=(20, 5))
    layer = BatchNorm(5)
    layer.forward(x)
    dx = layer.backward(dout)
    np.testing.assert_allclose(dx.sum(axis=0), 0.0, atol=1e-12)


def test_batchnorm_float32_stays_float32(rng):
    x, dout = sample(rng, (16, 5)), rng.normal(size=(16, 5))
    ref = BatchNorm(5)
    ours = BatchNorm(5, dtype=np.float32)
    out32, dx32, dg32, db32 = run_ours(ours, x.astype(np.float32), dout.astype(np.float32))
    out64, dx64, dg64, db64 = run_ours(ref, x, dout)
    for a32, a64 in ((out32, out64), (dx32, dx64), (dg32, dg64), (db32, db64),
                     (ours.running_mean, ref.running_mean), (ours.running_var, ref.running_var)):
        assert a32.dtype == np.float32
        np.testing.assert_allclose(a32, a64, rtol=1e-4, atol=1e-4)


# ------------------------------------------------------------------------- layer and group norm vs torch


@pytest.mark.parametrize("shape", [(2, 1), (1, 6), (5, 7), (3, 4, 6), (8,)])
def test_layernorm_matches_torch(shape, rng):
    d = shape[-1]
    x, dout = 3.0 + 2.0 * rng.normal(size=shape), rng.normal(size=shape)
    ours, ref = LayerNorm(d), torch.nn.LayerNorm(d, dtype=torch.float64)
    set_affine(ours, ref, rng)
    for training in (True, False):  # no running statistics: both modes are the same
        ours.train(training)
        for a, b in zip(run_ours(ours, x, dout), torch_run(ref, x, dout)):
            assert_close(a, b)
        ref.zero_grad()


@pytest.mark.parametrize("groups, shape", [
    (3, (2, 6)), (2, (4, 6, 5)), (4, (3, 4, 2, 3)), (1, (2, 4, 3)), (5, (2, 5, 4)), (2, (1, 4, 7)),
])
def test_groupnorm_matches_torch(groups, shape, rng):
    c = shape[1]
    x, dout = 1.0 + 2.0 * rng.normal(size=shape), rng.normal(size=shape)
    ours = GroupNorm(groups, c)
    ref = torch.nn.GroupNorm(groups, c, dtype=torch.float64)
    set_affine(ours, ref, rng)
    for a, b in zip(run_ours(ours, x, dout), torch_run(ref, x, dout)):
        assert_close(a, b)


def test_layer_and_group_norm_without_affine_match_torch(rng):
    x, dout = rng.normal(size=(3, 4, 5)), rng.normal(size=(3, 4, 5))
    for ours, ref in ((LayerNorm(5, affine=False), torch.nn.LayerNorm(5, elementwise_affine=False,
                                                                       dtype=torch.float64)),
                      (GroupNorm(2, 4, affine=False), torch.nn.GroupNorm(2, 4, affine=False,
                                                                         dtype=torch.float64))):
        assert ours.parameters() == []
        out, dx, _, _ = run_ours(ours, x, dout)
        ref_out, ref_dx, _, _ = torch_run(ref, x, dout)
        assert_close(out, ref_out)
        assert_close(dx, ref_dx)


def test_pure_functions_match_torch_functional(rng):
    f = torch.nn.functional
    x, dout = sample(rng, (10, 6)), rng.normal(size=(10, 6))
    gamma, beta = rng.uniform(0.5, 2, 6), rng.normal(size=6)
    rm, rv = rng.normal(size=6), rng.uniform(0.5, 2, 6)

    def ref(fn):
        xt, gt, bt = t64(x, True), t64(gamma, True), t64(beta, True)
        out = fn(xt, gt, bt)
        out.backward(t64(dout))
        return out.detach().numpy(), xt.grad.numpy(), gt.grad.numpy(), bt.grad.numpy()

    out, cache = batchnorm_forward(x, gamma, beta, eps=1e-3)
    ours = (out, *batchnorm_backward(dout, cache))
    for a, b in zip(ours, ref(lambda xt, g, b: f.batch_norm(xt, None, None, g, b, True, 0.1, 1e-3))):
        assert_close(a, b)

    out, cache = batchnorm_inference(x, gamma, beta, rm, rv, eps=1e-3)
    ours = (out, *batchnorm_inference_backward(dout, cache))
    for a, b in zip(ours, ref(lambda xt, g, b: f.batch_norm(xt, t64(rm), t64(rv), g, b, False, 0.1, 1e-3))):
        assert_close(a, b)

    out, cache = layernorm_forward(x, gamma, beta, eps=1e-3)
    ours = (out, *layernorm_backward(dout, cache))
    for a, b in zip(ours, ref(lambda xt, g, b: f.layer_norm(xt, (6,), g, b, 1e-3))):
        assert_close(a, b)

    out, cache = groupnorm_forward(x, gamma, beta, 3, eps=1e-3)
    ours = (out, *groupnorm_backward(dout, cache))
    for a, b in zip(ours, ref(lambda xt, g, b: f.group_norm(xt, 3, g, b, 1e-3))):
        assert_close(a, b)


# ------------------------------------------------------------------------- finite differences


def numerical_grad(f, a, h=1e-6):
    """Central differences of the scalar f() with respect to every entry of ``a`` (changed in place)."""
    grad = np.zeros_like(a)
    for i in np.ndindex(a.shape):
        old = a[i]
        a[i] = old + h
        plus = f()
        a[i] = old - h
        minus = f()
        a[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def rel_error(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(a) + np.linalg.norm(b), 1e-30)


def gradcheck_layer(layer, x, rng):
    """Compare backward with finite differences of L = sum(out * w) for x, gamma and beta."""
    w = rng.normal(size=x.shape)

    def loss():
        return float(np.sum(layer.forward(x) * w))

    layer.zero_grad()
    layer.forward(x)
    dx = layer.backward(w)
    analytic = [dx] + [p.grad.copy() for p in layer.parameters()]
    numeric = [numerical_grad(loss, x)] + [numerical_grad(loss, p.value) for p in layer.parameters()]
    assert len(analytic) == 3
    for a, n in zip(analytic, numeric):
        assert rel_error(a, n) < FD_TOL


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(3, 1), (6, 4)])
def test_batchnorm_finite_differences(training, shape, rng):
    layer = BatchNorm(shape[1])
    layer.gamma.value[:] = rng.uniform(0.5, 2, shape[1])
    layer.beta.value[:] = rng.normal(size=shape[1])
    layer.running_mean[:] = rng.normal(size=shape[1])
    layer.running_var[:] = rng.uniform(0.5, 2, shape[1])
    layer.train(training)
    gradcheck_layer(layer, sample(rng, shape), rng)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (2, 3, 4)])
def test_layernorm_finite_differences(training, shape, rng):
    layer = LayerNorm(shape[-1]).train(training)
    layer.gamma.value[:] = rng.uniform(0.5, 2, shape[-1])
    gradcheck_layer(layer, rng.normal(size=shape), rng)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("groups, shape", [(2, (3, 6)), (2, (2, 6, 3))])
def test_groupnorm_finite_differences(training, groups, shape, rng):
    layer = GroupNorm(groups, shape[1]).train(training)
    layer.gamma.value[:] = rng.uniform(0.5, 2, shape[1])
    gradcheck_layer(layer, rng.normal(size=shape), rng)


# ------------------------------------------------------------------------- purity, accumulation


def assert_unchanged(args, copies):
    for a, c in zip(args, copies):
        np.testing.assert_array_equal(a, c)


def test_pure_functions_do_not_change_their_inputs(rng):
    x, dout = sample(rng, (8, 6)), rng.normal(size=(8, 6))
    gamma, beta = rng.uniform(0.5, 2, 6), rng.normal(size=6)
    rm, rv = rng.normal(size=6), rng.uniform(0.5, 2, 6)
    calls = [
        (batchnorm_forward, batchnorm_backward, (x, gamma, beta)),
        (batchnorm_inference, batchnorm_inference_backward, (x, gamma, beta, rm, rv)),
        (layernorm_forward, layernorm_backward, (x, gamma, beta)),
        (lambda *a: groupnorm_forward(*a, 2), groupnorm_backward, (x, gamma, beta)),
    ]
    for forward, backward, args in calls:
        copies = [a.copy() for a in args]
        _, cache = forward(*args)
        cache_copies = [a.copy() for a in cache[:5]]
        dout_copy = dout.copy()
        backward(dout, cache)
        assert_unchanged(args, copies)
        assert_unchanged(cache[:5], cache_copies)
        np.testing.assert_array_equal(dout, dout_copy)

    args = (rm, rv, rng.normal(size=6), rng.uniform(size=6))
    copies = [a.copy() for a in args]
    new_mean, new_var = update_running_stats(*args, momentum=0.1)
    assert_unchanged(args, copies)
    assert not np.array_equal(new_mean, rm)


def test_update_running_stats_by_hand_and_in_place():
    rm, rv = np.array([0.0, 1.0]), np.array([1.0, 4.0])
    mean, var = update_running_stats(rm, rv, np.array([1.0, 3.0]), np.array([2.0, 0.0]), momentum=0.25)
    np.testing.assert_allclose(mean, [0.25, 1.5], rtol=1e-15)   # 0.75 * old + 0.25 * new
    np.testing.assert_allclose(var, [1.25, 3.0], rtol=1e-15)
    out = update_running_stats(rm, rv, np.array([1.0, 3.0]), np.array([2.0, 0.0]), momentum=0.25,
                               inplace=True)
    assert out[0] is rm and out[1] is rv
    np.testing.assert_allclose(rm, [0.25, 1.5], rtol=1e-15)
    np.testing.assert_allclose(rv, [1.25, 3.0], rtol=1e-15)
    # momentum 0 keeps the old values, 1 takes the batch's (the opposite of Keras' convention)
    assert update_running_stats([1.0], [2.0], [5.0], [6.0], momentum=0)[0].tolist() == [1.0]
    assert update_running_stats([1.0], [2.0], [5.0], [6.0], momentum=1)[1].tolist() == [6.0]
    # integer inputs become floats rather than truncating
    assert update_running_stats([0], [1], [1], [2], momentum=0.5)[0].tolist() == [0.5]


@pytest.mark.parametrize("make, shape", [
    (lambda: BatchNorm(4), (6, 4)),
    (lambda: BatchNorm(4).eval(), (6, 4)),
    (lambda: LayerNorm(4), (6, 4)),
    (lambda: GroupNorm(2, 4), (6, 4, 3)),
])
def test_backward_adds_into_grad(make, shape, rng):
    layer = make()
    x1, x2 = rng.normal(size=shape), rng.normal(size=shape)
    d1, d2 = rng.normal(size=shape), rng.normal(size=shape)
    singles = []
    for x, d in ((x1, d1), (x2, d2)):
        layer.zero_grad()
        layer.forward(x)
        layer.backward(d)
        singles.append([p.grad.copy() for p in layer.parameters()])
    layer.zero_grad()
    for x, d in ((x1, d1), (x2, d2)):
        layer.forward(x)
        layer.backward(d)
    for p, g1, g2 in zip(layer.parameters(), *singles):
        assert np.abs(g1).max() > 0
        np.testing.assert_allclose(p.grad, g1 + g2, rtol=1e-14)
    assert [p.name for p in layer.parameters()] == ["gamma", "beta"]


# ------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize("make, error, match", [
    (lambda: BatchNorm(0), ValueError, "n_features must be an integer >= 1, got 0"),
    (lambda: BatchNorm(2.5), TypeError, "n_features must be an integer"),
    (lambda: BatchNorm(True), TypeError, "n_features must be an integer"),
    (lambda: BatchNorm(3, momentum=-0.1), ValueError, r"momentum must be a finite number in \[0, 1\], got -0.1"),
    (lambda: BatchNorm(3, momentum=1.5), ValueError, r"momentum must be a finite number in \[0, 1\]"),
    (lambda: BatchNorm(3, eps=0), ValueError, "eps must be a finite number > 0, got 0.0"),
    (lambda: BatchNorm(3, eps=-1e-5), ValueError, "eps must be a finite number > 0"),
    (lambda: BatchNorm(3, affine="yes"), TypeError, "affine must be True or False"),
    (lambda: BatchNorm(3, dtype=np.int64), TypeError, "dtype must be a floating dtype"),
    (lambda: LayerNorm(-2), ValueError, "n_features must be an integer >= 1, got -2"),
    (lambda: LayerNorm(3, eps=float("nan")), ValueError, "eps must be a finite number > 0"),
    (lambda: GroupNorm(4, 6), ValueError, "n_channels must be divisible by num_groups = 4, got 6"),
    (lambda: GroupNorm(0, 6), ValueError, "num_groups must be an integer >= 1, got 0"),
    (lambda: GroupNorm(2, 0), ValueError, "n_channels must be an integer >= 1, got 0"),
])
def test_bad_constructor_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_batch_of_one_in_training_is_refused_but_fine_in_eval():
    layer = BatchNorm(3)
    with pytest.raises(ValueError, match=r"more than 1 sample.*x of shape \(1, 3\).*eval\(\)"):
        layer.forward(np.ones((1, 3)))
    with pytest.raises(ValueError, match=r"batchnorm_forward needs more than 1 sample.*\(1, 3\)"):
        batchnorm_forward(np.ones((1, 3)), np.ones(3), np.zeros(3))
    assert layer.eval().forward(np.ones((1, 3))).shape == (1, 3)


@pytest.mark.parametrize("layer, x, match", [
    (BatchNorm(3), np.ones((4, 2)), r"x must have shape \(N, n_features\) = \(N, 3\), got shape \(4, 2\)"),
    (BatchNorm(3), np.ones(3), r"x must have shape \(N, n_features\) = \(N, 3\), got shape \(3,\)"),
    (BatchNorm(3).eval(), np.ones((4, 3, 1)), r"x must have shape \(N, n_features\)"),
    (LayerNorm(3), np.ones((4, 2)), r"x must have shape \(\.\.\., n_features\) = \(\.\.\., 3\), got shape \(4, 2\)"),
    (GroupNorm(2, 4), np.ones((4, 2)), r"x must have shape \(N, n_channels, \.\.\.\) = \(N, 4, \.\.\.\)"),
    (GroupNorm(2, 4), np.ones(4), r"x must have shape \(N, n_channels"),
])
def test_input_shape_mismatch_names_x(layer, x, match):
    with pytest.raises(ValueError, match=match):
        layer.forward(x)


@pytest.mark.parametrize("layer, shape", [
    (BatchNorm(3), (5, 3)), (BatchNorm(3).eval(), (5, 3)), (LayerNorm(3), (5, 3)),
    (GroupNorm(3, 3), (5, 3, 2)),
])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_or_inf_in_x(layer, shape, bad):
    x = np.ones(shape)
    x[(1, 2) + (0,) * (len(shape) - 2)] = bad
    with pytest.raises(ValueError, match=r"x must contain only finite numbers, found 1 NaN or infinite"):
        layer.forward(x)


def test_backward_errors():
    layer = BatchNorm(3)
    with pytest.raises(RuntimeError, match="BatchNorm.backward called before forward"):
        layer.backward(np.ones((4, 3)))
    layer.forward(np.arange(12.0).reshape(4, 3))
    with pytest.raises(ValueError, match=r"dout must have the shape of the forward output \(4, 3\), got \(4, 2\)"):
        layer.backward(np.ones((4, 2)))
    _, train_cache = batchnorm_forward(np.arange(6.0).reshape(3, 2), np.ones(2), np.zeros(2))
    _, eval_cache = batchnorm_inference(np.ones((3, 2)), np.ones(2), np.zeros(2), np.zeros(2), np.ones(2))
    with pytest.raises(ValueError, match="use batchnorm_inference_backward"):
        batchnorm_backward(np.ones((3, 2)), eval_cache)
    with pytest.raises(ValueError, match="use batchnorm_backward"):
        batchnorm_inference_backward(np.ones((3, 2)), train_cache)


@pytest.mark.parametrize("call, error, match", [
    (lambda: batchnorm_forward(np.ones((4, 3)), np.ones(2), np.zeros(3)), ValueError,
     r"gamma must have shape \(3,\), one value per feature \(column\) of x, got shape \(2,\)"),
    (lambda: batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros((1, 3))), ValueError,
     r"beta must have shape \(3,\)"),
    (lambda: batchnorm_forward(np.ones((4, 3, 2)), np.ones(3), np.zeros(3)), ValueError,
     r"x must have shape \(N, D\), got shape \(4, 3, 2\)"),
    (lambda: batchnorm_forward(np.ones((4, 3)), np.ones(3), np.zeros(3), eps=0), ValueError,
     "eps must be a finite number > 0"),
    (lambda: batchnorm_inference(np.ones((4, 3)), np.ones(3), np.zeros(3), np.zeros(2), np.ones(3)),
     ValueError, r"running_mean must have shape \(3,\)"),
    (lambda: batchnorm_inference(np.ones((4, 3)), np.ones(3), np.zeros(3), np.zeros(3), -np.ones(3)),
     ValueError, "running_var must be >= 0"),
    (lambda: layernorm_forward(np.ones((4, 3)), np.ones(4), np.zeros(4)), ValueError,
     r"gamma must have shape \(3,\), one value per feature \(last axis\) of x, got shape \(4,\)"),
    (lambda: layernorm_forward(np.float64(2.0), np.ones(1), np.zeros(1)), ValueError,
     r"x must have at least 1 dimension"),
    (lambda: groupnorm_forward(np.ones((2, 6, 3)), np.ones(6), np.zeros(6), 4), ValueError,
     r"num_groups must divide the number of channels x.shape\[1\] = 6, got 4"),
    (lambda: groupnorm_forward(np.ones((2, 6, 3)), np.ones(6), np.zeros(6), 0), ValueError,
     "num_groups must be an integer >= 1, got 0"),
    (lambda: groupnorm_forward(np.ones((2, 6)), np.ones(3), np.zeros(6), 3), ValueError,
     r"gamma must have shape \(6,\), one value per channel \(axis 1\) of x"),
    (lambda: update_running_stats(np.zeros(3), np.ones(3), np.zeros(3), np.ones(3), momentum=1.1),
     ValueError, r"momentum must be a finite number in \[0, 1\], got 1.1"),
    (lambda: update_running_stats(np.zeros(3), np.ones(3), np.zeros(2), np.ones(3), momentum=0.1),
     ValueError, r"batch_mean must have the shape of running_mean \(3,\), got \(2,\)"),
    (lambda: update_running_stats(np.zeros((3, 1)), np.ones((3, 1)), np.zeros((3, 1)),
                                  np.ones((3, 1)), momentum=0.1),
     ValueError, r"running_mean must have 1 dimension"),
    (lambda: update_running_stats([0.0], [1.0], [0.0], [1.0], momentum=0.1, inplace=True),
     TypeError, "running_mean must be a floating numpy array to be updated in place"),
    (lambda: update_running_stats(np.zeros(1), np.ones(1), [0.0], [1.0], momentum=0.1, inplace=1),
     TypeError, "inplace must be True or False"),
])
def test_bad_function_arguments(call, error, match):
    with pytest.raises(error, match=match):
        call()
