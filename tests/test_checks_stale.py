"""Checks that know what they tested: a definition left over from before a failed cell.

In a real Jupyter kernel (nbclient runs small notebooks): a cell that redefines the answer and
fails (a SyntaxError, an exception before the ``def``) makes the check say so instead of
testing the older definition; a cell that fails *after* its ``def`` did redefine it (no
alarm); fixing and re-running the cell clears it. Without IPython, nothing is ever reported.
"""
import json
import subprocess
import sys
import textwrap

import nbclient
import nbformat
import numpy as np

from nnlesson.course.checks import _stale
from nnlesson.course.checks.adam_and_adamw import check_adam_update

RIGHT = '''
def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v
'''
SYNTAX_ERROR = '''
def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g *
    return w, m, v
'''
ERROR_BEFORE_DEF = '''
scale = undefined_name
def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return w, m, v
'''
ERROR_AFTER_DEF = '''
def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m = beta1 * m + (1 - beta1) * g
    v = beta2 * v + (1 - beta2) * g * g
    return w - lr * m / (np.sqrt(v) + eps), m, v
print(adam_update(1.0))
'''
CHECK = '''
result = check_adam_update(adam_update)
print(json.dumps([result.status, result.mistake, result.message]))
'''
IMPORTS = ("import json\nimport numpy as np\n"
           "from nnlesson.course.checks.adam_and_adamw import check_adam_update")


def run_notebook(sources):
    """Run the cells in a fresh kernel; the check cells' printed JSON, in order."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(textwrap.dedent(s).strip()) for s in sources]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    found = []
    for cell in nb.cells:
        for output in cell.outputs:
            text = output.get("text", "")
            if output.get("output_type") == "stream" and text.startswith("["):
                found.append(json.loads(text))
    return found


def test_in_a_kernel_a_failed_cell_is_reported_instead_of_testing_the_old_function():
    first, syntax, before, after, fixed = run_notebook([
        IMPORTS, RIGHT, CHECK,
        SYNTAX_ERROR, CHECK,
        ERROR_BEFORE_DEF, CHECK,
        ERROR_AFTER_DEF, CHECK,
        RIGHT, CHECK,
    ])
    assert first == ["pass", None, "passed 6 cases"]

    status, mistake, message = syntax
    assert (status, mistake) == ("fail", "stale definition")
    assert message.startswith("the cell that defines `adam_update` failed when you last ran it "
                              "(SyntaxError: invalid syntax, line 3): this check would test an "
                              "older version of `adam_update`. Fix that cell and run it again")

    status, mistake, message = before
    assert (status, mistake) == ("fail", "stale definition")
    assert "(NameError: name 'undefined_name' is not defined, line 1)" in message

    # The def ran before the error: the check tests the new (wrong) function.
    assert after[0] == "fail" and after[1] == "no bias correction"

    assert fixed == ["pass", None, "passed 6 cases"]


def test_in_a_kernel_a_function_defined_before_the_import_is_judged_from_the_history():
    syntax, runtime = run_notebook([
        "import json\nimport numpy as np", RIGHT, SYNTAX_ERROR,
        "from nnlesson.course.checks.adam_and_adamw import check_adam_update", CHECK,
        "1 / 0\n" + RIGHT, CHECK,
    ])
    assert syntax[1] == "stale definition" and "(SyntaxError: invalid syntax, line 3)" in syntax[2]
    assert runtime[1] == "stale definition" and "ZeroDivisionError: division by zero" in runtime[2]


def test_without_ipython_nothing_is_reported():
    # This process (pytest) has no IPython shell: the function below is as "stale" as it can be.
    def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        return w - lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + eps), m, v

    assert _stale.stale_definition(adam_update) is None
    assert _stale.install() is False
    assert check_adam_update(adam_update).passed


def test_plain_python_with_ipython_imported_but_no_shell():
    code = textwrap.dedent("""
        import IPython, numpy as np
        from nnlesson.course.checks import _stale
        from nnlesson.course.checks.adam_and_adamw import check_adam_update
        def adam_update(w, g, m, v, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            return w, m, v
        print(_stale.install(), _stale.stale_definition(adam_update),
              check_adam_update(adam_update).mistake)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    installed, stale, mistake = out.stdout.split(maxsplit=2)
    assert (installed, stale) == ("False", "None") and "stale" not in mistake


def test_defined_names_reads_cells_that_do_not_parse():
    assert _stale.defined_names("def f(x):\n    return x +\nclass K:\n    pass\n") == ["f", "K"]
    assert _stale.defined_names("import os\ndef g():\n    pass\n\nasync def h():\n    pass") == \
        ["g", "h"]
    assert _stale.defined_names("x = 1\n  def indented(): pass") == []
