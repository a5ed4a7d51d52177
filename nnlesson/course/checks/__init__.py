"""Auto-checks for the exercises: ``check_<name>(student_function) -> CheckResult``.

Each lesson's checks live in ``nnlesson/course/checks/<slug>.py`` (slugs in ``nnlesson.course``) and are
built with the small framework in :mod:`nnlesson.course.checks._core` (its docstring has a complete
example). This package re-exports the framework and every ``check_*`` function defined in a
sibling module, so ``from nnlesson.course.checks import check_adam_update`` works and adding a new
module needs no edit here. It imports numpy only (no matplotlib, no widgets).
"""
from __future__ import annotations

import importlib
import pkgutil

from nnlesson.course.checks._core import (
    MIME_TYPE,
    Case,
    CheckResult,
    Mistake,
    Property,
    compare_outputs,
    run_check,
)

__all__ = [
    "MIME_TYPE", "CheckResult", "Case", "Mistake", "Property", "run_check", "compare_outputs",
]


def _collect_checks():
    """Import every public sibling module; return its ``check_*`` functions by name."""
    found = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for attr, obj in vars(module).items():
            # Only functions defined in that module, not ones it imported from another.
            defined_here = getattr(obj, "__module__", None) == module.__name__
            if attr.startswith("check_") and callable(obj) and defined_here:
                if attr in found:
                    raise ImportError(f"{attr} is defined in both {found[attr].__module__} and "
                                      f"{module.__name__}; check names must be unique")
                found[attr] = obj
    return found


globals().update(_collect_checks())
__all__ += sorted(name for name in globals() if name.startswith("check_"))
