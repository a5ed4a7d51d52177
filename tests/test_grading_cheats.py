"""Cheating notebooks get the honest score.

Each notebook below is lesson 06's released exercise (``exercises/06_adam_and_adamw.ipynb``)
changed the way a student who wants points without the work might change it: the five
cheats of the grader's issue, and variations of each. The cheats are on the first two
exercises (Adam, AdamW); any further exercise of the lesson is solved honestly in every
notebook, so the scores below count it as passed (``OTHERS`` checks). They are graded
together, against the course's release, and each must get the score its honest work earns.
Beyond the issue's five: the library's Adam hidden from the check's library guard (its code
copied under another name, called from a thread, the guard's profiler turned off, the
functions it uses patched), the check's own data changed (a tolerance, the expected outputs),
numpy's internals patched, and the expected outputs read from the check's frames while it
runs. Honest notebooks that merely look unusual (helpers in their own cells, imports inside
the answer, a rebound ``result``, a traceback or a log line of one's own, a diagnosed
mistake) must not be taken for cheats. A notebook found tampering is stopped there.
"""
import json
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from nnlesson.tools.grading import TAMPERED, grade
from nnlesson.tools.grading.release import load_release

ROOT = Path(__file__).resolve().parents[1]
EXERCISE = ROOT / "exercises" / "06_adam_and_adamw.ipynb"
SOLUTION = ROOT / "solutions" / "06_adam_and_adamw.ipynb"
RELEASE = load_release(EXERCISE)
ADAM, ADAMW = RELEASE.answers[:2]  # the first two answer cells: Adam, AdamW
ADAM_CHECK, ADAMW_CHECK = [c for c in RELEASE.cells if c.role == "check"][:2]
assert (ADAM.defines, ADAMW.defines) == (["adam_update"], ["adamw_update"])
assert ADAM_CHECK.checks + ADAMW_CHECK.checks == ["check_adam_update", "check_adamw_update"]
TOTAL = RELEASE.total
OTHERS = TOTAL - 2  # the checks of the lesson's other exercises, solved in every notebook
IMPORTS = RELEASE.cells[1]
assert "import nnlesson as nl" in IMPORTS.cell.source

ANSWERS = {c.get("id"): c.source for c in nbformat.read(str(SOLUTION), as_version=4).cells}
MIME = "application/vnd.nnlesson.check+json"


def fresh():
    """The release with every exercise but Adam and AdamW solved."""
    nb = nbformat.read(str(EXERCISE), as_version=4)
    for rc in RELEASE.answers[2:]:
        cell_of(nb, rc).source = ANSWERS[rc.id]
    return nb


def cell_of(nb, release_cell):
    return next(c for c in nb.cells if c.get("id") == release_cell.id)


def solve(nb, *which):
    """Put the model answer into the answer cells named (default: both)."""
    for rc in which or (ADAM, ADAMW):
        cell_of(nb, rc).source = ANSWERS[rc.id]
    return nb


def insert_after(nb, release_cell, source):
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == release_cell.id)
    nb.cells.insert(index + 1, new_code_cell(source))
    return nb


def fake_bundle(name):
    summary = {"name": name, "status": "pass", "passed": True, "message": "passed 6 cases",
               "details": [], "mistake": None, "cases": 6}
    return (f"from IPython.display import display\n"
            f"display({{{MIME!r}: {json.dumps(summary)}, 'text/plain': '✔ {name}'}}, raw=True)")


REDEFINE = '''from nnlesson.course.checks import CheckResult

def check_adam_update(fn):
    return CheckResult("check_adam_update", True, "passed 6 cases", cases=6)

def check_adamw_update(fn):
    return CheckResult("check_adamw_update", True, "passed 6 cases", cases=6)
'''

PATCH_RESULT = '''from nnlesson.course.checks import CheckResult
CheckResult.__bool__ = lambda self: True
CheckResult.to_dict = lambda self: {"name": self.name, "status": "pass", "passed": True,
                                    "message": "", "details": [], "mistake": None, "cases": 6}
'''

PATCH_RUN_CHECK = '''import nnlesson.course.checks._core as core
_real_run_check = core.run_check

def _always_pass(name, fn, cases, *args, **kwargs):
    return core.CheckResult(name, True, "passed", cases=len(cases))

core.run_check = _always_pass
'''

SYS_MODULES = '''import sys, types
from nnlesson.course.checks import CheckResult
fake = types.ModuleType("nnlesson.course.checks.adam_and_adamw")
fake.check_adam_update = lambda fn: CheckResult("check_adam_update", True, "ok", cases=6)
fake.check_adamw_update = lambda fn: CheckResult("check_adamw_update", True, "ok", cases=6)
sys.modules["nnlesson.course.checks.adam_and_adamw"] = fake
from nnlesson.course.checks.adam_and_adamw import check_adam_update, check_adamw_update
'''

# Inside the student's function: rebind the *next* check while the first one runs.
REBIND_LATER = '''def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    from nnlesson.course.checks import CheckResult
    globals()["check_adamw_update"] = lambda fn: CheckResult("check_adamw_update", True, "ok",
                                                             cases=6)
    raise NotImplementedError
'''

# Inside the student's function: patch the comparison and put it back when it has been used.
SELF_RESTORING = '''def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    import nnlesson.course.checks._core as core
    original = core.compare_outputs

    def lenient(*args, **kwargs):
        core.compare_outputs = original
        return None

    core.compare_outputs = lenient
    return w, m, v
'''

CODE_SWAP = '''def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    from nnlesson.course.checks import _core
    _core.compare_outputs.__code__ = (lambda expected, received, **kw: None).__code__
    return w, m, v
'''

SHORTCUT_ADAM = '''def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    w, m, v, _ = nl.optim.adam_update(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)
    return w, m, v
'''

SHORTCUT_ADAMW = '''def adamw_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                 weight_decay=1e-2):
    w, m, v, _ = nl.optim.adam_update(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps,
                                      weight_decay=weight_decay, decoupled_weight_decay=True)
    return w, m, v
'''


def _shortcut(nb):
    cell_of(nb, ADAM).source = SHORTCUT_ADAM
    cell_of(nb, ADAMW).source = SHORTCUT_ADAMW


def _fake_check_cells(nb):
    cell_of(nb, ADAM_CHECK).source = fake_bundle("check_adam_update")
    cell_of(nb, ADAMW_CHECK).source = fake_bundle("check_adamw_update")


def _fake_from_answer(nb):
    cell_of(nb, ADAM).source = fake_bundle("check_adam_update")


def _fake_from_function(nb):
    cell_of(nb, ADAM).source = (
        "def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
        + "\n".join("    " + line for line in fake_bundle("check_adam_update").splitlines())
        + "\n    return w, m, v\n")


def _redefine_after_import(nb):
    insert_after(nb, IMPORTS, REDEFINE)


def _redefine_in_answer(nb):
    cell_of(nb, ADAM).source += "\n\n" + REDEFINE


def _redefine_in_added_cell(nb):
    solve(nb, ADAM)
    insert_after(nb, ADAMW, REDEFINE)


def _patch_in_import_cell(nb):
    cell_of(nb, IMPORTS).source += "\n" + PATCH_RESULT


def _patch_in_answer(nb):
    cell_of(nb, ADAM).source += "\n\n" + PATCH_RESULT


def _patch_run_check(nb):
    insert_after(nb, ADAM, PATCH_RUN_CHECK)


def _sys_modules(nb):
    insert_after(nb, ADAM, SYS_MODULES)


def _module_attribute(nb):
    insert_after(nb, ADAM, "import nnlesson.course.checks.adam_and_adamw as mod\n"
                           "mod.check_adamw_update = lambda fn: True")


def _delete_exercise_2(nb):
    solve(nb, ADAM)
    nb.cells = [c for c in nb.cells if c.get("id") not in (ADAMW.id, ADAMW_CHECK.id)]


def _delete_check_cells(nb):
    solve(nb, ADAM)  # the solved exercise still counts; the unsolved one is still a check
    nb.cells = [c for c in nb.cells if c.get("id") not in (ADAM_CHECK.id, ADAMW_CHECK.id)]


def _rename(nb):
    solve(nb)
    cell_of(nb, ADAMW).source = cell_of(nb, ADAMW).source.replace("def adamw_update",
                                                                  "def my_adamw")


def _added_outside(nb):
    # cells after a check cell, with no answer next to them, do not run: their fake output
    # and their redefinition never happen
    index = next(i for i, c in enumerate(nb.cells) if c.get("id") == ADAMW_CHECK.id)
    nb.cells.insert(index + 1, new_code_cell(REDEFINE + "\n" + fake_bundle("check_adam_update")))
    nb.cells.append(new_code_cell(fake_bundle("check_adamw_update")))


def _remove_guard(nb):
    insert_after(nb, ADAM, "for _name in [n for n in globals() if n.startswith('__nnlesson')]:\n"
                           "    del globals()[_name]")


def _honest_helpers(nb):
    solve(nb)
    cell_of(nb, ADAM).source = ANSWERS[ADAM.id].replace(
        "def adam_update", "import numpy as np  # imports of my own\n\ndef adam_update", 1)
    insert_after(nb, ADAMW, "result = 'my own variable'\nrng = None")  # rebinds exercise names
    # a copy of the check cell pasted next to an answer: the real check is still the release's
    insert_after(nb, ADAM, "check_adam_update(adam_update)")


# ----- the library's Adam, hidden from the check's library guard

ADAM_SIGNATURE = "def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
LIBRARY_CALL = "nl.optim.adam_update(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)[:3]"

# every function of nnlesson.optim re-made from its code, in a namespace of another name
CODE_COPY = """import types
import nnlesson.optim as _optim
_copy = dict(vars(_optim), __name__="mine")
for _key, _f in list(_copy.items()):
    if isinstance(_f, types.FunctionType) and _f.__module__ == "nnlesson.optim":
        _copy[_key] = types.FunctionType(_f.__code__, _copy, _key, _f.__defaults__)
        _copy[_key].__kwdefaults__ = _f.__kwdefaults__

""" + ADAM_SIGNATURE + """    step = _copy["adam_update"]
    return step(w, g, m, v, t, lr=lr, beta1=beta1, beta2=beta2, eps=eps)[:3]
"""

IN_A_THREAD = "import threading\n\n" + ADAM_SIGNATURE + """    out = []
    worker = threading.Thread(target=lambda: out.append(""" + LIBRARY_CALL + """))
    worker.start()
    worker.join()
    return out[0]
"""

PROFILER_OFF_INSIDE = "import sys\n\n" + ADAM_SIGNATURE + (
    "    sys.setprofile(None)  # the check's library guard is a profiler\n"
    "    return " + LIBRARY_CALL + "\n")

PROFILER_IN_THE_CELL = ("import sys\nsys.setprofile(lambda frame, event, arg: None)\n\n"
                        + ADAM_SIGNATURE + "    return " + LIBRARY_CALL + "\n")

STDLIB_PATCHED = ("import fnmatch\nfnmatch.fnmatchcase = lambda name, pattern: False\n\n"
                  + ADAM_SIGNATURE + "    return " + LIBRARY_CALL + "\n")

SETPROFILE_REPLACED = ("import sys\nsys.setprofile = lambda function: None\n\n"
                       + ADAM_SIGNATURE + "    return " + LIBRARY_CALL + "\n")

# ----- the check's own data and numpy's internals

UNCHANGED = ADAM_SIGNATURE + "    return w.copy(), m.copy(), v.copy()\n"

TOLERANCE = "object.__setattr__(check_adam_update.check, 'atol', 1e9)\n\n" + UNCHANGED

EXPECTED_OVERWRITTEN = """for _outputs in check_adam_update.check.expected():
    for _array in _outputs:
        _array[...] = 0

""" + ADAM_SIGNATURE + "    return np.zeros_like(w), np.zeros_like(m), np.zeros_like(v)\n"

# np.isclose itself stays, the function it calls inside is replaced (through its globals)
NUMPY_INSIDE = ("getattr(np.isclose, '__wrapped__', np.isclose).__globals__['less_equal'] = (\n"
                "    lambda a, b, *rest, **kw: np.ones(np.broadcast(a, b).shape, bool))\n\n"
                + UNCHANGED)

# ----- the expected outputs read from the check's frames

FRAME = ADAM_SIGNATURE + """    import copy, sys
    frame = sys._getframe(1)
    while "expected" not in frame.f_locals:
        frame = frame.f_back
    return copy.deepcopy(frame.f_locals["expected"])
"""

CURRENT_FRAME = FRAME.replace("import copy, sys", "import copy, inspect").replace(
    "sys._getframe(1)", "inspect.currentframe().f_back")

TRACEBACK_FRAME = FRAME.replace("    frame = sys._getframe(1)\n", """    try:
        raise ValueError
    except ValueError as error:
        frame = error.__traceback__.tb_frame
""")

# ----- honest answers that must stay honest

NO_BIAS_CORRECTION = ADAM_SIGNATURE + """    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v
"""

# logging, a traceback of one's own and a signature: they read frames, outside the check's
TOOLS_OF_MY_OWN = """import inspect
import logging
import traceback

"""
USING_THEM = """    try:
        int("not a number")
    except ValueError:
        logging.getLogger("mine").debug("step %d: %s", t, traceback.format_exc()[:20])
"""


def _answer(source, *solved):
    """Adam's answer cell holds ``source``; the answer cells ``solved`` the model answer."""
    def edit(nb):
        if solved:
            solve(nb, *solved)
        cell_of(nb, ADAM).source = source
    return edit


def _tools_of_my_own(nb):
    solve(nb)
    head, body = ANSWERS[ADAM.id].split("\n", 1)  # the model answer: its def line, its body
    cell_of(nb, ADAM).source = (TOOLS_OF_MY_OWN + head + "\n" + USING_THEM + body
                                + "\n\nassert 'lr' in inspect.signature(adam_update).parameters\n")


CASES = {
    # name: (edit, passed, status, text that the reason must contain)
    "shortcut": (_shortcut, 0, "failed", ""),
    "fake_check_cells": (_fake_check_cells, 0, "todo", "2 of {total} checks not implemented"),
    "fake_from_answer_cell": (_fake_from_answer, 0, "error",
                              "your answer cell for adam_update defines nothing"),
    "fake_from_function": (_fake_from_function, 0, "todo", "1 of {total} checks not "
                                                          "implemented"),
    "redefine_after_import": (_redefine_after_import, 0, "todo", "did not run"),
    "redefine_in_answer": (_redefine_in_answer, 0, "tampered",
                           "check_adam_update was redefined (your cell {adam})"),
    "redefine_in_added_cell": (_redefine_in_added_cell, 0, "tampered",
                               "check_adamw_update was redefined (your cell {added})"),
    "patch_in_import_cell": (_patch_in_import_cell, 0, "todo",
                             "2 of {total} checks not implemented"),
    "patch_in_answer": (_patch_in_answer, 0, "tampered",
                        "nnlesson.course.checks._core.CheckResult.__bool__ was replaced"),
    "patch_run_check": (_patch_run_check, 0, "tampered",
                        "nnlesson.course.checks._core.run_check was replaced"),
    "sys_modules": (_sys_modules, 0, "tampered",
                    "sys.modules['nnlesson.course.checks.adam_and_adamw'] was replaced"),
    "module_attribute": (_module_attribute, 0, "tampered",
                         "nnlesson.course.checks.adam_and_adamw.check_adamw_update was replaced"),
    "rebind_while_checked": (lambda nb: setattr(cell_of(nb, ADAM), "source", REBIND_LATER), 0,
                             "tampered", "check_adamw_update was redefined (while the exercise's "
                                         "cell {adam_check} ran)"),
    "self_restoring_patch": (lambda nb: setattr(cell_of(nb, ADAM), "source", SELF_RESTORING), 0,
                             "tampered", "nnlesson.course.checks._core.compare_outputs was "
                                         "replaced (while check_adam_update ran)"),
    "code_swap": (lambda nb: setattr(cell_of(nb, ADAM), "source", CODE_SWAP), 0, "tampered",
                  "the __code__ of compare_outputs was changed"),
    "remove_guard": (_remove_guard, 0, "tampered", "the grader's guard stopped answering"),
    "delete_exercise_2": (_delete_exercise_2, 1, "todo", "no answer found for adamw_update"),
    "delete_check_cells": (_delete_check_cells, 1, "todo", "1 of {total} checks not implemented"),
    "rename_answer": (_rename, 1, "error", "your answer cell for adamw_update defines my_adamw"),
    "added_outside_answers": (_added_outside, 0, "todo", "2 cells you added away from the "
                                                          "answers did not run"),
    "honest_with_helpers": (_honest_helpers, 2, "passed", ""),
    # the library's Adam hidden from the check's library guard
    "library_code_copied": (_answer(CODE_COPY), 0, "tampered",
                            "your code made a copy of nnlesson.optim."),
    "library_in_a_thread": (_answer(IN_A_THREAD), 0, "todo", ""),
    "profiler_off_inside": (_answer(PROFILER_OFF_INSIDE), 0, "tampered",
                            "your code turned off the check's library guard (sys.setprofile, "
                            "line 4 of adam_update) while check_adam_update ran"),
    "profiler_left_in_the_cell": (_answer(PROFILER_IN_THE_CELL), 0, "todo", ""),
    "stdlib_patched": (_answer(STDLIB_PATCHED), 0, "tampered",
                       "fnmatch.fnmatchcase was replaced (your cell {adam})"),
    "setprofile_replaced": (_answer(SETPROFILE_REPLACED), 0, "tampered",
                            "sys.setprofile was replaced (your cell {adam})"),
    # the check's own data, numpy's internals
    "tolerance_raised": (_answer(TOLERANCE), 0, "tampered",
                         "the data of check_adam_update (its cases, expected outputs or "
                         "tolerances) was changed (your cell {adam})"),
    "expected_overwritten": (_answer(EXPECTED_OVERWRITTEN), 0, "tampered",
                             "the data of check_adam_update"),
    "numpy_inside_patched": (_answer(NUMPY_INSIDE), 0, "tampered",
                             "less_equal was replaced (your cell {adam})"),
    # the expected outputs read from the check's frames while it runs
    "frame_read": (_answer(FRAME), 0, "tampered",
                   "your code read the check's own frames or objects (sys._getframe, line 3 of "
                   "adam_update) while check_adam_update ran"),
    "current_frame_read": (_answer(CURRENT_FRAME), 0, "tampered",
                           "frames or objects (sys._getframe, line 3 of adam_update)"),
    "traceback_frame_read": (_answer(TRACEBACK_FRAME), 0, "tampered",
                             "frames or objects (a tb_frame, line 6 of adam_update)"),
    # honest answers: a diagnosed mistake, and tools of one's own inside the function
    "honest_mistake": (_answer(NO_BIAS_CORRECTION, ADAMW), 0, "failed", ""),
    "honest_tools_of_my_own": (_tools_of_my_own, 2, "passed", ""),
}


def numbers(nb):
    """Where the reasons point: the edited notebook's cells as the student numbers them."""
    ids = [c.get("id") for c in nb.cells]
    known = {c.id for c in RELEASE.cells}
    added = [i for i, cell_id in enumerate(ids, 1) if cell_id not in known]
    return {"adam": ids.index(ADAM.id) + 1 if ADAM.id in ids else None,
            "added": added[0] if added else None, "adam_check": ADAM_CHECK.index,
            "total": TOTAL}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cheats")
    where = {}
    for name, (edit, *_) in CASES.items():
        nb = fresh()
        edit(nb)
        where[name] = numbers(nb)
        (folder / name).mkdir()
        nbformat.write(nb, str(folder / name / EXERCISE.name))
    rows = grade([folder], timeout=60, release=ROOT / "exercises", progress=False)
    return {Path(row.path).parent.name: (row, where[Path(row.path).parent.name]) for row in rows}


@pytest.mark.parametrize("name", sorted(CASES))
def test_each_cheat_gets_the_honest_score(graded, name):
    _, passed, status, text = CASES[name]
    row, where = graded[name]
    text = text.format(**where)
    if status != "tampered":
        passed += OTHERS  # the honestly solved other exercises
    assert (row.passed, row.total, row.status) == (passed, TOTAL, status), row
    assert text in row.reason, row.reason
    if status == "tampered":
        assert row.reason.startswith(TAMPERED + ": ")
        assert row.failed == RELEASE.check_names


def test_hidden_shortcuts_fail_the_check_they_hide_from(graded):
    """A library call in a thread, or under a profiler left on by a cell: the check fails."""
    thread, _ = graded["library_in_a_thread"]
    assert thread.mistakes == {"check_adam_update": "runs code the check cannot watch"}
    profiler, _ = graded["profiler_left_in_the_cell"]
    assert profiler.mistakes == {"check_adam_update": "calls the library"}


def test_an_honest_mistake_is_diagnosed_not_taken_for_tampering(graded):
    """The check's diagnoses fill caches of its own while it runs: not a change of its data."""
    row, _ = graded["honest_mistake"]
    assert row.mistakes["check_adam_update"] == "no bias correction"


def test_the_shortcut_is_named_by_the_check(graded):
    """The library guard of the checks fails an answer that calls the library's own Adam."""
    row, _ = graded["shortcut"]
    assert row.failed == ["check_adam_update", "check_adamw_update"]
    assert row.mistakes == {"check_adam_update": "calls the library",
                            "check_adamw_update": "calls the library"}
