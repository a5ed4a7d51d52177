"""The grader's guard inside a student's kernel: it runs the checks and watches the framework.

The grader loads this file by its path in the kernel's first cell, before any cell of the
notebook, and calls :func:`install`. The returned :class:`Guard` then

* **records the framework as it was**: every module of ``nnlesson`` loaded for the checks (its
  namespace, ``sys.modules`` entry and class), the code, defaults and closures of their
  functions, the attributes of their classes (``CheckResult`` among them), and the namespaces
  of ``numpy`` and ``builtins``; the functions and classes of every other module the framework
  uses (``sys``, ``fnmatch``, ``copy``, ... and every ``numpy`` submodule, whose functions
  ``numpy.isclose`` calls); and the data of each of the exercise's checks (its cases, expected
  outputs, tolerances and mistakes: their identities and the bytes of their arrays);
* **notices changes while they happen**: assignments to the attributes of those modules (their
  class is swapped for a watching subclass of ``ModuleType``) and to the code or defaults of
  their functions (an audit hook, which cannot be removed once added);
* **watches the student's code while a check runs it** (the same audit hook): code of the
  student's that turns off the check's library guard (``sys.setprofile``, ``sys.settrace``) or
  reads the check's own frames and objects (``sys._getframe``, ``inspect.currentframe``, a
  traceback's frames, ``gc.get_objects``) is reported, and so is, at any time, a function
  re-made from the code of an ``nnlesson`` function (a copy of the library's implementation
  under another name, which the library guard would not recognise). A check whose run started
  a thread or a process (which the check cannot watch) does not count as passed;
* **knows which names the exercise bound**: after each cell it compares the notebook's
  namespace with the one before; a check name the exercise's own cells bound and a student's
  cell rebinds is reported at once;
* **runs every check itself**: each call ``check_x(fn)`` of a released check cell is rewritten
  by the grader into ``guard.run(site, "check_x", check_x, fn)``, which verifies that
  ``check_x`` is the exercise's check and that the framework is unchanged (before and after
  the call), calls the *recorded* check, verifies that it returned a genuine ``CheckResult``,
  and keeps its summary (``CheckResult.to_dict``, the recorded method).

The grader collects the guard's report after every cell through the kernel's
``user_expressions`` reply, never from what a cell displays. Every finding is a line of the
form "... was replaced"; any finding grades the notebook 0 ("the notebook changes the grader's
checks").

Only changes are findings, so the framework itself must not change at run time: a library
module that rebound one of its own globals while a notebook runs (a cache kept with
``global``) would be reported. The library keeps no such state; a test grades every exercise
of the course solved and untouched and requires the guard to find nothing.

What this does not stop: code written against the guard itself or the checks' internals (it
runs in the same Python process). See docs/teaching.md, "What the grader defends against".
"""
import os
import sys
import types

__all__ = ["install", "Guard"]

_STATUSES = ("pass", "fail", "todo")
# names IPython itself sets and resets in builtins around every cell
_VOLATILE_BUILTINS = {"_", "__", "___", "exit", "quit", "get_ipython", "display", "__IPYTHON__",
                      "input", "raw_input", "getpass",
                      "__IPYTHON__active", "dreload"}
_VOLATILE_MODULE_KEYS = {"__warningregistry__"}
_VOLATILE_CLASS_KEYS = {"__slotnames__"}  # copyreg caches it when an instance is copied
_STDLIB = ("builtins", "copy", "math", "numbers", "inspect", "traceback", "numpy",
           "numpy.linalg", "numpy.random")
# names of sys that IPython and the kernel rebind around cells and errors
_VOLATILE_SYS = {"displayhook", "excepthook", "breakpointhook", "unraisablehook", "last_type",
                 "last_value", "last_traceback", "last_exc", "stdout", "stderr", "stdin"}
# audit events of code that reads the interpreter's frames or objects
_INTROSPECTION = {"sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
                  "gc.get_referents"}
_FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame"}
_PROCESS_EVENTS = {"os.fork", "os.forkpty", "os.posix_spawn", "os.spawn", "os.exec",
                   "os.system", "subprocess.Popen"}
_CODE_ATTRIBUTES = {"__code__", "__defaults__", "__kwdefaults__"}
_UNWATCHED = "runs code the check cannot watch"
_CHECK_DATA = ("_cases", "_expected")  # what a Check computes once and compares with


def _short(obj):
    return (getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
            or type(obj).__name__)


class _Report:
    """What the grader reads back (as ``application/json``)."""

    def __init__(self, data):
        self._data = data

    def _repr_json_(self):
        return self._data

    def __repr__(self):
        return "<grader report>"


class Guard:
    """See the module's docstring. ``checks``: the check names the exercise's cells call."""

    def __init__(self, checks):
        import nnlesson  # noqa: F401  (the library: every module the checks use)
        import nnlesson.course.checks as package
        from nnlesson.course.checks import _core

        self.originals = {}
        for name in checks:
            try:
                self.originals[name] = getattr(package, name)  # also loads its module
            except AttributeError:
                pass  # a check the exercise defines in one of its own cells
        self.CheckResult = _core.CheckResult
        self.to_dict = _core.CheckResult.__dict__["to_dict"]
        self.checks = set(checks)
        self.results, self.notes, self.pending = [], [], []
        self.reported = set()
        self.ns = get_ipython().user_ns  # noqa: F821  (IPython's kernel)
        self.trusted = {}  # name -> the value an exercise cell bound it to
        self.bindings = dict(self.ns)
        self.modules = {}
        for name, module in list(sys.modules.items()):
            if isinstance(module, types.ModuleType) and (_ours(name) or name in _STDLIB):
                self.modules[name] = module
        self.used = self._used_modules()
        self.known = {id(v) for m in (*self.modules.values(), *self.used.values())
                      for v in vars(m).values()}
        self._watch_modules()
        self.functions, self.classes = self._framework_objects()
        self.declarations = self._declarations()
        self.snapshot = self._take()
        self.tracked = {id(f): f for f in self.functions}
        self.checking = None  # the name of the check running, while one runs
        self.unwatched = []  # threads and processes started while it ran
        self._auditing = False
        self._package = os.path.join(os.path.dirname(os.path.realpath(nnlesson.__file__)), "")
        self._trusted = tuple(_library_folders()) + (self._package,)
        sys.addaudithook(self._audit)

    # --------------------------------------------------------------------- what is recorded

    def _watch_modules(self):
        pending, known = self.pending, self.known

        class WatchedModule(types.ModuleType):
            def __setattr__(self, key, value):
                submodule = (isinstance(value, types.ModuleType)
                             and value.__name__ == f"{self.__name__}.{key}")
                if not (submodule or id(value) in known and key not in vars(self)):
                    pending.append(f"{self.__name__}.{key} was replaced")
                types.ModuleType.__setattr__(self, key, value)

            def __delattr__(self, key):
                pending.append(f"{self.__name__}.{key} was deleted")
                types.ModuleType.__delattr__(self, key)

        for name, module in self.modules.items():
            if _ours(name) and type(module) is types.ModuleType:
                module.__class__ = WatchedModule

    def _used_modules(self):
        """Modules other than those in ``self.modules`` whose functions the framework calls:
        the modules its modules import (or import functions and classes from), and every
        submodule of numpy (``numpy.isclose`` calls the functions of ``numpy._core``)."""
        names = {name for name in sys.modules if name.startswith("numpy.")}
        for name, module in self.modules.items():
            if not _ours(name):
                continue
            for value in vars(module).values():
                if isinstance(value, types.ModuleType):
                    names.add(value.__name__)
                elif callable(value) and isinstance(getattr(value, "__module__", None), str):
                    names.add(value.__module__)
        return {name: sys.modules[name] for name in sorted(names)
                if not _ours(name) and name not in self.modules and name != "__main__"
                and isinstance(sys.modules.get(name), types.ModuleType)}

    def _declarations(self):
        """The :class:`Check` declaration of each of the exercise's checks, its expected outputs
        computed now (before any of the student's code), so that its data can be compared."""
        found = {}
        for name, check in self.originals.items():
            declaration = getattr(check, "check", None)
            if declaration is None or not hasattr(declaration, "expected"):
                continue
            try:
                declaration.expected()
            except Exception:  # a broken check: it fails loudly when it runs
                pass
            found[name] = declaration
        return found

    def _framework_objects(self):
        functions, classes = [], []
        for name, module in self.modules.items():
            if not _ours(name):
                continue
            for value in vars(module).values():
                if getattr(value, "__module__", None) != name:
                    continue
                if isinstance(value, types.FunctionType):
                    functions.append(value)
                elif isinstance(value, type):
                    classes.append(value)
                    for member in vars(value).values():
                        member = getattr(member, "__func__", member)  # static/class methods
                        if isinstance(member, property):
                            functions += [f for f in (member.fget, member.fset, member.fdel)
                                          if isinstance(f, types.FunctionType)]
                        elif isinstance(member, types.FunctionType):
                            functions.append(member)
        return functions, classes

    @staticmethod
    def _function_state(f):
        cells = tuple(_contents(c) for c in f.__closure__ or ())
        kwdefaults = dict(f.__kwdefaults__) if f.__kwdefaults__ is not None else None
        return (f.__code__, f.__defaults__, kwdefaults, cells)

    def _take(self):
        return {
            "modules": {name: (sys.modules.get(name), type(m), dict(vars(m)))
                        for name, m in self.modules.items()},
            "functions": [self._function_state(f) for f in self.functions],
            "classes": [(dict(vars(c)), c.__bases__) for c in self.classes],
            "used": {name: (sys.modules.get(name), _code_like(m)) for name, m in self.used.items()},
            "declarations": {name: _fingerprint(d) for name, d in self.declarations.items()},
        }

    def _audit(self, event, args):
        # Runs for every audit event of the process: keep it small and never raise.
        if event in ("object.__setattr__", "object.__delattr__") and args:
            obj = self.tracked.get(id(args[0]))
            if obj is not None and obj is args[0]:
                self.pending.append(f"the {args[1]} of {_short(obj)} was changed")
            elif (len(args) > 1 and args[1] in _CODE_ATTRIBUTES
                  and isinstance(args[0], types.FunctionType)
                  and self._watched_module(getattr(args[0], "__module__", None))):
                self.pending.append(f"the {args[1]} of {args[0].__module__}."
                                    f"{_short(args[0])} was changed")
            return
        if self._auditing:
            return  # an event of the guard's own inspection below
        if event == "function.__new__" and args and isinstance(args[0], types.CodeType):
            self._copied(args[0].co_filename, args[0].co_qualname)
        elif event == "code.__new__" and len(args) > 2 and isinstance(args[1], str):
            self._copied(args[1], str(args[2]))
        elif self.checking is None:
            return
        elif event in _INTROSPECTION or event in ("sys.setprofile", "sys.settrace") or (
                event == "object.__getattr__" and len(args) > 1
                and args[1] in _FRAME_ATTRIBUTES):
            self._auditing = True
            try:
                caller = self._student_caller(sys._getframe(1))
            finally:
                self._auditing = False
            if caller is None:
                return
            what = event if event.startswith(("sys.", "gc.")) else f"a {args[1]}"
            if event in ("sys.setprofile", "sys.settrace"):
                self.pending.append(f"your code turned off the check's library guard "
                                    f"({event}, {caller}) while {self.checking} ran")
            else:
                self.pending.append(f"your code read the check's own frames or objects "
                                    f"({what}, {caller}) while {self.checking} ran")
        elif event in _PROCESS_EVENTS:
            self.unwatched.append(f"started a process ({event})")

    def _watched_module(self, name):
        return isinstance(name, str) and (name in self.modules or name in self.used
                                          or name == "numpy" or name.startswith("numpy."))

    def _copied(self, filename, qualname):
        """A function or code object made from ``filename``: reported when that is a file of
        the nnlesson package and the student's code made it."""
        if not isinstance(filename, str) or not filename.startswith(self._package):
            return
        self._auditing = True
        try:
            caller = self._student_caller(sys._getframe(2))
        finally:
            self._auditing = False
        if caller is not None:
            module = filename[len(self._package):].removesuffix(".py").strip("/\\")
            module = ".".join(["nnlesson", *module.replace("\\", "/").split("/")])
            self.pending.append(f"your code made a copy of {module}.{qualname} ({caller}), "
                                "which hides a call to the library from the checks")

    def _student_caller(self, frame):
        """Where the student's code made an audit event (``frame``: the frame that made it),
        or None when that code is the library's, the checks', numpy's or Python's own.
        ``inspect`` is looked through: ``inspect.currentframe()`` is the student's call."""
        while frame is not None and frame.f_code.co_filename.endswith(
                (f"{os.sep}inspect.py", "/inspect.py")):
            frame = frame.f_back
        if frame is None or frame.f_code.co_filename.startswith(self._trusted):
            return None
        return f"line {frame.f_lineno} of {frame.f_code.co_name}"

    def _thread_started(self, frame, event, arg):
        """The profile function of threads started while a check runs: notes the thread."""
        self.unwatched.append("started a thread")
        sys.setprofile(None)

    # --------------------------------------------------------------------- verifying

    def _changes(self):
        """Lines naming every difference between the framework now and at set-up."""
        found = list(self.pending)
        self.pending.clear()
        for name, (entry, kind, namespace) in self.snapshot["modules"].items():
            module = self.modules[name]
            if sys.modules.get(name) is not entry:
                found.append(f"sys.modules[{name!r}] was replaced")
            if type(module) is not kind:
                found.append(f"the module {name} was changed")
            now = vars(module)
            skip = _VOLATILE_MODULE_KEYS | (_VOLATILE_BUILTINS if name == "builtins" else set())
            for key, value in namespace.items():
                if key in skip:
                    continue
                if key not in now:
                    found.append(f"{name}.{key} was deleted")
                elif now[key] is not value:
                    found.append(f"{name}.{key} was replaced")
            for key in now.keys() - namespace.keys() - skip:
                value = now[key]
                if isinstance(value, types.ModuleType) and value.__name__ == f"{name}.{key}":
                    continue  # a submodule was imported
                if id(value) in self.known:
                    continue  # a name of the framework, cached lazily
                found.append(f"{name}.{key} was added")
        for name, (entry, namespace) in self.snapshot["used"].items():
            module = self.used[name]
            if sys.modules.get(name) is not entry:
                found.append(f"sys.modules[{name!r}] was replaced")
            now = _code_like(module)
            skip = _VOLATILE_SYS if name == "sys" else ()
            for key in namespace.keys() | now.keys():
                if key in skip or namespace.get(key, _MISSING) is now.get(key, _MISSING):
                    continue
                value = now.get(key, _MISSING)
                if key not in namespace and (id(value) in self.known or (
                        isinstance(value, types.ModuleType)
                        and value.__name__ == f"{name}.{key}")):
                    continue  # a submodule imported, a name cached lazily
                found.append(f"{name}.{key} was " + ("deleted" if value is _MISSING else
                                                      "added" if key not in namespace
                                                      else "replaced"))
        for name, declaration in self.declarations.items():
            if _fingerprint(declaration) != self.snapshot["declarations"][name]:
                found.append(f"the data of {name} (its cases, expected outputs or tolerances) "
                             "was changed")
        for f, state in zip(self.functions, self.snapshot["functions"]):
            if not _same(self._function_state(f), state):
                found.append(f"the code of {f.__module__}.{_short(f)} was changed")
        for c, (namespace, bases) in zip(self.classes, self.snapshot["classes"]):
            now = dict(vars(c))
            keys = sorted(k for k in namespace.keys() | now.keys()
                          if namespace.get(k, _MISSING) is not now.get(k, _MISSING)
                          and not (k in _VOLATILE_CLASS_KEYS and k not in namespace))
            if keys or c.__bases__ is not bases:
                found.append(f"{c.__module__}.{_short(c)}.{keys[0] if keys else '__bases__'} "
                             "was replaced")
        return found

    def _verify(self, where):
        for line in self._changes():
            if line not in self.reported:
                self.reported.add(line)
                self.notes.append(f"{line} ({where})")

    def after_cell(self, number, exercise, binds=()):
        """Called by the grader after each cell; hands over the report.

        ``exercise``: the cell is the exercise's own, and ``binds`` the names its code binds:
        their new values are the exercise's. Any other change to a check name the exercise
        bound (by a student's cell, or by a student's function while an exercise cell ran) is
        noted.
        """
        where = ("the exercise's" if exercise else "your") + f" cell {number}"
        binds = set(binds) if exercise else set()
        self._verify(where)
        now = self.ns
        for key in set(now) | set(self.bindings):
            old, new = self.bindings.get(key, _MISSING), now.get(key, _MISSING)
            if old is new:
                continue
            if key in binds:
                self.trusted[key] = new
            elif key in self.checks and key in self.trusted:
                self.notes.append(f"{key} was redefined ({'while ' if exercise else ''}"
                                  f"{where}{' ran' if exercise else ''})")
        self.bindings = dict(now)
        report = {"results": self.results, "notes": self.notes}
        self.results, self.notes = [], []
        return _Report(report)

    def run(self, site, name, check, *args, **kwargs):
        """Run the exercise's check ``name`` (the cell evaluated it as ``check``) on ``args``."""
        expected = self.trusted.get(name, self.originals.get(name, _MISSING))
        if check is not expected:
            self.notes.append(f"{name} is not the exercise's check (it was redefined)")
        elif getattr(check, "__module__", None) == "__main__":
            self._verify_globals(check, name)  # a check the exercise defines in its notebook
        self._verify(f"before {name} ran")
        if expected is _MISSING:
            raise NameError(f"name {name!r} is not defined by the exercise")
        import threading

        # The check runs without a profiler or tracer of the student's (one set in a cell would
        # turn the check's library guard off, or could rewrite the check's variables), and
        # with every thread it starts noticed.
        profile, trace = sys.getprofile(), sys.gettrace()
        sys.setprofile(None)
        sys.settrace(None)
        self.checking, self.unwatched = name, []
        before = getattr(threading, "_profile_hook", None)
        threading.setprofile(self._thread_started)
        try:
            result = expected(*args, **kwargs)
        finally:
            threading.setprofile(before)
            self.checking = None
            sys.settrace(trace)
            sys.setprofile(profile)
        self._verify(f"while {name} ran")
        if type(result) is not self.CheckResult:
            self.notes.append(f"{name} returned a {type(result).__name__}, not a CheckResult")
            return result
        summary = self.to_dict(result)
        status, passed = summary.get("status"), summary.get("passed")
        if status not in _STATUSES or (status == "pass") is not (passed is True):
            self.notes.append(f"the result of {name} was forged")
            return result
        if self.unwatched and status == "pass":
            summary.update(status="fail", passed=False, mistake=_UNWATCHED,
                           message=f"your function {self.unwatched[0]} while {name} ran: the "
                                   "check cannot watch code there, so the grader does not "
                                   "count the check (write it without threads or processes)")
        self.results.append({"site": site, **summary})
        return result

    def _verify_globals(self, check, name):
        """A notebook-defined check reads the notebook's names: those the exercise bound stay."""
        for key in _global_names(check.__code__):
            if key in self.trusted and self.ns.get(key, _MISSING) is not self.trusted[key]:
                self.notes.append(f"{key}, which {name} uses, was redefined")


class _Missing:
    def __repr__(self):
        return "<missing>"


_MISSING = _Missing()


def _ours(name):
    return name == "nnlesson" or name.startswith("nnlesson.")


def _contents(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return _MISSING


def _same(a, b):
    """Identity, element by element through tuples and dicts (values are never compared)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(a[k] is b[k] for k in a)
    return a is b


def _code_like(module):
    """The functions, classes and modules in a module's namespace (its data, which changes
    at run time in many modules, left out)."""
    return {key: value for key, value in vars(module).items()
            if callable(value) or isinstance(value, types.ModuleType)}


def _fingerprint(obj):
    """What a check's declaration holds: the identity of every object in it (reached through
    its attributes, tuples, lists and dicts) and the bytes of every array, as a digest."""
    import hashlib

    digest = hashlib.blake2b(digest_size=16)
    seen, todo = set(), [obj]
    while todo:
        item = todo.pop()
        if isinstance(item, (bool, int, float, complex, str, bytes, type(None))):
            digest.update(repr((type(item).__name__, item)).encode())
            continue
        digest.update(f"{type(item).__name__}:{id(item)};".encode())
        if id(item) in seen:
            continue
        seen.add(id(item))
        if type(item).__module__ == "numpy" and type(item).__name__ == "ndarray":
            digest.update(repr((item.shape, item.dtype.str)).encode())
            if item.dtype.hasobject:
                todo.extend(item.ravel().tolist())
            else:
                digest.update(item.tobytes())
        elif isinstance(item, (tuple, list)):
            todo.extend(item)
        elif isinstance(item, dict):
            for key, value in item.items():
                todo.extend((key, value))
        elif type(item).__module__.startswith("nnlesson.") and hasattr(item, "__dict__"):
            # A Check, Case, Step, Mistake or Property: its declared fields, and a Check's
            # cases and expected outputs (not the caches its diagnoses fill as they go).
            keys = getattr(item, "__dataclass_fields__", None)
            keys = (*keys, *_CHECK_DATA) if keys is not None else tuple(vars(item))
            for key in keys:
                todo.extend((key, vars(item).get(key, _MISSING)))
        elif type(item).__module__ == "numpy":  # a numpy scalar
            digest.update(repr(item).encode())
    return digest.hexdigest()


def _library_folders():
    """Python's own modules and the installed packages (numpy, IPython, ...), as folder
    prefixes (each as given and resolved)."""
    import sysconfig

    paths = sysconfig.get_paths()
    found = set()
    for key in ("stdlib", "platstdlib", "purelib", "platlib"):
        if paths.get(key):
            found.update(os.path.join(p, "") for p in (paths[key], os.path.realpath(paths[key])))
    return sorted(found)


def _global_names(code):
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _global_names(const)
    return names


def install(config):
    """Set up the guard (``config = {"checks": [check names]}``); returns the :class:`Guard`."""
    return Guard(list(config.get("checks", [])))
