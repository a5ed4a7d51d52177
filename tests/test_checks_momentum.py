"""Lesson 04's exercise checks: solutions pass, stubs are "not implemented", and the wrong answers
whose form differs from the declared mistakes (a velocity started from zeros, a look-ahead taken
before the update) are named; tests/test_checks_meta.py covers every declared mistake."""
import numpy as np
import pytest

from nnlesson.course.checks.momentum import (
    check_momentum_update,
    check_nesterov_update,
    check_sgd_momentum_update,
)
from nnlesson.optim import momentum_update, sgd_update

# --------------------------------------------------------------------------- student solutions


def ema_solution(w, g, v, lr, beta):
    v = beta * v + (1 - beta) * g
    return w - lr * v, v


def sgd_solution(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = g.copy()
    else:
        buf = momentum * buf + (1 - dampening) * g
    return w - lr * buf, buf


def nesterov_solution(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    return w - lr * (g + momentum * buf), buf


def stub(*args, **kwargs):
    raise NotImplementedError("replace this line with your code")


CHECKS = [check_momentum_update, check_sgd_momentum_update, check_nesterov_update]


def test_student_solutions_pass():
    assert check_momentum_update(ema_solution).passed
    assert check_sgd_momentum_update(sgd_solution).passed
    assert check_nesterov_update(nesterov_solution).passed
    result = check_momentum_update(ema_solution)
    assert result.message == "passed 6 cases" and result.mistake is None


@pytest.mark.parametrize("check, library", [
    (check_momentum_update, lambda w, g, v, lr, beta: momentum_update(w, g, v, lr=lr, beta=beta)),
    (check_sgd_momentum_update, lambda w, g, buf, lr, momentum, dampening=0.0: sgd_update(
        w, g, buf, lr=lr, momentum=momentum, dampening=dampening)),
    (check_nesterov_update, lambda w, g, buf, lr, momentum: sgd_update(
        w, g, buf, lr=lr, momentum=momentum, nesterov=True)),
])
def test_calling_the_library_is_caught(check, library):
    result = check(library)
    assert not result.passed and result.mistake == "calls the library"
    assert "write `" in result.message


@pytest.mark.parametrize("check", CHECKS)
def test_stubs_are_not_implemented_yet(check):
    result = check(stub)
    assert result.status == "todo" and not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- EMA mistakes


def ema_no_one_minus_beta(w, g, v, lr, beta):
    v = beta * v + g
    return w - lr * v, v


def ema_cs231n(w, g, v, lr, beta):
    v = beta * v - lr * g
    return w + v, v


def test_ema_explanations_say_what_to_do():
    message = check_momentum_update(ema_no_one_minus_beta).message
    assert "(1 - beta)" in message and message.endswith("Hint 2 above gives the formula.")
    assert "cs231n" in check_momentum_update(ema_cs231n).message


# --------------------------------------------------------------------------- PyTorch-form mistakes


def sgd_ema_form(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = np.zeros_like(g)
    buf = momentum * buf + (1 - momentum) * g
    return w - lr * buf, buf


def sgd_zero_start(w, g, buf, lr, momentum, dampening=0.0):
    # starting from a zero velocity puts the dampening on the first step
    if buf is None:
        buf = np.zeros_like(g)
    buf = momentum * buf + (1 - dampening) * g
    return w - lr * buf, buf


def sgd_cs231n(w, g, buf, lr, momentum, dampening=0.0):
    v = np.zeros_like(g) if buf is None else buf
    v = momentum * v - lr * g
    return w + v, v


def sgd_old_buffer(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        new = g.copy()
        return w - lr * new, new
    new = momentum * buf + (1 - dampening) * g
    return w - lr * buf, new


@pytest.mark.parametrize("student, mistake", [
    (sgd_ema_form, "EMA form instead of PyTorch's"),
    (sgd_zero_start, "dampening on the first step"),
    (sgd_cs231n, "learning rate folded into the velocity"),
    (sgd_old_buffer, "step with the old velocity"),
])
def test_pytorch_form_mistakes_are_named(student, mistake):
    result = check_sgd_momentum_update(student)
    assert not result.passed and result.status == "fail"
    assert result.mistake == mistake


# --------------------------------------------------------------------------- Nesterov mistakes


def nesterov_old_lookahead(w, g, buf, lr, momentum):
    if buf is None:
        buf = g.copy()
        return w - lr * (g + momentum * buf), buf
    step = g + momentum * buf  # the look-ahead taken before the velocity is updated
    return w - lr * step, momentum * buf + g


def nesterov_old_lookahead_from_zero(w, g, buf, lr, momentum):
    # starting from zeros and looking ahead with the old velocity is classical momentum
    old = np.zeros_like(g) if buf is None else buf
    return w - lr * (g + momentum * old), momentum * old + g


@pytest.mark.parametrize("student, mistake", [
    (nesterov_old_lookahead_from_zero, "no look-ahead"),
    (nesterov_old_lookahead, "look-ahead with the old velocity"),
])
def test_nesterov_mistakes_are_named(student, mistake):
    result = check_nesterov_update(student)
    assert not result.passed and result.status == "fail"
    assert result.mistake == mistake


# --------------------------------------------------------------------------- misbehaving code


def _in_place_ema(w, g, v, lr, beta):
    v *= beta
    v += (1 - beta) * g
    return w - lr * v, v


def _in_place_sgd(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        buf = g.copy()
    else:
        buf *= momentum
        buf += (1 - dampening) * g
    return w - lr * buf, buf


def _in_place_nesterov(w, g, buf, lr, momentum):
    buf = g.copy() if buf is None else momentum * buf + g
    w -= lr * (g + momentum * buf)
    return w, buf


@pytest.mark.parametrize("check, student", [
    (check_momentum_update, lambda w, g, v, lr, beta: (w - lr * g, v)[0]),
    (check_sgd_momentum_update, lambda w, g, buf, lr, momentum, dampening=0.0: (w, g, g)),
    (check_nesterov_update, lambda w, g, buf, lr, momentum: (w.sum(), g)),
])
def test_wrong_kinds_of_output_are_described(check, student):
    result = check(student)
    assert not result.passed and result.mistake is None
    assert ("expected 2 outputs" in result.message or "expected a numpy array" in result.message
            or "expected shape" in result.message)


def test_wrong_shape_and_dtype_are_described():
    result = check_momentum_update(lambda w, g, v, lr, beta: (w.ravel()[:1], v))
    assert "expected shape" in result.message
    result = check_momentum_update(
        lambda w, g, v, lr, beta: ((w - lr * ((1 - beta) * g + beta * v)).astype(np.float32),
                                   beta * v + (1 - beta) * g))
    assert "expected dtype float64, got dtype float32" in result.message


def test_nan_output_is_described():
    result = check_nesterov_update(lambda w, g, buf, lr, momentum: (w * np.nan, g))
    assert not result.passed and "NaN" in result.message


@pytest.mark.parametrize("check, student, name", [
    (check_momentum_update, _in_place_ema, "v"),
    (check_sgd_momentum_update, _in_place_sgd, "buf"),
    (check_nesterov_update, _in_place_nesterov, "w"),
])
def test_changing_an_input_in_place_is_reported(check, student, name):
    result = check(student)
    assert not result.passed
    assert f"changed its input `{name}` in place" in result.message


def test_an_unlisted_mistake_gets_the_expected_and_received_values():
    result = check_momentum_update(lambda w, g, v, lr, beta: ema_solution(w, g, v, lr + 0.01, beta))
    assert not result.passed and result.mistake is None
    assert result.message.startswith("wrong result on case 'first step: v is zero': output 1 "
                                     "of 2 (`w`): element [0]")
    assert result.details[0].startswith("expected: (") and result.details[1].startswith("received")


# --------------------------------------------------------------------------- every declaration

from nnlesson.course.checks import momentum as declared  # noqa: E402
from nnlesson.course.checks.momentum import check_heavy_ball_settings  # noqa: E402


@pytest.mark.parametrize("declaration", declared.CHECKS, ids=lambda c: c.name)
def test_the_cases_vary_every_argument(declaration):
    """Every hyperparameter takes at least two values over the cases (none stays at one)."""
    cases = declaration.get_cases()
    for position in range(3, len(cases[0].args)):
        values = {repr(c.args[position]) for c in cases if len(c.args) > position}
        assert len(values) >= 2, (declaration.name, position)
    keywords = {k for c in cases for k in c.kwargs}
    for k in keywords:
        assert len({repr(c.kwargs.get(k)) for c in cases}) >= 2, (declaration.name, k)


# --------------------------------------------------------------------------- heavy ball


def heavy_ball_settings(grad, w0):
    """A student's answer: the Hessian by one-sided differences, its eigenvalues, Polyak."""
    n, h = len(w0), 1e-3
    H = np.empty((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        H[:, j] = (grad(w0 + e) - grad(w0)) / h
    lam = np.linalg.eigvalsh((H + H.T) / 2)
    L, m = lam[-1], lam[0]
    root = np.sqrt(L / m)
    return 4 / (np.sqrt(L) + np.sqrt(m)) ** 2, ((root - 1) / (root + 1)) ** 2


def test_heavy_ball_solution_passes():
    result = check_heavy_ball_settings(heavy_ball_settings)
    assert result.passed, str(result)


def test_heavy_ball_reference_on_the_lessons_ravine_by_hand():
    # f = (x^2 + 25 y^2) / 2: L = 25, m = 1, sqrt(kappa) = 5; beta = (4/6)^2, lr = 4 / 36
    lr, beta = declared.HEAVY_BALL.expected()[1]
    assert lr == pytest.approx(1 / 9, rel=1e-12) and beta == pytest.approx(4 / 9, rel=1e-12)


def _spectral_radius(lr, beta, curvatures):
    """Largest |eigenvalue| of the heavy-ball iteration (w_t, w_{t-1}) -> (w_{t+1}, w_t) on
    each curvature lam: w_{t+1} = w_t - lr lam w_t + beta (w_t - w_{t-1})."""
    worst = 0.0
    for lam in curvatures:
        step = np.array([[1 + beta - lr * lam, -beta], [1.0, 0.0]])
        worst = max(worst, np.abs(np.linalg.eigvals(step)).max())
    return worst


@pytest.mark.parametrize("index", range(6))
def test_heavy_ball_reference_is_the_fastest_setting_of_a_grid(index):
    """Independent of the formula: no (lr, beta) of a fine grid makes the error shrink faster
    per step than the reference's settings, whose rate is (sqrt(kappa) - 1) / (sqrt(kappa) + 1)."""
    case = declared.HEAVY_BALL.get_cases()[index]
    grad, w0 = case.args
    lam = np.linalg.eigvalsh(grad._hessian)
    lr, beta = declared.HEAVY_BALL.expected()[index]
    best = _spectral_radius(lr, beta, lam)
    root = np.sqrt(lam[-1] / lam[0])
    assert best == pytest.approx((root - 1) / (root + 1), abs=1e-6)
    for f in np.linspace(0.5, 1.5, 21):
        for b in np.linspace(0.0, 0.95, 20):
            assert _spectral_radius(f * lr, b, lam) >= best - 1e-6


def test_heavy_ball_settings_confirmed_by_a_run_on_the_mystery_valley():
    """The runner, PyTorch's form, 400 steps: the reference's settings reach 1e-8 sooner than
    plain gradient descent at its best rate and than beta = 0.9 at any rate of a ladder."""
    from nnlesson.course.runner import run

    valley = declared.mystery_valley()
    lr, beta = declared.HEAVY_BALL.expected()[0]

    def steps(lr, beta):
        path = run(valley, "sgd", lr=lr, hyperparameters={"momentum": beta}, n_steps=400)
        if path.diverged or path.values[-1] >= 1e-8:
            return np.inf
        return int(np.flatnonzero(path.values >= 1e-8)[-1]) + 1

    ours = steps(lr, beta)
    assert ours < 100
    assert steps(2 / (32 + 0.5), 0.0) > 3 * ours
    assert min(steps(rate, 0.9) for rate in np.geomspace(1e-3, 1, 31)) > 2 * ours


def test_valley_surface():
    valley = declared.mystery_valley()
    w = np.array([0.3, -1.2])
    h = 1e-6
    numeric = [(valley.value(w + h * e) - valley.value(w - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(valley.grad(w), numeric, rtol=1e-7)
    np.testing.assert_allclose(valley.grad(np.array(valley.minimum)), 0.0, atol=1e-12)
    np.testing.assert_allclose(np.linalg.eigvalsh(valley._hessian), [0.5, 32.0])
    grid = np.stack([w, w + 1.0])
    np.testing.assert_allclose(valley.value(grid), [valley.value(w), valley.value(w + 1.0)])
    with pytest.raises(ValueError, match="L and m must be"):
        declared.Valley(L=1.0, m=2.0)


@pytest.mark.parametrize("student, mistake", [
    (lambda grad, w0: _student(grad, w0, use="diag"),
     "diagonal of the Hessian instead of its eigenvalues"),
    (lambda grad, w0: _student(grad, w0, central_over_h=True), "curvatures twice too large"),
    (lambda grad, w0: _student(grad, w0, half=True), "curvatures half the real ones"),
    (lambda grad, w0: _student(grad, w0, beta_form="kappa"), "kappa instead of sqrt(kappa) in beta"),
    (lambda grad, w0: _student(grad, w0, beta_form="rate"), "beta not squared"),
    (lambda grad, w0: _student(grad, w0, lr_form="ema"), "EMA learning rate"),
    (lambda grad, w0: _student(grad, w0, lr_form="gd"), "gradient descent's best rate"),
    (lambda grad, w0: _student(grad, w0, lr_form="gd", beta_form="zero"), "no momentum"),
    (lambda grad, w0: _student(grad, w0, lr_form="no roots"), "square roots missing in lr"),
    (lambda grad, w0: _student(grad, w0)[::-1], "outputs in the wrong order"),
])
def test_heavy_ball_mistakes_as_students_write_them(student, mistake):
    result = check_heavy_ball_settings(student)
    assert not result.passed and result.mistake == mistake, str(result)


def _student(grad, w0, use="eig", central_over_h=False, half=False, beta_form="right",
             lr_form="right"):
    n, h = len(w0), 0.5
    H = np.zeros((n, n))
    for j in range(n):
        e = np.zeros(n)
        e[j] = h
        H[:, j] = (grad(w0 + e) - grad(w0 - e)) / (h if central_over_h else 2 * h)
    if half:
        H = H / 2
    lam = np.diag(H) if use == "diag" else np.linalg.eigvalsh(H)
    L, m = max(lam), min(lam)
    k = L / m
    beta = {"right": ((np.sqrt(k) - 1) / (np.sqrt(k) + 1)) ** 2,
            "kappa": ((k - 1) / (k + 1)) ** 2,
            "rate": (np.sqrt(k) - 1) / (np.sqrt(k) + 1), "zero": 0.0}[beta_form]
    lr = {"right": 4 / (np.sqrt(L) + np.sqrt(m)) ** 2, "gd": 2 / (L + m),
          "no roots": 4 / (L + m)}.get(lr_form)
    if lr_form == "ema":
        lr = 4 / (np.sqrt(L) + np.sqrt(m)) ** 2 / (1 - beta)
    return lr, beta


# --------------------------------------------------------------------------- more families, as students write them


def _ema_two_steps(w, g, v, lr, beta):
    v_new = beta * v + (1 - beta) * g
    w_new = w - lr * g       # a gradient step ...
    w_new = w_new - lr * v_new  # ... and the momentum step
    return w_new, v_new


def _ema_torch_velocity_old_step(w, g, v, lr, beta):
    step = lr * v
    return w - step, g + beta * v


def _sgd_average_later(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        new = g.copy()
    else:
        new = momentum * buf + (1.0 - momentum) * g
    return w - lr * new, new


def _sgd_gradient_step(w, g, buf, lr, momentum, dampening=0.0):
    new = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
    return w - lr * g, new


def _sgd_gradient_plus_velocity(w, g, buf, lr, momentum, dampening=0.0):
    new = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
    return w - lr * g - lr * new, new


def _sgd_factors_swapped(w, g, buf, lr, momentum, dampening=0.0):
    if buf is None:
        return w - lr * g, g.copy()
    new = buf * (1 - dampening) + g * momentum
    return w - lr * new, new


def _sgd_zero_start_with_dampening(w, g, buf, lr, momentum, dampening=0.0):
    previous = np.zeros_like(w) if buf is None else buf
    new = momentum * previous + dampening * g
    return w - lr * new, new


def _nesterov_average_later(w, g, buf, lr, momentum):
    new = g.copy() if buf is None else momentum * buf + (1 - momentum) * g
    return w - lr * (g + momentum * new), new


def _nesterov_momentum_on_g(w, g, buf, lr, momentum):
    new = g.copy() if buf is None else momentum * buf + g
    return w - lr * (new + momentum * g), new


@pytest.mark.parametrize("check, student, mistake", [
    (check_momentum_update, _ema_two_steps, "gradient step added to the velocity step"),
    (check_momentum_update, _ema_torch_velocity_old_step,
     "(1 - beta) missing and the step with the old velocity"),
    (check_sgd_momentum_update, _sgd_average_later, "EMA form from the second step on"),
    (check_sgd_momentum_update, _sgd_gradient_step, "step with the gradient instead of the velocity"),
    (check_sgd_momentum_update, _sgd_gradient_plus_velocity,
     "gradient added to the velocity in the step"),
    (check_sgd_momentum_update, _sgd_factors_swapped, "momentum and 1 - dampening swapped"),
    (check_sgd_momentum_update, _sgd_zero_start_with_dampening,
     "dampening on the first step and instead of 1 - dampening"),
    (check_nesterov_update, _nesterov_average_later, "EMA velocity from the second step on"),
    (check_nesterov_update, _nesterov_momentum_on_g,
     "momentum on the gradient instead of the look-ahead"),
])
def test_more_update_mistake_families_are_named(check, student, mistake):
    result = check(student)
    assert not result.passed and result.mistake == mistake, str(result)


def _heavy_ball_other_forms(grad, w0, lr_form):
    n = len(w0)
    H = np.column_stack([grad(w0 + np.eye(n)[j]) - grad(w0) for j in range(n)])  # exact here
    curv = np.linalg.eigvalsh((H + H.T) / 2)
    L, m = curv[-1], curv[0]
    beta = ((np.sqrt(L / m) - 1) / (np.sqrt(L / m) + 1)) ** 2
    lr = {"no square": 4 / (np.sqrt(L) + np.sqrt(m)),
          "times (1 - beta)": 4 * (1 - beta) / (np.sqrt(L) + np.sqrt(m)) ** 2}[lr_form]
    return lr, beta


def _heavy_ball_of_the_ravine(grad, w0):
    k = 25.0
    return 4 / (5 + 1) ** 2, ((np.sqrt(k) - 1) / (np.sqrt(k) + 1)) ** 2


def _heavy_ball_of_the_mystery_valley(grad, w0):
    L, m = 32.0, 0.5
    return 4 / (L ** 0.5 + m ** 0.5) ** 2, ((8 - 1) / (8 + 1)) ** 2


@pytest.mark.parametrize("student, mistake", [
    (lambda grad, w0: _heavy_ball_other_forms(grad, w0, "no square"), "square missing in lr"),
    (lambda grad, w0: _heavy_ball_other_forms(grad, w0, "times (1 - beta)"),
     "lr multiplied by (1 - beta)"),
    (_heavy_ball_of_the_ravine, "the lesson's ravine written in"),
    (_heavy_ball_of_the_mystery_valley, "the mystery valley's settings written in"),
])
def test_more_heavy_ball_mistake_families_are_named(student, mistake):
    result = check_heavy_ball_settings(student)
    assert not result.passed and result.mistake == mistake, str(result)


@pytest.mark.parametrize("check, student, mistake", [
    (check_momentum_update, lambda w, g, v, lr, beta: (w - lr * (beta * v + (1 - beta) * g), v.copy()),
     "old velocity returned"),
    (check_momentum_update, lambda w, g, v, lr, beta: (w + lr * (g + beta * v), g + beta * v),
     "(1 - beta) missing and a sign error"),
    (check_sgd_momentum_update,
     lambda w, g, buf, lr, momentum, dampening=0.0: (
         w - lr * (g if buf is None else momentum * buf + (1 - dampening) * g),
         g.copy() if buf is None else buf.copy()),
     "old velocity returned"),
    (check_nesterov_update,
     lambda w, g, buf, lr, momentum: (
         w - lr * (g + momentum * (g if buf is None else momentum * buf + g)),
         g.copy() if buf is None else buf.copy()),
     "old velocity returned"),
])
def test_a_velocity_that_is_not_carried_forward_is_named(check, student, mistake):
    result = check(student)
    assert not result.passed and result.mistake == mistake, str(result)


@pytest.mark.parametrize("lr_of, mistake", [
    (lambda L, m: 2 / L, "gradient descent's limit 2 / L as lr"),
    (lambda L, m: 1 / L, "gradient descent's 1 / L as lr"),
])
def test_gradient_descents_rates_are_named(lr_of, mistake):
    def heavy_ball_settings(grad, w0):
        n = len(w0)
        H = np.array([(grad(w0 + 1e-2 * e) - grad(w0 - 1e-2 * e)) / 2e-2 for e in np.eye(n)]).T
        curvatures = np.linalg.eigvalsh((H + H.T) / 2)
        L, m = curvatures.max(), curvatures.min()
        q = (np.sqrt(L) - np.sqrt(m)) / (np.sqrt(L) + np.sqrt(m))
        return lr_of(L, m), q * q

    result = check_heavy_ball_settings(heavy_ball_settings)
    assert not result.passed and result.mistake == mistake, str(result)


def test_a_velocity_of_steps_is_named_in_both_forms():
    def ema_with_lr_inside(w, g, v, lr, beta):
        v = beta * v + lr * g
        return w - v, v

    def torch_with_lr_inside(w, g, buf, lr, momentum, dampening=0.0):
        step = lr * g if buf is None else momentum * buf + lr * g
        return w - step, step

    for check, student in ((check_momentum_update, ema_with_lr_inside),
                           (check_sgd_momentum_update, torch_with_lr_inside)):
        result = check(student)
        assert not result.passed and result.mistake == "learning rate folded into the velocity"
