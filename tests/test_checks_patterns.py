"""The generic diagnoses of nnlesson.course.checks._patterns, one test per pattern.

Each test feeds a wrong answer of one pattern to several different checks: toy checks declared
here, lesson 06's, and other lessons' checks (declared or still built with ``run_check``). A
check's own named mistakes come first; so that these tests exercise the generic diagnosis
itself, :func:`bare` runs a check with its cases and reference but without its named mistakes.
Every student function here is written by hand, as a student would write it (the checks forbid
calling the library).
"""
import dataclasses
import sys

import numpy as np
import pytest

import nnlesson.course.checks as checks
from nnlesson.course.checks import Case, Check, Mistake, run_check


def bare(check_fn):
    """``check_fn`` without its named mistakes: its cases and reference, nothing else."""
    declared = getattr(check_fn, "check", None)
    if declared is not None:
        return lambda student: dataclasses.replace(declared, mistakes=()).run(student)
    module = sys.modules[check_fn.__module__]

    def run(student):
        original = module.run_check

        def without_mistakes(name, student_fn, cases, reference, mistakes=(), **kwargs):
            return original(name, student_fn, cases, reference, (), **kwargs)

        module.run_check = without_mistakes
        try:
            return check_fn(student)
        finally:
            module.run_check = original
    return run


def diagnose(check_name, student):
    with np.errstate(all="ignore"):
        return bare(getattr(checks, check_name))(student)


# ----------------------------------------------------------------------------- toy checks

_rng = np.random.default_rng(7)


def _lerp(a, b, weight=0.5):
    """(1 - weight) a + weight b."""
    return (1 - weight) * a + weight * b


LERP = Check(
    name="check_lerp", function="lerp", reference=_lerp,
    cases=[Case("weight 0.2", (_rng.normal(size=3), _rng.normal(size=3)), {"weight": 0.2}),
           Case("weight 0.9 on a matrix", (_rng.normal(size=(2, 2)), _rng.normal(size=(2, 2))),
                {"weight": 0.9}),
           Case("the default weight", (_rng.normal(size=4), _rng.normal(size=4)))],
    output_names=("mixed",), forbidden=(), doc="(1 - weight) a + weight b")


def _center_columns(X, scale=1.0):
    """scale * (X - column means)."""
    return scale * (X - X.mean(axis=0))


CENTER = Check(
    name="check_center_columns", function="center_columns", reference=_center_columns,
    cases=[Case("3 x 3", (_rng.normal(size=(3, 3)) * [1, 10, 100],)),
           Case("4 x 4, scale 2", (_rng.normal(size=(4, 4)) + [0, 5, 0, -5],), {"scale": 2.0}),
           Case("2 x 2", (np.array([[1.0, 2.0], [5.0, -3.0]]),))],
    output_names=("centred",), doc="scale * (X - X.mean(axis=0))")


def _outer_and_sum(u, v):
    """(outer(u, v), sum(u) * v) with u (N,), v (M,)."""
    return np.outer(u, v), u.sum() * v


OUTER = Check(
    name="check_outer_and_sum", function="outer_and_sum", reference=_outer_and_sum,
    cases=[Case("3 and 2", (_rng.normal(size=3), _rng.normal(size=2))),
           Case("2 and 2", (_rng.normal(size=2), _rng.normal(size=2))),
           Case("1 and 4", (_rng.normal(size=1), _rng.normal(size=4)))],
    output_names=("outer", "scaled"), doc="(outer(u, v), sum(u) v)")

def _smooth(xs, beta=0.9):
    """Bias-corrected moving averages of a sequence: a_k = beta a_(k-1) + (1 - beta) x_k,
    a_k / (1 - beta^k)."""
    out, average = [], 0.0
    for k, x in enumerate(xs, start=1):
        average = beta * average + (1 - beta) * x
        out.append(average / (1 - beta ** k))
    return np.array(out)


SMOOTH = Check(
    name="check_smooth", function="smooth", reference=_smooth,
    cases=[Case("five losses", (np.array([3.0, 2.5, 2.7, 1.9, 2.0]),), {"beta": 0.7}),
           Case("three losses, beta 0.2", (np.array([1.0, 4.0, 2.0]),), {"beta": 0.2}),
           Case("the default beta", (np.array([0.5, 0.1, 0.3, 0.2]),))],
    output_names=("smoothed",), doc="bias-corrected moving averages")

def _softmax_rows(z):
    """exp(z) / exp(z).sum(axis=1, keepdims=True), one distribution per row."""
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


SOFTMAX = Check(
    name="check_softmax_rows", function="softmax_rows", reference=_softmax_rows,
    cases=[Case("2 x 3", (_rng.normal(size=(2, 3)),)), Case("4 x 4", (_rng.normal(size=(4, 4)),)),
           Case("3 x 2", (_rng.normal(size=(3, 2)),))],
    output_names=("probabilities",), doc="softmax of each row")

check_lerp = LERP.check_function()
check_center_columns = CENTER.check_function()
check_outer_and_sum = OUTER.check_function()


def toy(check):
    return lambda student: check.run(student)


# ----------------------------------------------------------------------------- answers


def adam(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v


def ema_momentum(w, g, v, lr, beta):
    v = beta * v + (1 - beta) * g
    return w - lr * v, v


def rmsprop(w, g, square_avg, lr=0.01, beta=0.99, eps=1e-8):
    square_avg = beta * square_avg + (1 - beta) * g * g
    return w - lr * g / (np.sqrt(square_avg) + eps), square_avg


def adagrad(w, g, state_sum, step, lr=0.01, lr_decay=0.0, eps=1e-10):
    state_sum = state_sum + g * g
    clr = lr / (1 + (step - 1) * lr_decay)
    return w - clr * g / (np.sqrt(state_sum) + eps), state_sum


def log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def cross_entropy(logits, labels):
    n = len(logits)
    log_p = log_softmax(logits)
    dlogits = np.exp(log_p)
    dlogits[np.arange(n), labels] -= 1
    return -log_p[np.arange(n), labels].mean(), dlogits / n


def l2_penalty(weights, lam):
    return lam / 2 * sum(float(np.sum(w**2)) for w in weights), [lam * w for w in weights]


def step_decay(t, lr0, step_size, gamma):
    return lr0 * gamma ** (t // step_size)


def standardization(X_train, X):
    std = X_train.std(axis=0)
    return (X - X_train.mean(axis=0)) / np.where(std == 0, 1.0, std)


def ravine_gradient(w):
    return w * np.array([1.0, 25.0])


def check_all_pass():
    """The answers above are right (so each wrong answer below differs in one thing only)."""
    for name, student in [("check_adam_update", adam), ("check_momentum_update", ema_momentum),
                          ("check_rmsprop_update", rmsprop), ("check_adagrad_update", adagrad),
                          ("check_softmax_cross_entropy", cross_entropy),
                          ("check_l2_penalty", l2_penalty), ("check_step_decay", step_decay),
                          ("check_standardization", standardization),
                          ("check_ravine_gradient", ravine_gradient)]:
        result = getattr(checks, name)(student)
        assert result.passed, (name, str(result))


def test_the_right_answers_pass():
    check_all_pass()


# ----------------------------------------------------------------------------- the patterns


@pytest.mark.parametrize("run, student, returned, expected", [
    (bare(checks.check_adam_update), lambda *a, **k: (lambda w, m, v: (w, v, m))(*adam(*a, **k)),
     "w, v, m", "w, m, v"),
    (bare(checks.check_rmsprop_update), lambda *a, **k: rmsprop(*a, **k)[::-1],
     "square_avg, w", "w, square_avg"),
    (bare(checks.check_momentum_update), lambda *a, **k: ema_momentum(*a, **k)[::-1], "v, w",
     "w, v"),
    (bare(checks.check_softmax_cross_entropy), lambda *a: cross_entropy(*a)[::-1],
     "dlogits, loss", "loss, dlogits"),
    (toy(OUTER), lambda u, v: _outer_and_sum(u, v)[::-1], "scaled, outer", "outer, scaled"),
])
def test_outputs_in_the_wrong_order(run, student, returned, expected):
    result = run(student)
    assert result.mistake == "outputs in the wrong order", str(result)
    assert f"you return ({returned}); return ({expected})" in result.message


@pytest.mark.parametrize("run, student, argument", [
    (bare(checks.check_adam_update),
     lambda w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8:
     adam(w, g, m, v, t, lr, beta1, 0.999, eps), "beta2"),
    (bare(checks.check_rmsprop_update),
     lambda w, g, s, lr=0.01, beta=0.99, eps=1e-8: rmsprop(w, g, s, lr, beta, 1e-8), "eps"),
    (bare(checks.check_adagrad_update),
     lambda w, g, s, step, lr=0.01, lr_decay=0.0, eps=1e-10: adagrad(w, g, s, step, lr, 0.0, eps),
     "lr_decay"),
    (toy(LERP), lambda a, b, weight=0.5: 0.5 * a + 0.5 * b, "weight"),
])
def test_an_ignored_argument(run, student, argument):
    result = run(student)
    assert result.mistake == f"ignores {argument}", str(result)
    assert f"your function ignores the argument `{argument}`" in result.message


def test_two_ignored_arguments():
    def fixed_betas(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        return adam(w, g, m, v, t, lr, 0.9, 0.999, eps)

    result = diagnose("check_adam_update", fixed_betas)
    assert result.mistake == "ignores beta1 and beta2"
    assert "beta1 = 0.9, beta2 = 0.999 (their defaults)" in result.message


@pytest.mark.parametrize("run, student, pair", [
    (bare(checks.check_adam_update),
     lambda w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8:
     adam(w, g, m, v, t, lr, beta2, beta1, eps), "beta1 and beta2"),
    # the EMA's two weights exchanged: v = (1 - beta) v + beta g is the rule with g and v swapped
    (bare(checks.check_momentum_update),
     lambda w, g, v, lr, beta: ema_momentum(w, v, g, lr, beta), "g and v"),
    (toy(LERP), lambda a, b, weight=0.5: _lerp(b, a, weight), "a and b"),
])
def test_two_arguments_exchanged(run, student, pair):
    result = run(student)
    assert result.mistake == f"{pair} exchanged", str(result)


@pytest.mark.parametrize("run, student, argument, sign", [
    (bare(checks.check_adam_update), lambda w, g, m, v, t, *a, **k: adam(w, g, m, v, t + 1, *a, **k),
     "t", "+"),
    (bare(checks.check_adagrad_update),
     lambda w, g, s, step, *a, **k: adagrad(w, g, s, step + 1, *a, **k), "step", "+"),
    (bare(checks.check_step_decay), lambda t, lr0, step_size, gamma:
     step_decay(t + 1, lr0, step_size, gamma), "t", "+"),
])
def test_an_argument_off_by_one(run, student, argument, sign):
    result = run(student)
    assert result.mistake == f"{argument} off by one ({argument} {sign} 1 used)", str(result)


@pytest.mark.parametrize("run, student, argument", [
    (bare(checks.check_adam_update),
     lambda w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8:
     adam(w, g, m, v, t, lr, 1 - beta1, beta2, eps), "beta1"),
    (toy(SMOOTH), lambda xs, beta=0.9: _smooth(xs, 1 - beta), "beta"),
])
def test_one_minus_an_argument(run, student, argument):
    result = run(student)
    assert result.mistake == f"1 - {argument} where {argument} belongs", str(result)


@pytest.mark.parametrize("run, student, name", [
    (toy(CENTER), lambda X, scale=1.0: scale * (X - X.mean(axis=1, keepdims=True)),
     "statistics over the other axis"),
    (toy(CENTER), lambda X, scale=1.0: scale * (X - X.mean()), "statistics over the whole array"),
    (toy(SOFTMAX), lambda z: np.exp(z) / np.exp(z).sum(axis=0), "statistics over the other axis"),
    (toy(SOFTMAX), lambda z: np.exp(z) / np.exp(z).sum(), "statistics over the whole array"),
    (bare(checks.check_standardization),
     lambda X_train, X: (X - X_train.mean()) / X_train.std(), "statistics over the whole array"),
])
def test_statistics_over_the_wrong_axis(run, student, name):
    result = run(student)
    assert result.mistake == name, str(result)


@pytest.mark.parametrize("run, student, mistake", [
    (bare(checks.check_momentum_update),
     lambda w, g, v, lr, beta: ema_momentum(w, g, v, 2 * lr, beta), "w changes by a factor 2"),
    (bare(checks.check_l2_penalty),
     lambda weights, lam: (2 * l2_penalty(weights, lam)[0], l2_penalty(weights, lam)[1]),
     "penalty off by a factor 2"),
    (bare(checks.check_adam_update),
     lambda w, g, m, v, t, lr=1e-3, *a, **k: (lambda new, m2, v2: (w + (new - w) / lr, m2, v2))(
         *adam(w, g, m, v, t, lr, *a, **k)), "w changes by a factor 1/lr"),
    (bare(checks.check_softmax_cross_entropy),
     lambda logits, labels: (cross_entropy(logits, labels)[0],
                             cross_entropy(logits, labels)[1] * len(logits)),
     "dlogits off by a factor len(logits) or len(labels)"),
    (toy(CENTER), lambda X, scale=1.0: 0.5 * scale * (X - X.mean(axis=0)),
     "centred off by a factor 1/2"),
])
def test_a_constant_factor(run, student, mistake):
    result = run(student)
    assert result.mistake == mistake, str(result)


@pytest.mark.parametrize("run, student, mistake", [
    (bare(checks.check_momentum_update),
     lambda w, g, v, lr, beta: (2 * w - ema_momentum(w, g, v, lr, beta)[0],
                                ema_momentum(w, g, v, lr, beta)[1]),
     "w changes with the wrong sign"),
    (bare(checks.check_adam_update),
     lambda w, g, m, v, t, *a, **k: (lambda new, m2, v2: (2 * w - new, m2, v2))(
         *adam(w, g, m, v, t, *a, **k)), "w changes with the wrong sign"),
    (bare(checks.check_l2_penalty),
     lambda weights, lam: (l2_penalty(weights, lam)[0], [-lam * w for w in weights]),
     "grads with the wrong sign"),
    (bare(checks.check_ravine_gradient), lambda w: -ravine_gradient(w),
     "your result with the wrong sign"),
])
def test_a_wrong_sign(run, student, mistake):
    result = run(student)
    assert result.mistake == mistake, str(result)


@pytest.mark.parametrize("run, student, mistake", [
    (toy(OUTER), lambda u, v: (np.outer(v, u), u.sum() * v), "outer transposed"),
    (bare(checks.check_linear_backward),
     lambda dout, x, W, dW, db: (dout @ W.T, (dW + x.T @ dout).T, db + dout.sum(axis=0)),
     "dW transposed"),
])
def test_a_transposed_output(run, student, mistake):
    result = run(student)
    assert result.mistake == mistake, str(result)


@pytest.mark.parametrize("run, student, mistake", [
    (bare(checks.check_momentum_update),
     lambda w, g, v, lr, beta: (w, ema_momentum(w, g, v, lr, beta)[1]), "w never updated"),
    (bare(checks.check_rmsprop_update), lambda w, g, s, *a, **k: (rmsprop(w, g, s, *a, **k)[0], s),
     "square_avg never updated"),
    (bare(checks.check_adam_update),
     lambda w, g, m, v, t, *a, **k: (lambda new: (new[0], m, new[2]))(adam(w, g, m, v, t, *a, **k)),
     "m never updated"),
    (bare(checks.check_adagrad_update),
     lambda w, g, s, step, *a, **k: (adagrad(w, g, s, step, *a, **k)[0], s),
     "state_sum never updated"),
])
def test_an_output_equal_to_an_input(run, student, mistake):
    result = run(student)
    assert result.mistake.startswith(mistake), str(result)
    assert "comes back unchanged" in result.message


def test_an_output_equal_to_another_output():
    def m_twice(w, g, m, v, t, *a, **k):
        w, m, v = adam(w, g, m, v, t, *a, **k)
        return w, m, m

    result = diagnose("check_adam_update", m_twice)
    assert result.mistake == "v is the right m"
    assert "you return `m` in the place of `v`" in result.message


def _step_decay_product(t, lr0, step_size, gamma):
    return lr0 * gamma * (t // step_size)


def _l2_times_two(weights, lam):
    return lam / 2 * sum(float(np.sum(w * 2)) for w in weights), [lam * w for w in weights]


def _adam_beta_times_t(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    m_hat = m / (1 - beta1 * t)
    v_hat = v / (1 - beta2 * t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v


def _momentum_plus(w, g, v, lr, beta):
    v = beta * v + (1 - beta) * g
    return w + lr * v, v


@pytest.mark.parametrize("run, student, was, now", [
    (bare(checks.check_step_decay), _step_decay_product, "gamma * (t // step_size)",
     "gamma ** (t // step_size)"),
    (bare(checks.check_l2_penalty), _l2_times_two, "w * 2", "w ** 2"),
    (bare(checks.check_adam_update), _adam_beta_times_t, "beta1 * t", "beta1 ** t"),
    (toy(CENTER), lambda X, scale=1.0: scale * (X + X.mean(axis=0)), None, None),
])
def test_one_wrong_operator(run, student, was, now):
    result = run(student)
    if was is None:  # a lambda has no source of its own line to point at: no claim
        assert result.mistake is None or result.mistake != "`+` where `-` belongs", str(result)
        return
    assert result.mistake == "a product where a power is meant", str(result)
    assert f"`{was}` should be `{now}`" in result.message


def test_one_wrong_operator_names_a_sign():
    result = diagnose("check_momentum_update", _momentum_plus)
    # the per-output sign diagnosis comes first here; the operator search finds the same line
    assert result.mistake in ("w changes with the wrong sign", "`+` where `-` belongs")


def _naive_cross_entropy(logits, labels):
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    n = len(logits)
    dlogits = p.copy()
    dlogits[np.arange(n), labels] -= 1
    return -np.mean(np.log(p[np.arange(n), labels])), dlogits / n


def _adam_no_eps(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t)), m, v


def _standardization_no_guard(X_train, X):
    return (X - X_train.mean(axis=0)) / X_train.std(axis=0)


@pytest.mark.parametrize("run, student, mistake, line", [
    (bare(checks.check_softmax_cross_entropy), _naive_cross_entropy, "inf from exp overflow",
     "p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)"),
    (bare(checks.check_adam_update), _adam_no_eps, "NaN from 0/0",
     "return w - lr * (m / (1 - beta1**t)) / np.sqrt(v / (1 - beta2**t)), m, v"),
    (bare(checks.check_standardization), _standardization_no_guard, "inf from a division by zero",
     "return (X - X_train.mean(axis=0)) / X_train.std(axis=0)"),
])
def test_nan_or_inf_traced_to_the_operation_and_line(run, student, mistake, line):
    result = run(student)
    assert result.mistake == mistake, str(result)
    assert f"`{line}`" in result.message


def test_log_of_zero_is_traced():
    def log_of_probabilities(logits, labels):
        z = logits - logits.max(axis=1, keepdims=True)
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        n = len(logits)
        dlogits = p.copy()
        dlogits[np.arange(n), labels] -= 1
        return -np.mean(np.log(p[np.arange(n), labels])), dlogits / n

    result = diagnose("check_softmax_cross_entropy", log_of_probabilities)
    assert result.mistake == "-inf from log(0)", str(result)
    assert "hopeless" in result.message or "log(0)" in result.message


# ----------------------------------------------------------------------------- no false claims


@pytest.mark.parametrize("run, student", [
    (bare(checks.check_adam_update),
     lambda *a, **k: (lambda w, m, v: (w + 1e-3 * np.sin(7 * w), m, v))(*adam(*a, **k))),
    (bare(checks.check_momentum_update),
     lambda w, g, v, lr, beta: (lambda w2, v2: (w2 + 0.01 * w2 ** 2, v2))(
         *ema_momentum(w, g, v, lr, beta))),
    (bare(checks.check_l2_penalty),
     lambda weights, lam: (l2_penalty(weights, lam)[0] + 0.1, l2_penalty(weights, lam)[1])),
    (toy(CENTER), lambda X, scale=1.0: scale * (X - np.median(X, axis=0))),
])
def test_a_wrong_answer_of_no_pattern_gets_the_generic_message(run, student):
    result = run(student)
    assert not result.passed and result.mistake is None, str(result)
    assert result.message.startswith("wrong result on case")


def test_named_mistakes_come_before_the_patterns():
    # Adam with t + 1 is also "t off by one"; the check's own mistake is named instead.
    result = checks.check_adam_update(lambda w, g, m, v, t, *a, **k: adam(w, g, m, v, t + 1, *a, **k))
    assert result.mistake == "step counter shifted by one"


def test_a_custom_comparison_in_run_check_turns_the_patterns_off():
    def reference(x):
        return 2.0 * x

    def compare(expected, received):
        return None if np.allclose(expected, received) else "differs"

    cases = [Case("a", (np.arange(3.0),)), Case("b", (np.ones(2),))]
    result = run_check("check_double", lambda x: -2.0 * x, cases, reference, compare=compare)
    assert result.mistake is None and result.message == "wrong result on case 'a': differs."
    plain = run_check("check_double", lambda x: -2.0 * x, cases, reference)
    assert plain.mistake == "your result with the wrong sign"
