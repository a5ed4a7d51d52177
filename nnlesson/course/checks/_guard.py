"""What a check allows the student's code while it runs: a time limit and no library shortcut.

Both wrap every call of the student's code that a check makes (:func:`student_call`).

**Time limit.** A call that does not return within ``seconds`` is stopped with :class:`TimeUp`
(a ``BaseException``, so a student's ``except Exception:`` does not swallow it). How:

* in the main thread of a process that has ``signal.setitimer`` (Linux, macOS: a Jupyter
  kernel runs cells there), a ``SIGALRM`` timer raises ``TimeUp`` in the student's code, and
  raises it again every quarter of a second until the call ends (so a bare ``except:`` that
  swallows it once does not defeat the limit; code that swallows it again and again, forever,
  does); a timer or handler that was set before is restored afterwards;
* elsewhere (Windows, or a check called from another thread), a trace function
  (``sys.settrace``) compares the clock at every line the student's Python code runs. If a
  tracer is already installed (a debugger), it is left alone and the call has no time limit.

Neither can stop a single long call inside compiled code (one huge numpy operation): the limit
takes effect when control comes back to Python.

**Library guard.** While the student's code runs, ``sys.setprofile`` records every Python
function it calls, at any depth. A call whose ``module.qualname`` matches one of the check's
``forbidden`` patterns (shell-style, case-insensitive: ``"nnlesson.optim.*adam*"`` matches
``adam_update``, ``Adam.__init__``, ``AdamW._update`` and a private ``_adam_kernel``) is
reported, so the check can fail with "calls nnlesson.optim.adam_update: write the update
yourself". Matching is by module and name at call time, not by object identity, so a kernel
that is renamed or added later is caught as long as its name still matches. While another
profiler runs (cProfile, some debuggers), the guard is off: a profiler set from C cannot be
chained or put back from Python, and the student's tools come first.
"""
from __future__ import annotations

import fnmatch
import os
import signal
import sys
import sysconfig
import threading
import time
from contextlib import contextmanager

__all__ = ["TimeUp", "time_limit", "LibraryGuard", "student_call", "is_student_file"]


# the nnlesson package folder (this file is nnlesson/course/checks/_guard.py)
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
_LIBRARY_DIRS = tuple(
    sorted(
        {os.path.realpath(p) for key in ("stdlib", "platstdlib", "purelib", "platlib")
         if (p := sysconfig.get_paths().get(key))}
        | {_PACKAGE_DIR}
    )
)


def is_student_file(filename):
    """True for a file of the student's (a notebook cell, their own module), False for the
    standard library, installed packages and nnlesson itself."""
    if filename.startswith("<"):
        return not filename.startswith(("<frozen", "<__array_function__"))
    path = os.path.realpath(filename)
    return not any(path == d or path.startswith(d + os.sep) for d in _LIBRARY_DIRS)


class TimeUp(BaseException):
    """The student's code ran longer than the check's time limit."""


# --------------------------------------------------------------------------------------------
# time limit


def _alarm_usable():
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def _alarm_limit(seconds):
    state = {"active": True}

    def on_alarm(signum, frame):
        if state["active"]:
            raise TimeUp()

    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 0.25)
    start = time.monotonic()
    try:
        yield
    finally:
        state["active"] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:  # someone else's timer was running: give it its remaining time
            remaining = max(old_delay - (time.monotonic() - start), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, remaining, old_interval)


@contextmanager
def _trace_limit(seconds):
    if sys.gettrace() is not None:  # a debugger is tracing: do not take its place
        yield
        return
    deadline = time.monotonic() + seconds

    def tracer(frame, event, arg):
        if time.monotonic() > deadline:
            raise TimeUp()
        return tracer

    sys.settrace(tracer)
    try:
        yield
    finally:
        sys.settrace(None)


def time_limit(seconds):
    """Context manager: raise :class:`TimeUp` in the code it wraps after ``seconds``.

    ``seconds`` None or <= 0 means no limit.
    """
    if not seconds or seconds <= 0:
        return _no_limit()
    return _alarm_limit(seconds) if _alarm_usable() else _trace_limit(seconds)


@contextmanager
def _no_limit():
    yield


# --------------------------------------------------------------------------------------------
# library guard


def _code_name(frame):
    """``(module, qualname)`` of the function a frame runs."""
    code = frame.f_code
    qualname = getattr(code, "co_qualname", code.co_name)  # co_qualname: Python 3.11+
    return frame.f_globals.get("__name__", "?"), qualname


def _shown_name(module, qualname):
    """The name as the user would write it: ``nnlesson.optim``, ``AdamW._update`` ->
    ``nnlesson.optim.AdamW`` (a class is named by the class, not by one of its methods);
    ``nnlesson.optim``, ``adam_update`` stays ``nnlesson.optim.adam_update``; private modules
    are left out, as the name is imported: ``sklearn.preprocessing._data``, ``MinMaxScaler`` ->
    ``sklearn.preprocessing.MinMaxScaler``."""
    parts = module.split(".")
    head = qualname.split(".")[0]
    public = [part for i, part in enumerate(parts) if i == 0 or not part.startswith("_")]
    if public != parts:  # shorter only where the public module really offers the same object
        offered = getattr(sys.modules.get(".".join(public)), head, None)
        if offered is None or offered is not getattr(sys.modules.get(module), head, None):
            public = parts
    return ".".join(public + [head])


class LibraryGuard:
    """Records calls to functions whose ``module.qualname`` matches ``patterns``.

    Use as a context manager around the student's call; ``found`` lists the matching names in
    the order they were first called (shown as the user would write them).
    """

    def __init__(self, patterns):
        self.patterns = tuple(p.lower() for p in patterns)
        self._direct = []  # called from the student's own code: what they wrote
        self._inner = []  # called by other code (another library, an import in progress)
        self._seen = {}

    @property
    def found(self):
        """The matching names, those the student's own code called first."""
        return self._direct + [name for name in self._inner if name not in self._direct]

    def _matches(self, frame):
        code = frame.f_code
        hit = self._seen.get(code)
        if hit is None:
            module, qualname = _code_name(frame)
            name = f"{module}.{qualname}"
            # a module's own code runs when it is first imported: that is no call to the
            # library's implementation, and its name (sklearn.utils) would say nothing
            matched = code.co_name != "<module>" and any(
                fnmatch.fnmatchcase(name.lower(), p) for p in self.patterns)
            hit = ""
            if matched:
                owner = frame.f_locals.get("self") if "." in qualname else None
                if owner is not None and not isinstance(owner, type):  # the class it was called on
                    module, qualname = type(owner).__module__, type(owner).__qualname__
                hit = _shown_name(module, qualname)
            self._seen[code] = hit
        return hit

    def __enter__(self):
        # A profiler that is already running (cProfile, a debugger) is left alone: it cannot
        # be chained or restored from Python, so the guard stays off while it runs.
        self._active = bool(self.patterns) and sys.getprofile() is None
        if not self._active:
            return self

        def profile(frame, event, arg):
            if event == "call":
                hit = self._matches(frame)
                if hit:
                    shown = hit
                    caller = frame.f_back
                    direct = caller is not None and is_student_file(caller.f_code.co_filename)
                    seen = self._direct if direct else self._inner
                    if shown not in seen:
                        seen.append(shown)

        sys.setprofile(profile)
        return self

    def __exit__(self, *exc):
        if self._active:
            sys.setprofile(None)
        return False


@contextmanager
def student_call(seconds=None, forbidden=()):
    """Run the wrapped student code under a time limit and the library guard.

    Yields the :class:`LibraryGuard` (its ``found`` lists forbidden calls after the block).
    """
    guard = LibraryGuard(forbidden)
    with time_limit(seconds), guard:
        yield guard
