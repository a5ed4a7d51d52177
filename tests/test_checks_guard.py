"""What a check allows the student's code: a time limit, and no call of the library's own
implementation of the exercise (nnlesson.course.checks._guard)."""
import cProfile
import signal
import sys
import threading
import time

import numpy as np
import pytest

from nnlesson.course.checks import Case, Check, run_check
from nnlesson.course.checks import _guard
from nnlesson.course.checks._guard import LibraryGuard, TimeUp, time_limit


def _double(x):
    return 2.0 * x


def _toy(time_limit=0.5, forbidden=()):
    return Check(name="check_double", function="double", reference=_double,
                 cases=[Case("a vector", (np.arange(3.0),)), Case("a number", (1.5,))],
                 output_names=("doubled",), forbidden=forbidden, time_limit=time_limit)


def endless(x):
    while True:
        pass


def endless_after_swallowing_once(x):
    try:
        while True:
            pass
    except BaseException:  # a student's bare `except:`; the limit is raised again
        pass
    while True:
        pass


# ----------------------------------------------------------------------------- time limit


def test_an_endless_loop_is_stopped_and_named():
    started = time.monotonic()
    result = _toy().run(endless)
    assert time.monotonic() - started < 5  # 0.5 s, with room for a slow machine
    assert result.status == "fail" and result.mistake == "did not finish"
    assert result.message.startswith("your function did not finish in 0.5 s on case 'a vector': "
                                     "an endless loop?")


def test_swallowing_the_stop_once_does_not_defeat_the_limit():
    assert _toy().run(endless_after_swallowing_once).mistake == "did not finish"


def test_the_kernel_stays_usable_after_a_stopped_loop():
    before = signal.getsignal(signal.SIGALRM)
    _toy().run(endless)
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    assert _toy().run(_double).passed
    time.sleep(0.6)  # no stray alarm fires later
    assert _toy().run(_double).passed


def test_a_timer_set_before_the_check_is_given_back():
    fired = []
    old = signal.signal(signal.SIGALRM, lambda *args: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert _toy().run(_double).passed
        remaining, _ = signal.getitimer(signal.ITIMER_REAL)
        assert 25.0 < remaining <= 30.0
        assert not fired
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_every_check_has_the_limit_run_check_included():
    result = run_check("check_double", endless, [Case("a vector", (np.arange(3.0),))], _double,
                       time_limit=0.3)
    assert result.mistake == "did not finish"


def test_outside_the_main_thread_the_limit_falls_back_to_a_tracer():
    results = []
    thread = threading.Thread(target=lambda: results.append(_toy().run(endless)))
    thread.start()
    thread.join(10)
    assert not thread.is_alive()
    assert results[0].mistake == "did not finish"
    assert sys.gettrace() is None


def test_without_an_alarm_the_tracer_is_used(monkeypatch):
    # As on Windows, where there is no signal.setitimer.
    monkeypatch.setattr(_guard, "_alarm_usable", lambda: False)
    assert _toy().run(endless).mistake == "did not finish"
    assert _toy().run(_double).passed
    assert sys.gettrace() is None


def test_a_debuggers_tracer_is_left_alone(monkeypatch):
    monkeypatch.setattr(_guard, "_alarm_usable", lambda: False)

    def debugger(frame, event, arg):
        return None

    sys.settrace(debugger)
    try:
        assert _toy().run(_double).passed
        assert sys.gettrace() is debugger
    finally:
        sys.settrace(None)


def test_time_limit_on_its_own():
    with pytest.raises(TimeUp):
        with time_limit(0.2):
            while True:
                pass
    with time_limit(None):
        pass


def test_a_generator_is_consumed_one_item_past_the_expected_length():
    consumed = []

    def reference(n):
        return [float(i) for i in range(n)]

    def endless_generator(n):
        i = 0
        while True:
            consumed.append(i)
            yield float(i)
            i += 1

    def finite_generator(n):
        yield from (float(i) for i in range(n))

    cases = [Case("three items", (3,))]
    result = run_check("check_items", endless_generator, cases, reference)
    assert len(consumed) == 4
    assert result.mistake == "generator does not stop"
    assert "yields more than the 3 items expected" in result.message
    assert run_check("check_items", finite_generator, cases, reference).passed


# ----------------------------------------------------------------------------- library guard


def _library_double(x):
    import nnlesson.optim
    p = 2.0 * np.asarray(x, dtype=float)
    nnlesson.optim.gd_update(np.zeros_like(p), np.zeros_like(p), lr=0.1)
    return p if np.ndim(x) else float(p)


def test_a_forbidden_call_fails_the_check_at_once():
    result = _toy(forbidden=("nnlesson.optim.gd_update",)).run(_library_double)
    assert result.mistake == "calls the library"
    assert result.message.startswith("your function calls nnlesson.optim.gd_update, the library's "
                                     "own implementation of this exercise: write `double` yourself")
    assert sys.getprofile() is None


def test_allowed_helpers_stay_allowed():
    def with_helpers(x):
        import nnlesson.datasets  # noqa: F401 - a helper the exercise may use
        return np.multiply(2.0, x)

    assert _toy(forbidden=("nnlesson.optim.*",)).run(with_helpers).passed


def test_matching_is_by_module_and_name_so_a_renamed_kernel_is_caught():
    # A kernel added to nnlesson.optim later, under a name nobody listed.
    namespace = {"__name__": "nnlesson.optim", "np": np}
    exec("def _adam_kernel_v2(w, g):\n    return w - 0.1 * g\n", namespace)
    kernel = namespace["_adam_kernel_v2"]

    def student(x):
        kernel(np.zeros(1), np.zeros(1))
        return 2.0 * x

    result = _toy(forbidden=("nnlesson.optim.*adam*",)).run(student)
    assert result.mistake == "calls the library"
    assert "calls nnlesson.optim._adam_kernel_v2," in result.message


def test_a_method_is_named_by_its_class():
    guard = LibraryGuard(("nnlesson.optim.adam*",))
    import nnlesson as nl
    p = nl.Parameter(np.ones(2))
    p.grad = np.ones(2)
    with guard:
        nl.optim.AdamW([p], lr=0.1).step()
    assert guard.found[0] == "nnlesson.optim.AdamW"


def test_a_library_imported_inside_the_students_function_is_named_as_the_student_wrote_it():
    """In a fresh interpreter (scikit-learn not imported yet): the import runs scikit-learn's
    module code and helpers first; the guard names the scaler the student called, without the
    private module it is defined in (sklearn.preprocessing._data), and an inherited method by
    the class it was called on (StandardScaler, not its private base class)."""
    import subprocess
    import textwrap

    code = textwrap.dedent("""
        import sys
        import nnlesson.course.checks.feature_scaling as F
        assert "sklearn" not in sys.modules

        def min_max(X_train, X, feature_range=(0.0, 1.0)):
            from sklearn.preprocessing import MinMaxScaler
            return MinMaxScaler(feature_range=feature_range).fit(X_train).transform(X)

        def standard(X_train, X):
            import nnlesson
            return nnlesson.scaling.StandardScaler().fit(X_train).transform(X)

        for check, answer in ((F.check_min_max_scaling, min_max),
                              (F.check_standardization, standard)):
            result = check(answer)
            print(result.mistake, "|", result.message.split(",")[0])
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "calls the library | your function calls sklearn.preprocessing.MinMaxScaler",
        "calls the library | your function calls nnlesson.scaling.StandardScaler"]


def test_the_reference_calling_the_library_is_not_the_students_call():
    def reference(x):
        return _library_double(x)

    check = Check(name="check_double", function="double", reference=reference,
                  cases=[Case("a vector", (np.arange(3.0),))],
                  forbidden=("nnlesson.optim.*",))
    assert check.run(_double).passed


def test_under_another_profiler_the_check_still_runs():
    profiler = cProfile.Profile()
    profiler.enable()
    try:
        result = _toy(forbidden=("nnlesson.optim.*",)).run(_double)
    finally:
        profiler.disable()
    assert result.passed
    assert sys.getprofile() is None
