"""The checks framework on a toy check: y = 2 x, with two named mistakes.

Every expected value below is worked by hand from the inputs [0.5, -1.5, 3.0] etc.
"""
import importlib
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import nnlesson.course.checks as checks
from nnlesson.course.checks import MIME_TYPE, Case, CheckResult, Mistake, Property, compare_outputs, run_check


def twice(x):
    return 2.0 * x


CASES = [
    Case("a vector", (np.array([0.5, -1.5, 3.0]),)),
    Case("a matrix", (np.array([[1.0, -2.0], [0.25, 4.0]]),)),
    Case("zeros", (np.zeros(2),)),
]
MISTAKES = [
    Mistake("added two", "You added 2 to x; scaling by 2 multiplies: y = 2 x.", lambda x: x + 2.0),
    Mistake("squared", "You computed x * x; scaling by 2 is y = 2 x.", lambda x: x * x),
]


def stub(x):
    raise NotImplementedError("replace this line with your code")


def check_twice(fn, **kwargs):
    return run_check("check_twice", fn, CASES, twice, MISTAKES, **kwargs)


# ----------------------------------------------------------------------------- outcomes


def test_correct_function_passes():
    result = check_twice(lambda x: x + x)
    assert result.passed and bool(result)
    assert result.status == "pass" and result.mistake is None and result.cases == 3
    assert str(result) == "✔ check_twice: passed 3 cases"


def test_mistake_a_is_named():
    def student(x):
        return x + 2
    result = check_twice(student)
    assert not result.passed and result.status == "fail"
    assert result.mistake == "added two"
    assert result.message == "You added 2 to x; scaling by 2 multiplies: y = 2 x."
    # First case: x[0] = 0.5 -> expected 1, the student's 2.5.
    assert result.details == ["on case 'a vector': element [0] is 2.5 but should be 1 (3 of 3 elements differ)"]


def test_mistake_b_is_named():
    result = check_twice(lambda x: x ** 2)
    assert result.mistake == "squared"
    assert "x * x" in result.message


def test_unknown_mistake_gets_generic_message_with_location_and_values():
    def student(x):
        out = 2.0 * x
        out[..., -1] += 1.0  # wrong only in the last element
        return out
    result = check_twice(student)
    assert not result.passed and result.mistake is None
    # x[2] = 3 -> expected 6, received 7; one of three elements differs.
    assert result.message == ("wrong result on case 'a vector': element [2] is 7 but should be 6 "
                              "(1 of 3 elements differ).")
    assert result.details[0] == "expected: [ 1., -3., 6.]"
    assert result.details[1] == "received: [ 1., -3., 7.]"
    assert result.details[2] == "also wrong on: 'a matrix', 'zeros'"


def test_close_values_are_shown_with_enough_digits_to_differ():
    # Wrong by 1e-5 in one element only (no constant factor): the generic message.
    def student(x):
        out = 2.0 * x
        out[..., 0] += 1e-5
        return out
    result = check_twice(student)
    # 1.00001 vs 1: four significant digits would print "1" twice.
    assert "is 1.00001 but should be 1 " in result.message


def test_a_factor_close_to_one_is_shown_with_enough_digits():
    result = check_twice(lambda x: 2.0 * x * (1 + 1e-5))
    assert result.mistake == "your result off by a constant factor"
    assert result.message.startswith("your result is 1.00001 times the right result on every case")


def test_tolerance_is_respected():
    assert check_twice(lambda x: 2.0 * x * (1 + 1e-9)).passed
    assert not check_twice(lambda x: 2.0 * x * (1 + 1e-9), rtol=1e-12, atol=0).passed


def test_exception_names_type_message_and_student_line_without_traceback():
    def student(x):
        scale = len([])
        return x * (1 / scale)
    result = check_twice(student)
    assert not result.passed and result.status == "fail"
    assert result.message.startswith("your function raised ZeroDivisionError: division by zero")
    assert "`return x * (1 / scale)`" in result.message
    assert "on case 'a vector'" in result.message
    assert "Traceback" not in str(result) and "File " not in str(result)


def test_exception_inside_numpy_points_at_the_student_line():
    def student(x):
        return np.dot(x, np.ones(5))
    result = check_twice(student)
    assert "ValueError" in result.message
    assert "`return np.dot(x, np.ones(5))`" in result.message


def test_returning_none_asks_about_return():
    def student(x):
        2.0 * x
    result = check_twice(student)
    assert result.message == "your function returned None on case 'a vector'. Did you forget `return`?"


def test_wrong_shape():
    result = check_twice(lambda x: (2.0 * x)[None])
    assert result.message.startswith("wrong result on case 'a vector': expected shape (3,), got shape (1, 3)")


def test_wrong_type_list_instead_of_array():
    result = check_twice(lambda x: list(2.0 * x))
    assert "expected a numpy array of shape (3,), got a list of 3 items" in result.message


def test_wrong_dtype():
    result = check_twice(lambda x: (2.0 * x).astype(np.float32))
    assert "expected dtype float64, got dtype float32" in result.message


def test_input_mutation_is_reported_with_the_argument_name():
    def student(x):
        x *= 2.0
        return x
    result = check_twice(student)
    assert not result.passed
    assert "your function changed its input `x` in place" in result.message
    assert "Return a new array: compute `x - ...` rather than `x -= ...`" in result.message
    assert result.mistake == "an input changed in place"


@pytest.mark.parametrize("value, advice", [
    ({"lr": 0.1}, "Build a new dict, e.g. `new = dict(arg)`"),
    ([np.ones(2), np.ones(3)], "Build a new list, e.g. `[w - ... for w in arg]`"),
    ([1.0, 2.0], "Build a new list (e.g. `list(arg)`"),
])
def test_the_advice_for_an_input_changed_in_place_fits_the_inputs_type(value, advice):
    def reference(arg):
        return 1.0

    def student(arg):
        if isinstance(arg, dict):
            arg["lr"] = 0.5
        elif isinstance(arg[0], np.ndarray):
            arg[0] -= 1.0
        else:
            arg.append(3.0)
        return 1.0
    result = run_check("check_arg", student, [Case("c", (value,))], reference)
    assert result.mistake == "an input changed in place"
    assert "changed its input `arg` in place (case 'c')" in result.message
    assert advice in result.message


def test_a_mistake_is_still_named_when_the_function_raises_on_some_cases():
    """A rule that divides by the norm raises on the zero case; on the other cases it has the
    declared mistake (the norm without its square root), and the check says both."""
    def clip(g, max_norm):
        norm = np.sqrt(np.sum(g * g))
        return g * min(1.0, max_norm / norm) if norm > 0 else g

    def no_root(g, max_norm):
        norm = np.sum(g * g)
        return g * min(1.0, max_norm / norm) if norm > 0 else g

    def student(g, max_norm):  # the mistake, and no guard against a zero norm
        norm = float(np.sum(g * g))
        if norm == 0.0:
            raise ZeroDivisionError("float division by zero")
        return g * min(1.0, max_norm / norm)

    cases = [Case("zero gradient", (np.zeros(2), 1.0)), Case("long", (np.array([3.0, 4.0]), 1.0)),
             Case("longer", (np.array([6.0, 8.0]), 2.0))]
    mistakes = [Mistake("squared norm", "You used the squared norm: take its square root.",
                        no_root)]
    result = run_check("check_clip", student, cases, clip, mistakes)
    assert result.mistake == "squared norm"
    assert result.message.startswith("your function raised ZeroDivisionError")
    assert "case 'zero gradient'" in result.message
    assert "You used the squared norm" in result.message

    def raises_only(g, max_norm):  # right wherever it runs: the exception alone is reported
        norm = float(np.sqrt(np.sum(g * g)))
        return g * min(1.0, max_norm / norm) if norm else 1 / 0
    result = run_check("check_clip", raises_only, cases, clip, mistakes)
    assert result.mistake is None and "ZeroDivisionError" in result.message
    assert "squared norm" not in result.message

    def other_mistake(g, max_norm):  # wrong in an undeclared way: no name is guessed
        norm = float(np.sum(np.abs(g)))
        return g * min(1.0, max_norm / norm) if norm else 1 / 0
    result = run_check("check_clip", other_mistake, cases, clip, mistakes)
    assert result.mistake is None and "ZeroDivisionError" in result.message


def test_keyword_input_mutation_is_reported():
    def reference(x, *, out_scale):
        return out_scale * x

    def student(x, *, out_scale):
        out_scale[...] = 4.0
        return 3.0 * x
    cases = [Case("k", (np.ones(2),), {"out_scale": np.array(3.0)})]
    result = run_check("check_k", student, cases, reference)
    assert "changed its input `out_scale` in place" in result.message


def test_nan_is_reported_as_not_a_finite_number():
    def student(x):
        out = 2.0 * x
        out[0] = np.nan
        return out
    result = check_twice(student)
    assert result.mistake is None
    assert "element [0] is NaN where 1 was expected" in result.message
    assert "division by zero" in result.message


def test_a_mistake_that_produces_inf_is_diagnosed():
    mistakes = [Mistake("no epsilon", "Without eps, v = 0 divides by zero.", lambda g, v: g / np.sqrt(v))]

    def reference(g, v):
        return g / (np.sqrt(v) + 1e-8)

    def student(g, v):
        return g / np.sqrt(v)
    cases = [Case("zero v", (np.array([1.0, 2.0]), np.array([0.0, 4.0])))]
    with np.errstate(divide="ignore"):
        result = run_check("check_rms", student, cases, reference, mistakes)
    assert result.mistake == "no epsilon"


def test_not_implemented_is_its_own_state():
    result = check_twice(stub)
    assert result.status == "todo" and not result.passed and not bool(result)
    assert result.message.startswith("not implemented yet")
    assert str(result).startswith("✎ check_twice: not implemented yet")


def test_passing_a_call_instead_of_a_function():
    result = check_twice(twice(np.ones(2)))
    assert not result.passed
    assert "expected your function, got an array of shape (2,)" in result.message


def test_property_is_checked_after_values_and_named():
    keeps_float32 = Property(
        "float32 not kept", "Keep the input's dtype: float32 in, float32 out.",
        lambda fn: fn(np.ones(2, dtype=np.float32)).dtype == np.float32)

    def student(x):
        return 2.0 * x.astype(np.float64)
    result = check_twice(student, properties=[keeps_float32])
    assert not result.passed and result.mistake == "float32 not kept"
    good = check_twice(lambda x: 2 * x, properties=[keeps_float32])
    assert good.passed and good.message == "passed 3 cases and 1 property check"


def test_property_that_makes_student_code_raise():
    prop = Property("handles empty", "Empty input gives empty output.", lambda fn: fn(np.ones(0)).size == 0)

    def student(x):
        if x.size == 0:
            raise IndexError("empty")
        return 2.0 * x
    result = check_twice(student, properties=[prop])
    assert "your function raised IndexError: empty" in result.message
    assert "while checking that handles empty" in result.message


def test_custom_compare_replaces_the_default():
    def same_sign(expected, received):
        return None if np.array_equal(np.sign(expected), np.sign(received)) else "signs differ"
    assert check_twice(lambda x: 5.0 * x, compare=same_sign).passed
    assert "signs differ" in check_twice(lambda x: -x, compare=same_sign).message


def test_reference_errors_are_loud():
    def broken_reference(x):
        raise RuntimeError("bug in the check")
    with pytest.raises(RuntimeError, match="bug in the check"):
        run_check("check_broken", twice, CASES, broken_reference)


# ----------------------------------------------------------------------------- comparison


def test_compare_tuple_outputs_names_the_output():
    expected = (np.array([1.0, 2.0]), np.array([0.5, 0.25]))
    received = (np.array([1.0, 2.0]), np.array([0.5, 0.75]))
    assert compare_outputs(expected, received, output_names=("w", "m")) == (
        "output 2 of 2 (`m`): element [1] is 0.75 but should be 0.25 (1 of 2 elements differ)")
    assert compare_outputs(expected, received[:1]) == "expected 2 outputs, got 1"
    assert compare_outputs(expected, expected[0]) == "expected 2 outputs (a tuple), got an array of shape (2,)"
    assert compare_outputs(expected, list(expected)) is None


def test_compare_dicts_numbers_and_none():
    assert compare_outputs({"a": 1.0, "b": 2.0}, {"a": 1.0}) == "the key 'b' is missing"
    assert compare_outputs({"a": 1.0}, {"a": 1.5}) == "entry 'a': expected 1, got 1.5"
    assert compare_outputs(3, 3.0) == "expected a whole number (int), got 3 of type float"
    assert compare_outputs(0.1, np.float64(0.1)) is None
    assert compare_outputs(0.1, np.ones(1)) == "expected a single number, got an array of shape (1,)"
    assert compare_outputs(None, None) is None
    assert compare_outputs(True, False) == "expected True, got False"
    assert compare_outputs(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])) is None


# ----------------------------------------------------------------------------- display


def test_text_repr_is_stable_and_has_no_address():
    result = check_twice(object())
    text = repr(result)
    assert text == str(result) == str(check_twice(object()))
    assert not re.search(r"0x[0-9a-fA-F]+|object at", text)
    assert text == ("✘ check_twice: expected your function, got a value of type object. Pass the "
                    "function itself, without calling it: check_twice(my_function).")


def test_returned_object_with_default_repr_shows_no_address():
    class Box:
        pass
    result = run_check("check_box", lambda: Box(), [Case("c")], lambda: "box")
    assert str(result) == ("✘ check_box: wrong result on case 'c': expected 'box', got a Box object.\n"
                           "    expected: 'box'\n    received: a Box object")


def test_mimebundle_has_text_html_and_json_for_the_grader():
    bundles = {status: check_twice(fn)._repr_mimebundle_()
               for status, fn in [("pass", twice), ("fail", lambda x: x + 2), ("todo", stub)]}
    colours = set()
    for status, bundle in bundles.items():
        assert set(bundle) == {"text/plain", "text/html", MIME_TYPE}
        assert bundle[MIME_TYPE]["status"] == status
        assert bundle[MIME_TYPE]["name"] == "check_twice"
        colours.add(re.search(r"border-left:6px solid (#[0-9a-f]{6})", bundle["text/html"]).group(1))
    assert len(colours) == 3  # green, red, amber
    assert bundles["fail"][MIME_TYPE]["mistake"] == "added two"


def test_html_escapes_the_message():
    result = CheckResult("check_x", False, "expected <b> & got </b>", ["a < b"])
    html = result._repr_html_()
    assert "&lt;b&gt; &amp; got &lt;/b&gt;" in html and "<li>a &lt; b</li>" in html


def test_message_is_one_paragraph():
    result = CheckResult("check_x", False, "line one\n\n  line two", ["a\nb"])
    assert result.message == "line one line two" and result.details == ["a b"]
    assert str(result) == "✘ check_x: line one line two\n    a b"


# ----------------------------------------------------------------------------- bad input


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match="cases must be a non-empty list of Case"):
        run_check("check_twice", twice, [], twice)
    with pytest.raises(TypeError, match="reference must be callable"):
        run_check("check_twice", twice, CASES, 2.0)
    with pytest.raises(ValueError, match="rtol must be a finite number >= 0, got -1.0"):
        run_check("check_twice", twice, CASES, twice, rtol=-1)
    with pytest.raises(TypeError, match="mistakes must be a list of Mistake"):
        run_check("check_twice", twice, CASES, twice, ["added two"])
    with pytest.raises(TypeError, match="name must be a non-empty string"):
        run_check("", twice, CASES, twice)
    with pytest.raises(TypeError, match="properties must be a list of Property"):
        run_check("check_twice", twice, CASES, twice, properties=[lambda fn: True])
    with pytest.raises(TypeError, match="compare must be None or callable, got str"):
        run_check("check_twice", twice, CASES, twice, compare="isclose")
    with pytest.raises(TypeError, match="label must be a non-empty string"):
        Case("", ())
    with pytest.raises(TypeError, match="kwargs must be a dict"):
        Case("a", (), [1])
    with pytest.raises(TypeError, match="wrong_fn must be callable"):
        Mistake("m", "explained", None)
    with pytest.raises(TypeError, match="holds must be callable"):
        Property("p", "explained", None)
    with pytest.raises(ValueError, match="status must be one of"):
        CheckResult("check_x", False, "m", status="maybe")
    with pytest.raises(ValueError, match="contradicts"):
        CheckResult("check_x", True, "m", status="fail")


# ----------------------------------------------------------------------------- the package


def _defined_checks(module):
    return sorted(name for name, obj in vars(module).items()
                  if name.startswith("check_") and callable(obj)
                  and getattr(obj, "__module__", None) == module.__name__)


def test_the_lazy_table_names_every_check_of_every_module():
    """``_CHECKS`` (check -> module) lists exactly the check functions each module defines."""
    import pkgutil
    modules = sorted(info.name for info in pkgutil.iter_modules(checks.__path__)
                     if not info.name.startswith("_"))
    assert checks.check_modules() == modules
    found = {}
    for name in modules:
        module = importlib.import_module(f"nnlesson.course.checks.{name}")
        for check in _defined_checks(module):
            assert check not in found, f"{check} is defined in {found[check]} and {name}"
            found[check] = name
    assert found == checks._CHECKS
    for name, module in found.items():
        assert getattr(checks, name).__module__ == f"nnlesson.course.checks.{module}"


def test_unknown_names_raise_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'check_nothing'"):
        checks.check_nothing
    assert "check_adam_update" in dir(checks) and "Check" in dir(checks)


def test_importing_one_check_imports_only_its_module():
    code = textwrap.dedent("""
        import sys
        import nnlesson.course.checks
        print(sorted(m for m in sys.modules if m.startswith("nnlesson.course.checks.")))
        from nnlesson.course.checks import check_adam_update
        print(sorted(m for m in sys.modules if m.startswith("nnlesson.course.checks.")))
        print(sorted(m for m in sys.modules if m.startswith("nnlesson.course.lessons")))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, lessons = out.stdout.strip().splitlines()
    assert before == "[]"
    loaded = eval(after)
    assert "nnlesson.course.checks.adam_and_adamw" in loaded
    assert not [m for m in loaded if not m.rsplit(".", 1)[1].startswith("_")
                and m != "nnlesson.course.checks.adam_and_adamw"]
    assert lessons == "[]"


def test_package_is_light():
    code = "import sys, nnlesson.course.checks; print(sorted(m for m in ('matplotlib', 'ipywidgets', 'torch') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_docstring_example_of_a_declared_check_runs():
    """The example in the framework's docstring is a working check module."""
    import nnlesson.course.checks._core as core
    text = core.__doc__
    start = text.index("    import numpy as np")
    end = text.index("In the notebook the cell")
    namespace = {"__name__": "docstring_example"}
    exec(textwrap.dedent(text[start:end]), namespace)
    check_scale = namespace["check_scale"]
    assert namespace["CHECKS"] == (check_scale.check,)
    assert check_scale(lambda x, factor=2.0: factor * x).passed
    wrong = check_scale(lambda x, factor=2.0: x + factor)
    assert wrong.mistake == "added instead of multiplied"
    assert wrong.message.endswith("Hint 2 above gives the formula.")
    assert check_scale(lambda x, factor=2.0: 2.0 * x).mistake == "ignores factor"


@pytest.mark.parametrize("body, name", [
    ("return x ^ 2", "^ for a power"),
    ("import math\n    return math.sqrt(x)", "a math function on an array"),
    ("return x if x > 0 else -x", "an array in if or max()"),
    ("return x + np.ones(7)", "shapes that do not broadcast"),
    ("return np.ones((2, 5)) @ x", "matrix shapes that do not fit"),
])
def test_a_beginners_common_exception_gets_a_name_and_its_advice(body, name):
    namespace = {"np": np}
    exec(f"def student(x):\n    {body}\n", namespace)
    result = check_twice(namespace["student"])
    assert not result.passed and result.mistake == name
    assert result.message.startswith("your function raised ")
