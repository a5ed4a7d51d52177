"""Lesson 12's checks: the solutions pass, stubs are 'not implemented', every listed mistake
is named, and broken functions get a clear message."""
import numpy as np
import pytest

from nnlesson.course.checks import residual_connections as C
from nnlesson.losses import softmax_cross_entropy


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


def failed_with(result, mistake):
    assert not result.passed, str(result)
    assert result.status == "fail"
    assert result.mistake == mistake, str(result)


# --------------------------------------------------------------------------- forward


def residual_forward(x, W1, b1, W2, b2):
    F = np.maximum(x @ W1 + b1, 0) @ W2 + b2
    if F.shape != x.shape:
        raise ValueError(f"F(x) has shape {F.shape}, x has shape {x.shape}")
    return x + F


def test_residual_forward_solution_passes_and_stub_is_todo():
    result = C.check_residual_forward(residual_forward)
    assert result.passed and result.cases == 4 and "1 property check" in result.message
    assert C.check_residual_forward(stub).status == "todo"


@pytest.mark.parametrize("wrong, mistake", [
    (lambda x, W1, b1, W2, b2: np.maximum(x @ W1 + b1, 0) @ W2 + b2, "skip connection missing"),
    (lambda x, W1, b1, W2, b2: np.maximum(x + np.maximum(x @ W1 + b1, 0) @ W2 + b2, 0),
     "relu after the sum"),
    (lambda x, W1, b1, W2, b2: x + (x @ W1 + b1) @ W2 + b2, "relu missing"),
    (lambda x, W1, b1, W2, b2: x + np.maximum(x @ W1.T + b1, 0) @ W2 + b2, "W1 transposed"),
    # right numbers, but numpy's broadcasting silently accepts a block of the wrong width
    (lambda x, W1, b1, W2, b2: x + np.maximum(x @ W1 + b1, 0) @ W2 + b2,
     "shape mismatch not handled"),
])
def test_residual_forward_mistakes_are_named(wrong, mistake):
    failed_with(C.check_residual_forward(wrong), mistake)


def test_residual_forward_broken_functions_get_clear_messages():
    result = C.check_residual_forward(lambda x, W1, b1, W2, b2: None)
    assert "returned None" in result.message
    result = C.check_residual_forward(lambda x, W1, b1, W2, b2: residual_forward(x, W1, b1, W2,
                                                                                 b2)[0])
    assert "expected shape" in result.message

    def in_place(x, W1, b1, W2, b2):
        x += np.maximum(x @ W1 + b1, 0) @ W2 + b2
        return x

    result = C.check_residual_forward(in_place)
    assert "changed its input `x` in place" in result.message

    def asserts_the_shapes(x, W1, b1, W2, b2):
        F = np.maximum(x @ W1 + b1, 0) @ W2 + b2
        assert F.shape == x.shape, "F(x) must have the shape of x"
        return x + F

    assert C.check_residual_forward(asserts_the_shapes).passed

    def raises_something_else(x, W1, b1, W2, b2):
        F = np.maximum(x @ W1 + b1, 0) @ W2 + b2
        if F.shape != x.shape:
            raise KeyError("shapes")
        return x + F

    result = C.check_residual_forward(raises_something_else)
    assert result.mistake == "shape mismatch not handled"


# --------------------------------------------------------------------------- backward


def residual_backward(dout, x, W1, b1, W2, b2):
    z1 = x @ W1 + b1
    h = np.maximum(z1, 0)
    dW2, db2 = h.T @ dout, dout.sum(axis=0)
    dz1 = (dout @ W2.T) * (z1 > 0)
    dW1, db1 = x.T @ dz1, dz1.sum(axis=0)
    return dout + dz1 @ W1.T, dW1, db1, dW2, db2


def test_residual_backward_solution_passes_and_stub_is_todo():
    result = C.check_residual_backward(residual_backward)
    assert result.passed and result.cases == 4
    assert C.check_residual_backward(stub).status == "todo"


def _variant(dx_rule=lambda dout, dxF: dout + dxF, mask=True, W1_T=True, sum_b2=True):
    def wrong(dout, x, W1, b1, W2, b2):
        z1 = x @ W1 + b1
        h = np.maximum(z1, 0)
        dz1 = dout @ W2.T
        if mask:
            dz1 = dz1 * (z1 > 0)
        dxF = dz1 @ (W1.T if W1_T else W1)
        db2 = dout.sum(axis=0) if sum_b2 else dout
        return dx_rule(dout, dxF), x.T @ dz1, dz1.sum(axis=0), h.T @ dout, db2
    return wrong


@pytest.mark.parametrize("wrong, mistake", [
    (_variant(dx_rule=lambda dout, dxF: dxF), "identity path forgotten in backward"),
    (_variant(dx_rule=lambda dout, dxF: dout + dout + dxF), "dout added twice"),
    (_variant(mask=False), "ReLU mask missing in backward"),
    (_variant(W1_T=False), "W1 instead of W1.T"),
    (_variant(sum_b2=False), "bias gradient not summed over the batch"),
])
def test_residual_backward_mistakes_are_named(wrong, mistake):
    failed_with(C.check_residual_backward(wrong), mistake)


def test_residual_backward_broken_functions_get_clear_messages():
    result = C.check_residual_backward(lambda *a: residual_backward(*a)[:4])
    assert "expected 5 outputs, got 4" in result.message
    result = C.check_residual_backward(lambda *a: 1 / 0)
    assert "raised ZeroDivisionError" in result.message
    result = C.check_residual_backward(lambda *a: tuple(np.full_like(g, np.nan)
                                                        for g in residual_backward(*a)))
    assert "NaN" in result.message


# --------------------------------------------------------------------------- norms per layer


def grad_norms_per_layer(model, X, y):
    model.zero_grad()
    loss, dlogits = softmax_cross_entropy(model.forward(X), y)
    model.backward(dlogits)
    return np.array([np.linalg.norm(p.grad) for p in model.parameters() if p.value.ndim == 2])


def test_grad_norms_solution_passes_and_stub_is_todo():
    result = C.check_grad_norms_per_layer(grad_norms_per_layer)
    assert result.passed and result.cases == 3
    assert C.check_grad_norms_per_layer(stub).status == "todo"


def _no_zero_grad(model, X, y):
    model.backward(softmax_cross_entropy(model.forward(X), y)[1])
    return np.array([np.linalg.norm(p.grad) for p in model.parameters() if p.value.ndim == 2])


def _values(model, X, y):
    grad_norms_per_layer(model, X, y)
    return np.array([np.linalg.norm(p.value) for p in model.parameters() if p.value.ndim == 2])


def _squared(model, X, y):
    return grad_norms_per_layer(model, X, y) ** 2


def _with_biases(model, X, y):
    grad_norms_per_layer(model, X, y)
    layers = [m for m in _walk(model) if hasattr(m, "W")]
    return np.array([np.sqrt(np.sum(m.W.grad**2) + np.sum(m.b.grad**2)) for m in layers])


def _walk(m):
    yield m
    for c in m.children():
        yield from _walk(c)


def _reversed(model, X, y):
    return grad_norms_per_layer(model, X, y)[::-1]


@pytest.mark.parametrize("wrong, mistake", [
    (_no_zero_grad, "gradients not cleared first"),
    (_values, "norm of the weights, not of the gradients"),
    (_squared, "squared norm"),
    (_with_biases, "biases included"),
    (_reversed, "layers in reverse order"),
])
def test_grad_norms_mistakes_are_named(wrong, mistake):
    failed_with(C.check_grad_norms_per_layer(wrong), mistake)


def test_grad_norms_broken_functions_get_clear_messages():
    result = C.check_grad_norms_per_layer(lambda m, X, y: list(grad_norms_per_layer(m, X, y)))
    assert "expected a numpy array" in result.message
    result = C.check_grad_norms_per_layer(lambda m, X, y: None)
    assert "returned None" in result.message

    def scales_X(model, X, y):
        X *= 2.0
        return grad_norms_per_layer(model, X, y)

    result = C.check_grad_norms_per_layer(scales_X)
    assert "changed its input `X` in place" in result.message


# --------------------------------------------------------------------------- every check


SOLUTIONS = [
    (C.check_residual_forward, residual_forward),
    (C.check_residual_backward, residual_backward),
    (C.check_grad_norms_per_layer, grad_norms_per_layer),
]


def _cut(out):
    """The output with its first array one row short: a wrong shape."""
    if isinstance(out, tuple):
        return (out[0][:-1],) + out[1:]
    return out[:-1]


@pytest.mark.parametrize("check, solution", SOLUTIONS)
def test_every_check_explains_raising_none_wrong_shape_and_mutation(check, solution):
    def raising(*args, **kwargs):
        return {}["missing"]

    def returns_none(*args, **kwargs):
        solution(*args, **kwargs)

    def wrong_shape(*args, **kwargs):
        return _cut(solution(*args, **kwargs))

    def mutating(*args, **kwargs):
        out = solution(*args, **kwargs)
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        arrays[0][...] = 0.0
        return out

    result = check(raising)
    assert result.status == "fail" and "raised KeyError" in result.message
    assert "Traceback" not in str(result)
    assert "returned None" in check(returns_none).message
    assert "expected shape" in check(wrong_shape).message
    assert "in place" in check(mutating).message
