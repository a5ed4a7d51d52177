"""Lesson 01's checks: right answers in several forms pass, and the wrong answers whose form
matters are named.

The declared mistakes are the checks' own data (``CHECKS``): tests/test_checks_meta.py runs
each one through its check as a student's answer, shows that the cases tell them apart, that
every defaulted argument is varied and that the library is refused. The hand-written answers
here are the ones whose *form* matters: the column form ``(W @ x.T).T``, a mistake that only
shows with a W that is not square, an in-place ``+=``, a student's gradient check that uses the
student's own numerical gradient.
"""
import numpy as np
import pytest
import torch

from nnlesson.course.checks import backprop_and_gradient_descent as C


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def failed_with(result, mistake):
    assert not result.passed, str(result)
    assert result.status == "fail"
    assert result.mistake == mistake, str(result)


@pytest.mark.parametrize("check", C.CHECKS, ids=lambda c: c.function)
def test_a_stub_is_not_implemented_yet(check):
    result = getattr(C, check.name)(stub)
    assert result.status == "todo" and result.mistake is None


# --------------------------------------------------------------------------- linear forward


@pytest.mark.parametrize("right", [
    lambda x, W, b: x @ W + b,
    lambda x, W, b: np.dot(x, W) + b,
    lambda x, W, b: (W.T @ x.T).T + b,  # the column form with the transposed W: right
    lambda x, W, b: np.einsum("nd,dm->nm", x, W) + b[None, :],
    lambda x, W, b: torch.nn.functional.linear(torch.tensor(x), torch.tensor(W.T),
                                               torch.tensor(b)).numpy(),
])
def test_linear_forward_right_answers_pass(right):
    result = C.check_linear_forward(right)
    assert result.passed and result.cases == 3, str(result)


def test_linear_forward_column_form_with_W_is_named_a_transpose():
    failed_with(C.check_linear_forward(lambda x, W, b: (W @ x.T).T + b), "W transposed")


def test_linear_forward_a_mistake_that_only_shows_on_non_square_weights_is_named():
    """The square cases pass; the property with W of shape (5, 2) names the transpose."""
    def transposed_only_if_not_square(x, W, b):
        return x @ W.T + b if W.shape[0] != W.shape[1] else x @ W + b

    result = C.check_linear_forward(transposed_only_if_not_square)
    failed_with(result, "right for a W that is not square")
    assert "transpose" in result.message


def test_two_layer_network_that_breaks_on_other_shapes_is_named():
    def square_only(x, labels, params):
        if params["W1"].shape[0] != params["W1"].shape[1]:
            raise ValueError("matmul: shapes not aligned")
        return two_layer_network(x, labels, params)

    failed_with(C.check_two_layer_network(square_only), "right for weights that are not square")


def test_linear_forward_calling_the_library_is_refused():
    import nnlesson as nl

    def shortcut(x, W, b):
        layer = nl.Linear(*W.shape)
        layer.W.value[...], layer.b.value[...] = W, b
        return layer.forward(x)

    result = C.check_linear_forward(shortcut)
    assert not result.passed and "nnlesson.layers.Linear" in result.message


# --------------------------------------------------------------------------- linear backward


def linear_backward(dout, x, W, dW, db):
    return dout @ W.T, dW + x.T @ dout, db + dout.sum(axis=0)


def test_linear_backward_solution_passes_and_matches_torch():
    result = C.check_linear_backward(linear_backward)
    assert result.passed and result.cases == 3
    rng = np.random.default_rng(0)
    x, W, b = (torch.tensor(rng.normal(size=s), requires_grad=True) for s in ((3, 4), (4, 2), 2))
    dout = rng.normal(size=(3, 2))
    (x @ W + b).backward(torch.tensor(dout))
    mine = linear_backward(dout, x.detach().numpy(), W.detach().numpy(), np.zeros((4, 2)),
                           np.zeros(2))
    for got, ref in zip(mine, (x.grad, W.grad, b.grad)):
        np.testing.assert_allclose(got, ref.numpy(), rtol=1e-12)


def test_linear_backward_in_place_accumulation_is_told_so():
    def in_place(dout, x, W, dW, db):
        dW += x.T @ dout
        db += dout.sum(axis=0)
        return dout @ W.T, dW, db

    result = C.check_linear_backward(in_place)
    assert not result.passed and "changed its input `dW` in place" in result.message


def test_linear_backward_outputs_in_another_order_are_named():
    result = C.check_linear_backward(lambda dout, x, W, dW, db: (
        dW + x.T @ dout, db + dout.sum(axis=0), dout @ W.T))
    assert not result.passed and "order" in result.message, str(result)


# --------------------------------------------------------------------------- softmax CE


def softmax_cross_entropy(logits, labels):
    n = logits.shape[0]
    z = logits - logits.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    grad = np.exp(log_p)
    grad[np.arange(n), labels] -= 1
    return float(-log_p[np.arange(n), labels].mean()), grad / n


def test_softmax_cross_entropy_solution_passes_and_matches_torch():
    assert C.check_softmax_cross_entropy(softmax_cross_entropy).passed
    logits = torch.tensor([[0.0, 1000.0, -1000.0], [1.0, 2.0, 3.0]], requires_grad=True)
    loss = torch.nn.functional.cross_entropy(logits.double(), torch.tensor([2, 2]))
    loss.backward()
    mine = softmax_cross_entropy(logits.detach().double().numpy(), np.array([2, 2]))
    assert mine[0] == pytest.approx(loss.item(), rel=1e-12)
    np.testing.assert_allclose(mine[1], logits.grad.numpy(), rtol=1e-6, atol=1e-12)


def test_softmax_cross_entropy_calling_the_library_is_refused():
    import nnlesson as nl

    result = C.check_softmax_cross_entropy(lambda z, y: nl.softmax_cross_entropy(z, y))
    assert not result.passed and "nnlesson.losses.softmax_cross_entropy" in result.message


# --------------------------------------------------------------------------- numerical gradient


def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = f(x)
        x[i] = old - h
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def test_numerical_gradient_solution_passes():
    assert C.check_numerical_gradient(numerical_gradient).passed


def test_numerical_gradient_with_h_hard_coded_is_named():
    def fixed_h(f, x, h=1e-5):
        return numerical_gradient(f, x)  # h never used

    result = C.check_numerical_gradient(fixed_h)
    assert not result.passed and "`h`" in result.message and "ignore" in result.message, \
        str(result)


def test_numerical_gradient_that_leaves_x_changed_is_told_so():
    def not_restored(f, x, h=1e-5):
        grad = np.zeros_like(x)
        for i in np.ndindex(x.shape):
            x[i] += h
            plus = f(x)
            x[i] -= 2 * h
            grad[i] = (plus - f(x)) / (2 * h)
        return grad

    result = C.check_numerical_gradient(not_restored)
    assert not result.passed and "changed its input `x`" in result.message
    assert "put every value back" in result.message


# --------------------------------------------------------------------------- two-layer network


def two_layer_network(x, labels, params):
    z1 = x @ params["W1"] + params["b1"]
    h = np.maximum(z1, 0)
    loss, dscores = softmax_cross_entropy(h @ params["W2"] + params["b2"], labels)
    dh = dscores @ params["W2"].T
    dz1 = dh * (z1 > 0)
    return loss, {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": h.T @ dscores,
                  "b2": dscores.sum(axis=0)}


def test_two_layer_network_solution_passes_and_matches_torch_autograd():
    assert C.check_two_layer_network(two_layer_network).passed
    rng = np.random.default_rng(1)
    x, labels = rng.normal(size=(6, 4)), np.array([0, 1, 2, 2, 1, 0])
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    loss, grads = two_layer_network(x, labels, params)
    t = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    scores = torch.relu(torch.tensor(x) @ t["W1"] + t["b1"]) @ t["W2"] + t["b2"]
    ref = torch.nn.functional.cross_entropy(scores, torch.tensor(labels))
    ref.backward()
    assert loss == pytest.approx(ref.item(), rel=1e-12)
    for k in params:
        np.testing.assert_allclose(grads[k], t[k].grad.numpy(), rtol=1e-10, atol=1e-14)


def test_two_layer_network_with_the_mask_taken_from_h_passes():
    def mask_from_h(x, labels, params):
        loss, grads = two_layer_network(x, labels, params)
        return loss, grads  # h > 0 exactly where z1 > 0: the same mask

    assert C.check_two_layer_network(mask_from_h).passed


def test_a_mistake_is_named_whatever_order_the_student_builds_the_dict_in():
    """cs231n builds grads as W2, b2, W1, b1; the mistake's dict is W1, b1, W2, b2."""
    leaky = next(m for m in C.TWO_LAYER_NETWORK.mistakes if m.name == "leaky ReLU's slope")

    def backwards_order(x, labels, params):
        loss, grads = leaky.wrong_fn(x, labels, params)
        return loss, {k: grads[k] for k in ("W2", "b2", "W1", "b1")}

    failed_with(C.check_two_layer_network(backwards_order), "leaky ReLU's slope")


def test_two_layer_network_wrong_keys_are_named():
    def lower_case(x, labels, params):
        loss, grads = two_layer_network(x, labels, params)
        return loss, {k.lower(): v for k, v in grads.items()}

    result = C.check_two_layer_network(lower_case)
    assert not result.passed and "keys" in result.message and "'W1'" in result.message


def test_two_layer_network_the_half_dead_case_has_dead_units():
    """The case that makes a forgotten mask visible really has units the ReLU switches off."""
    case = next(c for c in C.TWO_LAYER_NETWORK.get_cases() if "dead" in c.label)
    x, _, params = case.args
    z1 = x @ params["W1"] + params["b1"]
    assert np.all(z1[:, 1] < 0) and np.any(z1 > 0)


# --------------------------------------------------------------------------- gradient check


def gradient_check(loss_of, params, grads, h=1e-6):
    errors = {}
    for name, value in params.items():
        numeric = numerical_gradient(lambda _: loss_of(params), value, h)
        a = grads[name]
        errors[name] = float(np.max(np.abs(a - numeric))
                             / max(np.max(np.abs(a) + np.abs(numeric)), 1e-12))
    return errors


def test_gradient_check_with_the_students_own_numerical_gradient_passes():
    assert C.check_gradient_check(gradient_check).passed


def test_gradient_check_finds_the_planted_bug_parameter_by_parameter():
    """What the exercise's last cell shows: a forgotten ReLU mask makes W1 and b1 fail, and
    only them."""
    rng = np.random.default_rng(2)
    x, labels = rng.normal(size=(6, 4)), np.array([0, 2, 1, 1, 0, 2])
    params = {"W1": rng.normal(size=(4, 5)), "b1": rng.normal(size=5),
              "W2": rng.normal(size=(5, 3)), "b2": rng.normal(size=3)}
    _, grads = two_layer_network(x, labels, params)
    right = gradient_check(lambda p: two_layer_network(x, labels, p)[0], params, grads)
    assert max(right.values()) < 1e-7
    forgot = next(m for m in C.TWO_LAYER_NETWORK.mistakes if m.name == "ReLU mask forgotten")
    _, buggy = forgot.wrong_fn(x, labels, params)
    errors = gradient_check(lambda p: two_layer_network(x, labels, p)[0], params, buggy)
    assert errors["W1"] > 1e-2 and errors["b1"] > 1e-2
    assert errors["W2"] < 1e-7 and errors["b2"] < 1e-7


def test_gradient_check_calling_the_library_is_refused():
    import nnlesson as nl

    def shortcut(loss_of, params, grads, h=1e-6):
        return {k: nl.rel_error(grads[k], nl.numerical_gradient(lambda _: loss_of(params), v, h))
                for k, v in params.items()}

    result = C.check_gradient_check(shortcut)
    assert not result.passed and "nnlesson.gradcheck.numerical_gradient" in result.message


def test_gradient_check_errors_of_right_gradients_are_compared_as_noise():
    """Two right implementations differ in their rounding noise (1e-10 against 3e-11); the
    check must not call that a difference."""
    def scaled_noise(loss_of, params, grads, h=1e-6):
        return {k: (v * 0.3 if v < 1e-7 else v) for k, v in gradient_check(
            loss_of, params, grads, h).items()}

    assert C.check_gradient_check(scaled_noise).passed


# --------------------------------------------------------------------------- more families, as students write them


def _forward_relu(x, W, b):
    out = x.dot(W) + b
    out[out < 0] = 0
    return out


def _backward_fresh_and_mean(dout, x, W, dW, db):
    return dout.dot(W.T), x.T.dot(dout), np.mean(dout, axis=0)


def _backward_fresh_dx_with_W(dout, x, W, dW, db):
    return np.matmul(dout, W), np.matmul(x.T, dout), dout.sum(0)


def _ce_lse_batch_max(logits, labels):
    shifted = logits - np.max(logits)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = logits.shape[0]
    d = np.exp(log_probs)
    d[range(n), labels] -= 1
    return -np.sum(log_probs[range(n), labels]) / n, d / n


def _ce_column_max(logits, labels):
    shifted = logits - np.max(logits, axis=0)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = logits.shape[0]
    onehot = np.eye(logits.shape[1])[labels]
    return float(-np.sum(onehot * log_probs) / n), (np.exp(log_probs) - onehot) / n


def _numerical_back_to_x(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    it = np.nditer(x, flags=["multi_index"])
    while not it.finished:
        i = it.multi_index
        x[i] += h
        up = f(x)
        x[i] -= h  # back where it was: the second value is f(x)
        down = f(x)
        grad[i] = (up - down) / (2 * h)
        it.iternext()
    return grad


def _numerical_flat(f, x, h=1e-5):
    out = []
    for i in np.ndindex(*x.shape):
        keep = x[i]
        x[i] = keep + h
        a = f(x)
        x[i] = keep - h
        b = f(x)
        x[i] = keep
        out.append((a - b) / (2 * h))
    return np.array(out)


def _network(x, labels, params, dscores_over_n=True, backward_mask="z1"):
    z1 = x @ params["W1"] + params["b1"]
    h = np.maximum(0, z1)
    s = h @ params["W2"] + params["b2"]
    s = s - s.max(axis=1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    n = len(labels)
    loss = -np.log(p[np.arange(n), labels]).mean()
    ds = p.copy()
    ds[np.arange(n), labels] -= 1
    if dscores_over_n:
        ds /= n
    dh = ds @ params["W2"].T
    dz1 = {"z1": dh * (z1 > 0), "positive gradient": np.where(dh > 0, dh, 0.0),
           "h(1-h)": dh * h * (1 - h), "none": dh}[backward_mask]
    return loss, {"W1": x.T @ dz1, "b1": dz1.sum(axis=0), "W2": h.T @ ds, "b2": ds.sum(axis=0)}


def _gradient_check_returns_gradients(loss_of, params, grads, h=1e-6):
    result = {}
    for name in params:
        arr = params[name]
        g = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            old = arr[i]
            arr[i] = old + h
            plus = loss_of(params)
            arr[i] = old - h
            minus = loss_of(params)
            arr[i] = old
            g[i] = (plus - minus) / (2 * h)
        result[name] = g
    return result


@pytest.mark.parametrize("check, student, mistake", [
    (C.check_linear_forward, _forward_relu, "ReLU applied"),
    (C.check_linear_backward, _backward_fresh_and_mean,
     "gradients overwritten and bias gradient averaged"),
    (C.check_linear_backward, _backward_fresh_dx_with_W,
     "gradients overwritten and dx uses W instead of W.T"),
    (C.check_softmax_cross_entropy, _ce_lse_batch_max, "log-sum-exp shifted by the batch's maximum"),
    (C.check_softmax_cross_entropy, _ce_column_max, "each row shifted by the columns' maxima"),
    (C.check_numerical_gradient, _numerical_back_to_x, "second value at x instead of x - h"),
    (C.check_numerical_gradient, _numerical_flat, "gradient flattened"),
    (C.check_two_layer_network, lambda x, y, p: _network(x, y, p, dscores_over_n=False),
     "scores' gradient not divided by N"),
    (C.check_two_layer_network, lambda x, y, p: _network(x, y, p, backward_mask="positive gradient"),
     "ReLU applied to the gradient"),
    (C.check_two_layer_network, lambda x, y, p: _network(x, y, p, backward_mask="h(1-h)"),
     "sigmoid's derivative written with the ReLU's output"),
    (C.check_gradient_check, _gradient_check_returns_gradients,
     "the numerical gradients returned instead of errors"),
])
def test_more_mistake_families_are_named(check, student, mistake):
    result = check(student)
    assert not result.passed and result.mistake == mistake, str(result)
    assert "Hint" in result.message


def test_the_network_written_independently_passes():
    assert C.check_two_layer_network(_network).passed


def _ce_with_a_floor(floor):
    def softmax_cross_entropy(logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        rows = np.arange(len(labels))
        loss = -np.mean(np.log(floor(probs[rows, labels])))
        dlogits = probs.copy()
        dlogits[rows, labels] -= 1
        return float(loss), dlogits / len(labels)
    return softmax_cross_entropy


def _error_formula(denominator):
    def gradient_check(loss_of, params, grads, h=1e-6):
        errors = {}
        for name, value in params.items():
            numeric = np.zeros_like(value)
            for i in np.ndindex(value.shape):
                old = value[i]
                value[i] = old + h
                up = loss_of(params)
                value[i] = old - h
                down = loss_of(params)
                value[i] = old
                numeric[i] = (up - down) / (2 * h)
            a = grads[name]
            errors[name] = float(np.abs(a - numeric).max() / max(denominator(a, numeric), 1e-12))
        return errors
    return gradient_check


@pytest.mark.parametrize("check, student, mistake", [
    (C.check_linear_forward, lambda x, W, b: np.dot(x, W.T), "W transposed and bias forgotten"),
    (C.check_softmax_cross_entropy, _ce_with_a_floor(lambda p: np.clip(p, 1e-7, 1 - 1e-7)),
     "probability clipped before the log"),
    (C.check_softmax_cross_entropy, _ce_with_a_floor(lambda p: p + 1e-8), "epsilon inside the log"),
    (C.check_softmax_cross_entropy, _ce_with_a_floor(lambda p: np.maximum(p, 1e-15)),
     "epsilon inside the log"),
    (C.check_two_layer_network, lambda x, y, p: _network(x, y, p, dscores_over_n=False,
                                                         backward_mask="none"),
     "ReLU mask forgotten and scores' gradient not divided by N"),
    (C.check_two_layer_network,
     lambda x, y, p: (lambda loss, g: (loss, {"W1": g["W2"], "b1": g["b2"], "W2": g["W1"],
                                              "b2": g["b1"]}))(*_network(x, y, p)),
     "the two layers' gradients exchanged"),
    (C.check_gradient_check, _error_formula(lambda a, n: np.abs(a + n).max()),
     "|a + n| instead of |a| + |n|"),
    (C.check_gradient_check, _error_formula(lambda a, n: np.maximum(np.abs(a), np.abs(n)).max()),
     "the larger of |a| and |n| instead of their sum"),
])
def test_conventions_and_pairs_are_named(check, student, mistake):
    result = check(student)
    assert not result.passed and result.mistake == mistake, str(result)


def test_a_gradient_of_the_wrong_sign_has_error_one():
    """The course's error of a = -n is 1 (nl.rel_error agrees), whatever the magnitudes."""
    import nnlesson as nl

    n = np.array([0.5, -2.0, 3.0])
    assert nl.rel_error(-n, n) == pytest.approx(1.0)
    assert C.check_gradient_check(_error_formula(lambda a, n: (np.abs(a) + np.abs(n)).max())).passed
