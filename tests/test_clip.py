"""Clipping against torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (float64), hand-worked
values, the direction argument, purity, and bad inputs."""
import math

import numpy as np
import pytest
import torch

from nnlesson.clip import (
    Clipping,
    clip_by_global_norm,
    clip_by_value,
    clip_grad_norm,
    clip_grad_value,
    direction_cosine,
    global_norm,
)
from nnlesson.core import Parameter

RTOL = 1e-12
SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]


def random_grads(rng, scale, shapes=SHAPES, dtype=np.float64):
    return [(scale * rng.standard_normal(s)).astype(dtype) for s in shapes]


def torch_params(grads):
    params = []
    for g in grads:
        p = torch.zeros(g.shape, dtype=torch.from_numpy(g).dtype, requires_grad=True)
        p.grad = torch.tensor(g)
        params.append(p)
    return params


# the global 2-norm of random_grads(rng, scale) is about 5 * scale: scales 0.01 and 0.1 stay
# below max_norm=1, scales 10 and 1000 are clipped
CASES = [(scale, max_norm, norm_type)
         for scale in (0.01, 0.1, 10.0, 1000.0)
         for max_norm, norm_type in ((1.0, 2.0), (0.5, 1.0), (1.0, math.inf), (2.0, 3.0))]


@pytest.mark.parametrize("scale, max_norm, norm_type", CASES)
def test_clip_grad_norm_matches_torch(scale, max_norm, norm_type, rng):
    grads = random_grads(rng, scale)
    params = [Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad[...] = g
    tparams = torch_params(grads)

    norm = clip_grad_norm(params, max_norm, norm_type=norm_type)
    tnorm = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)

    assert isinstance(norm, float)
    assert norm == pytest.approx(tnorm.item(), rel=RTOL)
    for p, tp in zip(params, tparams):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=RTOL, atol=0)


@pytest.mark.parametrize("scale, max_norm, norm_type", CASES)
def test_clip_by_global_norm_matches_torch_and_keeps_inputs(scale, max_norm, norm_type, rng):
    grads = random_grads(rng, scale)
    before = [g.copy() for g in grads]
    tparams = torch_params(grads)

    clipped, norm = clip_by_global_norm(grads, max_norm, norm_type)
    tnorm = torch.nn.utils.clip_grad_norm_(tparams, max_norm, norm_type=norm_type)

    assert norm == pytest.approx(tnorm.item(), rel=RTOL)
    assert global_norm(grads, norm_type) == pytest.approx(
        torch.nn.utils.get_total_norm([torch.tensor(g) for g in grads], norm_type).item(), rel=RTOL)
    for g, b, c, tp in zip(grads, before, clipped, tparams):
        np.testing.assert_array_equal(g, b)              # input not changed
        assert c is not g and not np.shares_memory(c, g)  # a new array
        assert c.shape == g.shape and c.dtype == g.dtype
        np.testing.assert_allclose(c, tp.grad.numpy(), rtol=RTOL, atol=0)
    clipped_norm = global_norm(clipped, norm_type)
    if norm > max_norm:
        assert clipped_norm == pytest.approx(max_norm, rel=1e-6)  # 1e-6 from torch's epsilon
    else:
        assert clipped_norm == norm  # coefficient clamped at exactly 1


def test_norm_clipping_keeps_the_direction_value_clipping_does_not(rng):
    grads = random_grads(rng, 10.0)
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm > 1.0
    assert direction_cosine(grads, clipped) == pytest.approx(1.0, abs=1e-12)
    by_value = clip_by_value(grads, 1.0)
    assert direction_cosine(grads, by_value) < 0.99


def test_hand_worked_values():
    # norm of [3, 4] is 5: coef = 1 / (5 + 1e-6); the seed's 1 * g / max(5, 1) is g / 5
    clipped, norm = clip_by_global_norm([np.array([3.0, 4.0])], 1.0)
    assert norm == 5.0
    np.testing.assert_allclose(clipped[0], [3.0 / 5.000001, 4.0 / 5.000001], rtol=1e-15)
    np.testing.assert_allclose(clipped[0], [0.6, 0.8], rtol=1e-6)
    # one global norm over two arrays, not one per array: sqrt(3^2 + 4^2 + 12^2) = 13
    _, norm = clip_by_global_norm([np.array([3.0]), np.array([[4.0, 12.0]])], 1.0)
    assert norm == pytest.approx(13.0, rel=1e-15)
    assert global_norm([np.array([3.0, -4.0]), np.array([-7.0])], 1) == 14.0
    assert global_norm([np.array([3.0, -4.0]), np.array([-7.0])], math.inf) == 7.0
    # value clipping of [3, 0.5] at 1 gives [1, 0.5]: cosine (3 + 0.25) / (sqrt(9.25) sqrt(1.25))
    g = [np.array([3.0, 0.5])]
    np.testing.assert_array_equal(clip_by_value(g, 1.0)[0], [1.0, 0.5])
    assert direction_cosine(g, clip_by_value(g, 1.0)) == pytest.approx(
        3.25 / math.sqrt(9.25 * 1.25), rel=1e-14)
    assert direction_cosine(np.array([1.0, 0.0]), np.array([0.0, 2.0])) == 0.0
    assert direction_cosine(np.array([1.0, 1.0]), np.array([-2.0, -2.0])) == pytest.approx(-1.0)


@pytest.mark.parametrize("scale, clip_value", [(0.01, 0.5), (1.0, 0.5), (10.0, 1.0), (1.0, 0.0)])
def test_clip_grad_value_matches_torch(scale, clip_value, rng):
    grads = random_grads(rng, scale)
    params = [Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad[...] = g
    tparams = torch_params(grads)
    assert clip_grad_value(params, clip_value) is None
    torch.nn.utils.clip_grad_value_(tparams, clip_value)
    for p, tp in zip(params, tparams):
        np.testing.assert_array_equal(p.grad, tp.grad.numpy())


def test_clip_by_value_keeps_inputs(rng):
    grads = random_grads(rng, 3.0)
    before = [g.copy() for g in grads]
    clipped = clip_by_value(grads, 1.0)
    for g, b, c in zip(grads, before, clipped):
        np.testing.assert_array_equal(g, b)
        assert not np.shares_memory(c, g)
        assert np.max(np.abs(c)) <= 1.0
    assert any(np.max(np.abs(g)) > 1.0 for g in grads)  # something was actually cut


def test_in_place_versions_write_into_the_existing_grad_arrays(rng):
    grads = random_grads(rng, 100.0)
    params = [Parameter(np.zeros_like(g)) for g in grads]
    ids = []
    for p, g in zip(params, grads):
        p.grad[...] = g
        ids.append(id(p.grad))
    clip_grad_norm(iter(params), 1.0)  # any iterable, a generator included
    assert [id(p.grad) for p in params] == ids
    assert global_norm([p.grad for p in params]) == pytest.approx(1.0, rel=1e-6)
    clip_grad_value(params, 0.01)
    assert [id(p.grad) for p in params] == ids
    assert max(np.max(np.abs(p.grad)) for p in params) <= 0.01


def test_float32_gradients_stay_float32_and_match_torch(rng):
    grads = random_grads(rng, 10.0, dtype=np.float32)
    clipped, norm = clip_by_global_norm(grads, 1.0)
    tparams = torch_params(grads)
    tnorm = torch.nn.utils.clip_grad_norm_(tparams, 1.0)
    assert all(c.dtype == np.float32 for c in clipped)
    assert norm == pytest.approx(tnorm.item(), rel=1e-6)
    for c, tp in zip(clipped, tparams):
        np.testing.assert_allclose(c, tp.grad.numpy(), rtol=1e-6)
    assert all(c.dtype == np.float32 for c in clip_by_value(grads, 0.5))


def test_non_finite_gradients_follow_torch_or_raise_on_request():
    grads = [np.array([1.0, np.inf]), np.array([2.0])]
    clipped, norm = clip_by_global_norm(grads, 1.0)
    tparams = torch_params(grads)
    tnorm = torch.nn.utils.clip_grad_norm_(tparams, 1.0)
    assert norm == math.inf and tnorm.item() == math.inf
    for c, tp in zip(clipped, tparams):  # coef = 1 / inf = 0, and 0 * inf = nan
        np.testing.assert_array_equal(c, tp.grad.numpy())
    with pytest.raises(ValueError, match="the total gradient norm is inf"):
        clip_by_global_norm(grads, 1.0, error_if_nonfinite=True)
    params = [Parameter(np.zeros(2))]
    params[0].grad[...] = [np.nan, 1.0]
    with pytest.raises(ValueError, match="total gradient norm is nan"):
        clip_grad_norm(params, 1.0, error_if_nonfinite=True)


def test_zero_gradients_are_left_at_zero():
    clipped, norm = clip_by_global_norm([np.zeros(3)], 1.0)
    assert norm == 0.0
    np.testing.assert_array_equal(clipped[0], np.zeros(3))


def _param_with_grad():
    p = Parameter(np.zeros(2))
    p.grad[...] = [1.0, 2.0]
    return p


BAD = [
    (lambda: clip_by_global_norm([np.ones(2)], 0.0), ValueError, "max_norm must be a finite number > 0"),
    (lambda: clip_by_global_norm([np.ones(2)], -1.0), ValueError, "max_norm must be"),
    (lambda: clip_by_global_norm([np.ones(2)], "1"), TypeError, "max_norm must be"),
    (lambda: clip_by_global_norm([np.ones(2)], 1.0, norm_type=0), ValueError,
     "norm_type must be a number > 0 or math.inf"),
    (lambda: clip_by_global_norm([np.ones(2)], 1.0, norm_type="fro"), ValueError, "norm_type must be"),
    (lambda: clip_by_global_norm([np.ones(2)], 1.0, error_if_nonfinite=1), TypeError,
     "error_if_nonfinite must be True or False"),
    (lambda: clip_by_global_norm([], 1.0), ValueError, "grads must contain at least one array"),
    (lambda: clip_by_global_norm(np.ones(3), 1.0), TypeError, "grads must be a list of arrays"),
    (lambda: clip_by_global_norm(3.0, 1.0), TypeError, "grads must be a list of arrays"),
    (lambda: clip_by_global_norm([np.array(["a"])], 1.0), TypeError, r"grads\[0\] must be a numeric array"),
    (lambda: clip_by_value([np.ones(2)], -0.5), ValueError, "clip_value must be a finite number >= 0"),
    (lambda: clip_by_value([], 0.5), ValueError, "grads must contain at least one array"),
    (lambda: global_norm([np.ones(2)], -2.0), ValueError, "norm_type must be"),
    (lambda: clip_grad_norm([], 1.0), ValueError, "params must contain at least one parameter"),
    (lambda: clip_grad_norm([_param_with_grad()], 0.0), ValueError, "max_norm must be"),
    (lambda: clip_grad_norm([np.ones(2)], 1.0), TypeError, r"params\[0\] must have a .grad array"),
    (lambda: clip_grad_norm(5, 1.0), TypeError, "params must be an iterable of parameters"),
    (lambda: clip_grad_value([], 1.0), ValueError, "params must contain at least one parameter"),
    (lambda: clip_grad_value([_param_with_grad()], -1.0), ValueError, "clip_value must be"),
    (lambda: direction_cosine(np.zeros(2), np.ones(2)), ValueError, "a and b must both be non-zero"),
    (lambda: direction_cosine(np.ones(2), np.ones(3)), ValueError, "a and b must have the same number"),
    (lambda: direction_cosine([], np.ones(3)), ValueError, "a must be an array or a non-empty list"),
]


@pytest.mark.parametrize("make, error, match", BAD)
def test_bad_inputs_are_rejected_with_a_clear_message(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_bad_params_do_not_change_any_gradient():
    p = _param_with_grad()
    with pytest.raises(ValueError):
        clip_grad_norm([p], -1.0)
    np.testing.assert_array_equal(p.grad, [1.0, 2.0])


# ---------------------------------------------------------------- Clipping, the loop's setting

@pytest.mark.parametrize("scale", [0.01, 10.0, 1000.0])
@pytest.mark.parametrize("clipping, torch_clip", [
    (Clipping(max_norm=1.0), lambda ps: torch.nn.utils.clip_grad_norm_(ps, 1.0)),
    (Clipping(max_norm=0.3), lambda ps: torch.nn.utils.clip_grad_norm_(ps, 0.3)),
    (Clipping(clip_value=0.5), lambda ps: torch.nn.utils.clip_grad_value_(ps, 0.5)),
], ids=["norm 1", "norm 0.3", "value 0.5"])
def test_clipping_apply_matches_torch_and_returns_the_l2_norm_before(clipping, torch_clip, scale,
                                                                     rng):
    grads = random_grads(rng, scale)
    params = [Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad[...] = g
    held = [p.grad for p in params]
    tparams = torch_params(grads)
    norm = clipping.apply(params)
    torch_clip(tparams)
    expected_norm = torch.linalg.vector_norm(torch.cat([torch.tensor(g).ravel() for g in grads]))
    assert norm == pytest.approx(expected_norm.item(), rel=RTOL)
    for p, h, tp in zip(params, held, tparams):
        assert p.grad is h  # in place
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=RTOL, atol=0)


def test_clipping_hand_worked_and_repr():
    p = Parameter(np.zeros(2))
    p.grad[...] = [3.0, 4.0]  # norm 5
    assert Clipping(max_norm=1.0).apply([p]) == 5.0
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)  # 1 / (5 + 1e-6) of each
    p.grad[...] = [3.0, -0.25]
    assert Clipping(clip_value=0.5).apply([p]) == pytest.approx(math.hypot(3.0, 0.25))
    np.testing.assert_array_equal(p.grad, [0.5, -0.25])
    assert repr(Clipping(max_norm=2)) == "Clipping(max_norm=2.0, clip_value=None)"
    assert Clipping(max_norm=2).mode == "norm" and Clipping(clip_value=2).mode == "value"


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(), ValueError, r"Clipping needs exactly one of max_norm and clip_value, got "
                         r"max_norm=None, clip_value=None"),
    (dict(max_norm=1.0, clip_value=1.0), ValueError, r"exactly one of max_norm and clip_value"),
    (dict(max_norm=0.0), ValueError, r"max_norm must be a finite number > 0, got 0.0"),
    (dict(clip_value=-1.0), ValueError, r"clip_value must be a finite number > 0, got -1.0"),
    (dict(max_norm="1"), TypeError, r"max_norm must be a finite number > 0"),
    (dict(clip_value=math.inf), ValueError, r"clip_value must be"),
], ids=str)
def test_clipping_rejects_bad_settings(kwargs, error, match):
    with pytest.raises(error, match=match):
        Clipping(**kwargs)


def test_clipping_apply_rejects_bad_params():
    with pytest.raises(TypeError, match=r"params\[0\] must have a .grad array, got ndarray"):
        Clipping(max_norm=1.0).apply([np.zeros(3)])
    with pytest.raises(ValueError, match="params must contain at least one parameter"):
        Clipping(max_norm=1.0).apply([])
