"""Checks that know what they tested: a definition that a failed cell did not replace.

In a notebook, a cell that defines ``adam_update`` and fails (a ``SyntaxError``, or an exception
before the ``def`` ran) leaves the *previous* ``adam_update`` in place. A check run afterwards
would test that older version and could even say "passed". :func:`stale_definition` tells the
check instead: "the cell that defines adam_update failed when you last ran it (SyntaxError:
invalid syntax, line 4): this check would test an older version...".

How it knows, in an IPython kernel (Jupyter):

1. :func:`install` (called when the checks framework is imported, i.e. by the exercise's
   import cell) registers two IPython event callbacks. Before each cell runs,
   ``pre_run_cell`` notes the names the cell defines at its top level (``def``/``class``, found
   with ``ast``, or with a regular expression when the cell does not parse) and the objects
   those names hold. After it, ``post_run_cell`` records for each name: the execution count,
   whether the cell failed and with which error, and whether the name now holds a new object.
   The definition is stale when the last cell that defines the name failed *and* did not
   rebind it (a cell that raises after its ``def`` did replace the function: not stale).
2. Without a record (the function was defined before the framework was imported), the
   history is used: IPython's compiler maps the function's ``co_filename`` back to the
   execution count of the cell that compiled it; a later entry of the input history that
   defines the same name did not produce this function, so it failed (its error is taken from
   IPython's stored exceptions when available, or by compiling it for a ``SyntaxError``).

Outside IPython (plain Python, pytest) nothing is registered and nothing is ever reported.
"""
from __future__ import annotations

import ast
import re
import sys
import traceback
from dataclasses import dataclass

__all__ = ["install", "stale_definition", "defined_names"]

_MISSING = object()
_DEF = re.compile(r"^(?:async[ \t]+def|def|class)[ \t]+([A-Za-z_]\w*)", re.MULTILINE)


@dataclass
class _Run:
    count: int | None
    failed: bool
    error: str
    rebound: bool


_RECORDS: dict = {}  # name -> _Run of the last cell run that defines it
_BEFORE: dict = {}  # name -> object it held before the running cell


def _shell():
    """The running IPython shell, or None (never imports IPython)."""
    module = sys.modules.get("IPython")
    if module is None:
        return None
    try:
        return module.get_ipython()
    except Exception:
        return None


def defined_names(source, shell=None):
    """Top-level ``def`` and ``class`` names of a cell's source, in order."""
    text = source or ""
    if shell is not None:
        try:
            text = shell.transform_cell(text)  # magics (%time, !ls) -> Python
        except Exception:
            text = source or ""
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return list(dict.fromkeys(_DEF.findall(source or "")))
    return [node.name for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]


def _cell_files(shell):
    mapping = getattr(getattr(shell, "compile", None), "_filename_map", None)
    return mapping if isinstance(mapping, dict) else {}


def _describe(error, shell=None):
    """``SyntaxError: invalid syntax (line 4)`` or ``NameError: name 'x' is not defined
    (line 2)``."""
    if error is None:
        return "an error"
    text = type(error).__name__
    if isinstance(error, SyntaxError):
        if error.msg:
            text += f": {error.msg}"
        if error.lineno:
            text += f", line {error.lineno}"
        return text
    message = str(error).strip().splitlines()
    if message:
        text += f": {message[0][:120]}"
    files = _cell_files(shell) if shell is not None else {}
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if f.filename in files or f.filename.startswith("<ipython-input")]
    if frames:
        text += f", line {frames[-1].lineno}"
    return text


def _pre_run_cell(info=None):
    shell = _shell()
    _BEFORE.clear()
    if shell is None or info is None:
        return
    names = defined_names(getattr(info, "raw_cell", "") or "", shell)
    namespace = shell.user_ns
    for name in names:
        _BEFORE[name] = namespace.get(name, _MISSING)


def _post_run_cell(result=None):
    shell = _shell()
    if shell is None or result is None or not _BEFORE:
        _BEFORE.clear()
        return
    error = result.error_before_exec if result.error_before_exec is not None \
        else result.error_in_exec
    described = _describe(error, shell) if error is not None else ""
    namespace = shell.user_ns
    for name, before in _BEFORE.items():
        _RECORDS[name] = _Run(count=result.execution_count, failed=error is not None,
                              error=described, rebound=namespace.get(name, _MISSING) is not before)
    _BEFORE.clear()


def install():
    """Register the callbacks in the running IPython shell (idempotent). Returns True if an
    IPython shell is running."""
    shell = _shell()
    events = getattr(shell, "events", None)
    if events is None:
        return False
    for event, callback in (("pre_run_cell", _pre_run_cell), ("post_run_cell", _post_run_cell)):
        registered = events.callbacks.get(event, [])
        for old in list(registered):  # a reloaded copy of this module
            if (old is not callback and getattr(old, "__module__", None) == __name__
                    and getattr(old, "__qualname__", None) == callback.__qualname__):
                events.unregister(event, old)
        if callback not in registered:
            events.register(event, callback)
    return True


def _defined_in_a_cell(obj, shell):
    code = getattr(obj, "__code__", None)
    if code is not None:
        name = code.co_filename
        return name in _cell_files(shell) or name.startswith("<ipython-input")
    return isinstance(obj, type) and obj.__module__ == "__main__"


def _from_history(shell, obj, name):
    """Stale check from the input history, for a function defined before :func:`install`."""
    code = getattr(obj, "__code__", None)
    count = _cell_files(shell).get(code.co_filename) if code is not None else None
    history = getattr(getattr(shell, "history_manager", None), "input_hist_raw", None)
    if count is None or not history:
        return None
    for later in range(len(history) - 1, count, -1):
        source = history[later]
        if name not in defined_names(source, shell):
            continue
        try:
            compile(shell.transform_cell(source), "<cell>", "exec")
        except SyntaxError as exc:
            return _message(name, _describe(exc))
        except Exception:
            return None
        exceptions = getattr(shell.history_manager, "exceptions", {}) or {}
        stored = exceptions.get(later)  # IPython 9 keeps each cell's exception
        if not (isinstance(stored, dict) and stored.get("ename")):
            return None  # no evidence that it failed: say nothing rather than guess
        evalue = (str(stored.get("evalue") or "").strip().splitlines() or [""])[0][:120]
        error = stored["ename"] + (f": {evalue}" if evalue else "")
        return _message(name, error)
    return None


def _message(name, error):
    return (f"the cell that defines `{name}` failed when you last ran it ({error}): this check "
            f"would test an older version of `{name}`. Fix that cell and run it again, then "
            "run this check.")


def stale_definition(obj, name=None):
    """A message if ``obj`` (the student's function or class) is an older definition that the
    last run of its cell failed to replace; None otherwise (and always outside IPython)."""
    shell = _shell()
    if shell is None:
        return None
    name = name or getattr(obj, "__name__", None)
    if not isinstance(name, str) or not name.isidentifier():
        return None
    try:
        if not _defined_in_a_cell(obj, shell):
            return None
        record = _RECORDS.get(name)
        if record is not None:
            return _message(name, record.error) if record.failed and not record.rebound else None
        return _from_history(shell, obj, name)
    except Exception:  # never let this helper break a check
        return None
