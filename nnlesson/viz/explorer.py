"""The base of every live experiment: controls, figure, static background, layout and widget.

A lesson's experiment is a small subclass of :class:`Explorer`. It declares its controls and
gives three pieces; the base does the rest (the figure at the size it is shown, text large
enough for a projector, a layout computed once, the static background painted once per scene,
the widget with its placeholder and accessibility, values checked once where they enter, a
cache of computed settings, and a background precompute for slow ones)::

    from nnlesson.viz import plotting
    from nnlesson.viz.explorer import Explorer, Slider, linear_ladder, log_ladder

    class RateExplorer(Explorer):
        controls = (
            Slider("lr", "learning rate", log_ladder(1e-3, 1, "1-2-5", include=[0.06]),
                   default=0.1),
            Slider("beta", "momentum β", linear_ladder(0, 0.99, 0.01), default=0.9),
        )
        size = (880, 360)                                  # pixels, as shown
        alt = "The loss of gradient descent with momentum at each step (log axis)."

        def build(self, fig):                              # axes and artists, once
            self.ax = fig.subplots()
            (self.line,) = self.ax.plot([], [])
            plotting.label_axes(self.ax, title="...", xlabel="step", ylabel="loss")
            return [self.line]                             # the artists that move

        def compute(self, lr, beta):                       # pure, cached per setting
            return run_something(lr, beta)                 # values already checked

        def update(self, result, lr):                      # change the moving artists
            self.line.set_data(result.steps, result.loss)
            return f"the loss ends at {result.loss[-1]:.2g}"   # under the plots, in the alt

    RateExplorer().explore(lr=0.06)      # the widget
    RateExplorer().snapshot(lr=0.3)      # a static Figure for that setting, with alt text

**Which values each piece receives.** ``compute``, ``update`` and ``scene`` name the controls
they depend on as parameters; the base passes those (``update`` may also name ``result``, what
``compute`` returned; ``draw_scene`` gets the scene's key). The cache key of ``compute`` is its
parameters' values, so a slider that ``compute`` does not name only redraws. What ``update``
returns (a sentence about the result) is written under the plots and ends the alt text.

**Checked once.** A value enters through ``explore(**values)``, ``snapshot(**values)``, a
widget (whose options are the spec's values) or ``widget.set(...)``; each is checked against
the spec there, with an error that names the control. ``compute`` and ``update`` then run
unchecked (the course's runner and the rules' kernels).

**Scenes.** When a control changes the static part of the figure (a dropdown that switches
the surface: other contours, limits, titles), ``scene(...)`` returns a key for it and
``draw_scene(key)`` sets those static artists up; each scene is painted once
(:class:`~nnlesson.viz.plotting.Backdrop`), all of them when the widget is built if they are
few.

**Fast answers.** Results of ``compute`` are cached per setting (``cache_size``). An explorer
whose compute is slow (training runs) lists in ``precompute`` the controls whose values it
should compute in the background after the first draw: every value of each such control,
with the others at their current values, nearest first, re-planned after each move. The
background thread only computes (no drawing), one setting at a time and never while the
widget is updating; ``compute`` must therefore be a pure function of its arguments (seeded,
no matplotlib, no global state). It starts by itself in a Jupyter server session (a person is
looking) or at a student's first move; executing a notebook (nbval, ``nnlesson
execute``) never starts it, so stored outputs stay deterministic. ``warm(wait=True)`` runs it
on request (the latency benchmark).
"""
from __future__ import annotations

import copy
import inspect
import itertools
import math
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from nnlesson.viz import plotting
from nnlesson.viz.widgets import Interactive, format_value

__all__ = ["Control", "Slider", "Choice", "Toggle", "log_ladder", "linear_ladder", "Explorer",
           "ExplorerWidget", "EXPLORERS", "FIT_WIDTH", "FIT_HEIGHT"]

#: Largest explorer that fits a 1366x768 screen in JupyterLab with the file browser open:
#: width of the figure, and height of figure + controls + status line, in pixels.
FIT_WIDTH = 900
FIT_HEIGHT = 560
_CONTROL_HEIGHT = 34  # pixels per row of controls
_STATUS_HEIGHT = 26
_SLOW_S = 0.05  # an update whose compute took longer than this says "updating..."

#: Every Explorer subclass, in the order they were defined (the tests walk them).
EXPLORERS = []

# One compute at a time in this process: the background thread and the widget never run two
# computes together (lessons' caches and warnings filters are not thread-safe).
_COMPUTE_LOCK = threading.Lock()


# --------------------------------------------------------------------------- ladders


def _decimals(step):
    text = format(step, ".12g")
    if "e" in text:
        mantissa, exponent = text.split("e")
        digits = len(mantissa.split(".")[1]) if "." in mantissa else 0
        return max(0, digits - int(exponent))
    return len(text.split(".")[1]) if "." in text else 0


def log_ladder(low, high, steps="1-2-5", include=()):
    """Round values on a log scale from ``low`` to ``high``: 1-2-5 (or 1-2-3-5, ...) per decade.

    Args:
        low, high: the range, 0 < low <= high.
        steps: the mantissas of each decade, as ``"1-2-5"``, ``"1-2-3-5"`` or a sequence of
            numbers in [1, 10).
        include: extra values the lesson names (``0.06``, ``0.006``), added to the ladder.

    Returns:
        The values, sorted, each the float a student would type (``0.06``, not
        ``0.060000000000000005``).

    Example: ``log_ladder(1e-3, 1, "1-2-5")`` is 0.001, 0.002, 0.005, 0.01, ..., 0.5, 1.
    """
    if not (isinstance(low, (int, float)) and isinstance(high, (int, float))
            and 0 < low <= high and math.isfinite(high)):
        raise ValueError(f"low and high must be finite numbers with 0 < low <= high, "
                         f"got {low!r} and {high!r}")
    mantissas = ([float(m) for m in steps.split("-")] if isinstance(steps, str)
                 else [float(m) for m in steps])
    if not mantissas or any(not 1 <= m < 10 for m in mantissas):
        raise ValueError(f"steps must be mantissas in [1, 10) such as '1-2-5', got {steps!r}")
    values = set()
    for exponent in range(math.floor(math.log10(low)) - 1, math.ceil(math.log10(high)) + 1):
        for m in mantissas:
            value = float(f"{m:g}e{exponent}")  # the decimal number, not m * 10.0**exponent
            if low * (1 - 1e-12) <= value <= high * (1 + 1e-12):
                values.add(value)
    for value in include:
        if not (isinstance(value, (int, float)) and low <= value <= high):
            raise ValueError(f"include must hold numbers in [{low:g}, {high:g}], got {value!r}")
        values.add(float(value))
    return tuple(sorted(values))


def linear_ladder(low, high, step):
    """Evenly spaced values ``low, low + step, ..., high`` written as decimals (0.9, not
    0.9000000000000001); integers when all three are integers."""
    if isinstance(low, int) and isinstance(high, int) and isinstance(step, int):
        if step <= 0 or high < low:
            raise ValueError(f"step must be > 0 and high >= low, got {low}, {high}, {step}")
        return tuple(range(low, high + 1, step))
    if not (step > 0 and high >= low and all(math.isfinite(v) for v in (low, high, step))):
        raise ValueError(f"step must be > 0 and high >= low (finite), got low={low!r}, "
                         f"high={high!r}, step={step!r}")
    n = int(round((high - low) / step))
    digits = max(_decimals(step), _decimals(low))
    return tuple(round(low + k * step, digits) + 0.0 for k in range(n + 1))


# --------------------------------------------------------------------------- the controls spec


def _condition(name, condition):
    if condition is None:
        return None
    if not isinstance(condition, dict) or not condition:
        raise TypeError(f"{name} must be a dict {{control: allowed values}}, got {condition!r}")
    return {key: tuple(v) if isinstance(v, (tuple, list, set, frozenset)) else (v,)
            for key, v in condition.items()}


@dataclass(frozen=True)
class Control:
    """One control of an explorer: its name (the keyword the lesson's methods take), the label
    a student reads, its default, and when it applies.

    ``visible_when={"schedule": ("step decay", "1/t decay")}`` hides the control unless every
    named control has one of the listed values; ``enabled_when`` greys it out instead.
    """

    name: str
    label: str
    default: object = field(default=None, kw_only=True)
    visible_when: dict | None = field(default=None, kw_only=True)
    enabled_when: dict | None = field(default=None, kw_only=True)

    def __post_init__(self):
        if not (isinstance(self.name, str) and self.name.isidentifier()):
            raise ValueError(f"name must be a Python identifier, got {self.name!r}")
        if not isinstance(self.label, str) or not self.label:
            raise ValueError(f"label of control {self.name!r} must be a non-empty string")
        object.__setattr__(self, "visible_when", _condition("visible_when", self.visible_when))
        object.__setattr__(self, "enabled_when", _condition("enabled_when", self.enabled_when))

    @property
    def values(self):
        """Every value the control can take, in order."""
        raise NotImplementedError

    def check(self, value):
        """``value`` if the control can take it (a ladder value within 1e-9 becomes that
        value); else a ValueError that names the control and what it accepts."""
        raise NotImplementedError

    def readout(self, value):
        """The value as the widget shows it."""
        return format_value(value)

    def widget(self, value):
        raise NotImplementedError

    def applies(self, values, condition):
        return condition is None or all(values[k] in allowed for k, allowed in condition.items())


@dataclass(frozen=True)
class Slider(Control):
    """A slider over a ladder of values (:func:`log_ladder`, :func:`linear_ladder`, or a list
    such as batch sizes). It lands exactly on them; the readout shows ``fmt(value)``."""

    values: tuple = ()
    fmt: object = field(default=format_value, kw_only=True)

    def __post_init__(self):
        values = tuple(self.values)
        if not values:
            raise ValueError(f"values of slider {self.name!r} must not be empty")
        if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in values):
            raise TypeError(f"values of slider {self.name!r} must be numbers, got {values!r}")
        if len(set(values)) != len(values):
            raise ValueError(f"values of slider {self.name!r} must be distinct, got {values!r}")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "default", values[0] if self.default is None else self.default)
        super().__post_init__()
        self.check(self.default)

    def check(self, value):
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
            for v in self.values:
                if v == value or abs(v - value) <= 1e-9 * max(abs(v), abs(value)):
                    return v
            below = [v for v in self.values if v < value]
            above = [v for v in self.values if v > value]
            near = " or ".join(self.fmt(v) for v in (below[-1:] + above[:1]))
            hint = f"; the nearest are {near}" if near else ""
        else:
            hint = ""
        shown = [self.fmt(v) for v in self.values]
        listing = ", ".join(shown) if len(shown) <= 16 else (
            f"{', '.join(shown[:4])}, ..., {', '.join(shown[-2:])} ({len(shown)} values)")
        raise ValueError(f"{self.name} ({self.label}) must be one of the slider's values "
                         f"{listing}; got {value!r}{hint}")

    def readout(self, value):
        return self.fmt(value)

    def widget(self, value):
        from nnlesson.viz.widgets import ladder_slider

        return ladder_slider(self.values, value, description=self.label, fmt=self.fmt)


@dataclass(frozen=True)
class Choice(Control):
    """A dropdown. ``options``: values, or ``(label, value)`` pairs."""

    options: tuple = ()

    def __post_init__(self):
        pairs = tuple(o if isinstance(o, tuple) else (format_value(o), o) for o in self.options)
        if not pairs:
            raise ValueError(f"options of choice {self.name!r} must not be empty")
        object.__setattr__(self, "options", pairs)
        if self.default is None:
            object.__setattr__(self, "default", pairs[0][1])
        super().__post_init__()
        self.check(self.default)

    @property
    def values(self):
        return tuple(value for _, value in self.options)

    def check(self, value):
        for _, v in self.options:
            if type(v) is type(value) and v == value:
                return v
        accepted = ", ".join(repr(v) for v in self.values)
        raise ValueError(f"{self.name} ({self.label}) must be one of {accepted}; got {value!r}")

    def readout(self, value):
        return next(label for label, v in self.options if v == value)

    def widget(self, value):
        from nnlesson.viz.widgets import choice

        return choice(list(self.options), value, description=self.label)


@dataclass(frozen=True)
class Toggle(Control):
    """A checkbox: on (True) or off (False)."""

    default: object = field(default=False, kw_only=True)

    @property
    def values(self):
        return (False, True)

    def check(self, value):
        if not isinstance(value, bool):
            raise ValueError(f"{self.name} ({self.label}) must be True or False; got {value!r}")
        return value

    def widget(self, value):
        from nnlesson.viz.widgets import toggle

        return toggle(value, description=self.label)


# --------------------------------------------------------------------------- the base


class _Slot:
    """A computed (or being computed) result; other threads wait for it."""

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error = None

    def get(self):
        self.done.wait()
        if self.error is not None:
            raise self.error
        return self.value


def _parameters(function):
    """The parameter names a method takes besides ``self`` (None: it takes ``**values``)."""
    params = list(inspect.signature(function).parameters.values())[1:]
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return tuple(p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY))


class Explorer:
    """Base of a live experiment. Subclasses set :attr:`controls`, :attr:`size`, :attr:`alt`
    and define :meth:`build` and :meth:`update` (plus :meth:`compute`, :meth:`scene` and
    :meth:`draw_scene` when they need them); see the module docstring.

    Attributes (class): ``controls`` (the spec, in display order), ``size`` (figure pixels),
    ``alt`` (what the plot shows), ``precompute`` (names of controls to compute in the
    background), ``cache_size`` (settings kept), ``columns`` (controls per row; default 1, or
    2 for more than four controls), ``show_summary`` (write what ``update`` returns on a line
    under the plots, as well as in the alt text; default True).
    Attributes (after ``explore``/``snapshot``): ``figure``, ``values`` (the current setting),
    ``result`` (what ``compute`` returned for it), ``summary`` (what ``update`` said).
    """

    controls: tuple = ()
    size: tuple = (880, 380)
    alt: str = ""
    precompute: tuple = ()
    cache_size: int = 256
    columns: int | None = None
    show_summary: bool = True

    _params: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        names = [c.name for c in cls.controls]
        if not all(isinstance(c, Control) for c in cls.controls):
            raise TypeError(f"{cls.__name__}.controls must be Slider, Choice or Toggle specs")
        if len(set(names)) != len(names):
            raise ValueError(f"{cls.__name__}.controls has a name twice: {names}")
        for c in cls.controls:
            for condition in (c.visible_when, c.enabled_when):
                for key in condition or {}:
                    if key not in names or key == c.name:
                        raise ValueError(f"{cls.__name__}: {c.name}'s condition names "
                                         f"{key!r}, which is not another control")
        cls._params = {}
        for method in ("compute", "update", "scene"):
            params = _parameters(getattr(cls, method))
            allowed = set(names) | ({"result"} if method == "update" else set())
            unknown = [p for p in params or () if p not in allowed]
            if unknown:
                raise TypeError(f"{cls.__name__}.{method} takes {', '.join(unknown)}, which "
                                f"{'is' if len(unknown) == 1 else 'are'} not a control "
                                f"(controls: {', '.join(names)})")
            cls._params[method] = params
        for name in cls.precompute:
            if name not in names:
                raise ValueError(f"{cls.__name__}.precompute names {name!r}, not a control")
        if cls.controls:  # a concrete explorer (not an intermediate base)
            if not isinstance(cls.alt, str) or len(cls.alt.strip()) < 20:
                raise ValueError(f"{cls.__name__}.alt must say what the plot shows (a sentence "
                                 "for a reader who cannot see it)")
            EXPLORERS.append(cls)

    # ----------------------------------------------------------------- what a lesson gives

    def build(self, fig):
        """Create the axes and artists on ``fig``; return the artists that move."""
        raise NotImplementedError(f"{type(self).__name__} must define build(fig)")

    def compute(self):
        """The pure computation for a setting (default: nothing to compute)."""
        return None

    def update(self):
        """Change the moving artists for a setting; may return a sentence for the alt text."""
        raise NotImplementedError(f"{type(self).__name__} must define update(...)")

    def scene(self):
        """Which static background a setting needs: a hashable key (default: one)."""
        return None

    def draw_scene(self, key):
        """Set up the static artists for scene ``key`` (limits, contours, titles)."""

    # ----------------------------------------------------------------- state

    def __init__(self):
        self.figure = None
        self.values = None
        self.result = None
        self.summary = None
        self._cache = OrderedDict()
        self._cache_lock = threading.Lock()
        self._slow = False
        self._scene = _NO_SCENE
        self._backdrop = None
        self._widget = None
        self._warm = _Warmer(self)

    @classmethod
    def defaults(cls):
        """``{control: default value}``."""
        return {c.name: c.default for c in cls.controls}

    def check(self, **values):
        """The full setting: the defaults updated with ``values``, each checked against the
        spec (an unknown name or a value the control cannot take raises ValueError)."""
        spec = {c.name: c for c in self.controls}
        for name in values:
            if name not in spec:
                raise ValueError(f"control must be one of {', '.join(spec)}; got {name!r}")
        setting = self.defaults()
        for name, value in values.items():
            setting[name] = spec[name].check(value)
        return setting

    def _call(self, method, values, **extra):
        params = self._params[method]
        if params is None:
            return getattr(self, method)(**values, **extra)
        args = {p: extra[p] if p in extra else values[p] for p in params}
        return getattr(self, method)(**args)

    def _key(self, values):
        params = self._params["compute"]
        names = [c.name for c in self.controls] if params is None else params
        return tuple(values[name] for name in names)

    def cached(self, values):
        """Whether ``compute`` has finished for this (checked) setting."""
        with self._cache_lock:
            slot = self._cache.get(self._key(values))
        return slot is not None and slot.done.is_set() and slot.error is None

    def _result(self, values):
        """``compute`` for a checked setting, from the cache or computed now (once)."""
        key = self._key(values)
        with self._cache_lock:
            slot = self._cache.get(key)
            mine = slot is None
            if mine:
                slot = self._cache[key] = _Slot()
                while len(self._cache) > self.cache_size:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
        if mine:
            start = time.perf_counter()
            try:
                with _COMPUTE_LOCK:
                    slot.value = self._call("compute", values)
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits
                slot.error = error
                with self._cache_lock:
                    self._cache.pop(key, None)
            finally:
                slot.done.set()
            self._slow = self._slow or time.perf_counter() - start > _SLOW_S
        return slot.get()

    # ----------------------------------------------------------------- drawing

    def _build(self, values, live):
        import matplotlib

        fig = self.figure = plotting.empty_figure(self.size)
        with matplotlib.rc_context(plotting.text_style()):
            moving = list(self.build(fig) or [])
        self._scene = _NO_SCENE
        self._line = None
        self._draw(values)
        if self.show_summary and isinstance(self.summary, str):
            # a line under the plots for what update() says: it covers no data
            height = self.size[1]
            strip = (plotting.TEXT_PX + 14) / height
            fig.get_layout_engine().set(rect=(0, strip, 1, 1 - strip))
            self._line = fig.text(0.5, 6 / height, self.summary, ha="center", va="bottom",
                                  fontsize=plotting.TEXT_PX * 72 / fig.dpi)
            moving.append(self._line)
        plotting.readable(fig)
        if live:
            plotting.freeze_layout(fig)
            # the backdrop hides the static texts it paints: measure the smallest one now
            fig._nnlesson_min_font_px = plotting.smallest_text_px(fig)
            self._backdrop = plotting.Backdrop(fig, moving, scene=None)
            self._scene = _NO_SCENE
            for key in self._scene_keys(values):  # paint every scene now: switching is instant
                self._show_scene(key)
            self._draw(values)
        return fig

    def _scene_keys(self, values):
        """The scenes to paint when the widget is built: all, if there are at most 12."""
        params = self._params["scene"]
        if params == ():
            return [self._call("scene", values)]
        spec = {c.name: c for c in self.controls}
        names = list(spec) if params is None else list(params)
        counts = [len(spec[n].values) for n in names]
        if math.prod(counts) > 12:
            return [self._call("scene", values)]
        keys = []
        for combo in itertools.product(*(spec[n].values for n in names)):
            key = self._call("scene", {**values, **dict(zip(names, combo))})
            if key not in keys:
                keys.append(key)
        return keys

    def _show_scene(self, key):
        if key == self._scene:
            return
        if self._backdrop is None:
            self._draw_scene(key)
        else:
            self._backdrop.show(("scene", key), lambda: self._draw_scene(key))
        self._scene = key

    def _draw_scene(self, key):
        import matplotlib

        with matplotlib.rc_context(plotting.text_style()):  # a legend made here: course size
            self.draw_scene(key)
        if self._backdrop is not None:  # painted next: no text below the floor in the picture
            plotting.readable(self.figure, draw=False)

    def _draw(self, values):
        """Compute (or fetch) and draw one checked setting; return what ``update`` said."""
        import matplotlib

        result = self._result(values)
        self._show_scene(self._call("scene", values))
        self.values, self.result = dict(values), result
        with matplotlib.rc_context(plotting.text_style()):
            self.summary = self._call("update", values, result=result)
        if getattr(self, "_line", None) is not None:
            self._line.set_text(self.summary or "")
        return self.summary

    def describe(self, values, summary=None):
        """The alt text for a setting: :attr:`alt`, what ``update`` said, and the settings."""
        settings = ", ".join(f"{c.label} = {c.readout(values[c.name])}" for c in self.controls
                             if c.applies(values, c.visible_when))
        parts = [" ".join(self.alt.split())]
        if summary:
            parts.append(summary.strip().rstrip(".") + ".")
        parts.append(f"Settings: {settings}.")
        return " ".join(parts)

    # ----------------------------------------------------------------- what the base gives

    def explore(self, **values):
        """The live widget (an :class:`ExplorerWidget`) starting at ``values``."""
        if self._widget is not None:  # one figure per explorer: a second widget gets a copy
            return copy.copy(self)._fresh().explore(**values)
        setting = self.check(**values)
        self._build(setting, live=True)
        self._widget = ExplorerWidget(self, setting)
        if self.precompute and os.environ.get("JPY_SESSION_NAME"):
            self.warm()  # a Jupyter server session: someone is looking
        return self._widget

    def snapshot(self, **values):
        """A static Figure of one setting, with its alt text attached
        (:func:`nnlesson.viz.plotting.describe`), for ``plotting.show`` or a slide."""
        twin = copy.copy(self)._fresh() if self.figure is not None else self
        setting = twin.check(**values)
        fig = twin._build(setting, live=False)
        return plotting.describe(fig, twin.describe(setting, twin.summary))

    def _fresh(self):
        """A copy that shares the cache (and options) but draws its own figure."""
        self.figure = self.values = self.result = self.summary = None
        self._scene, self._backdrop, self._widget = _NO_SCENE, None, None
        self._warm = _Warmer(self)
        return self

    def warm(self, wait=False, timeout=None):
        """Compute the settings of :attr:`precompute` around the current one in the
        background; with ``wait``, return once done (True) or after ``timeout`` s (False)."""
        if self.precompute and self.values is not None:
            self._warm.plan(self.values)
        return self._warm.wait(timeout) if wait else None

    def _plan(self, values):
        """Settings to precompute: each value of each ``precompute`` control (the others as
        now), nearest the current value first, the controls interleaved."""
        spec = {c.name: c for c in self.controls}
        rows = []
        for name in self.precompute:
            order = list(spec[name].values)
            here = order.index(values[name])
            near = sorted(range(len(order)), key=lambda i: (abs(i - here), i))
            rows.append([{**values, name: order[i]} for i in near if i != here])
        plan = []
        for step in itertools.zip_longest(*rows):
            plan.extend(s for s in step if s is not None)
        return plan


_NO_SCENE = object()


class _Warmer:
    """The background precompute of one explorer: a daemon thread working through a plan."""

    def __init__(self, explorer):
        self.explorer = explorer
        self.lock = threading.Condition()
        self.queue = []
        self.thread = None
        self.idle_since = time.monotonic()
        self.busy = False  # the widget is drawing: wait
        self.working = False

    def plan(self, values):
        with self.lock:
            self.queue = self.explorer._plan(values)
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, daemon=True,
                                               name=f"precompute {type(self.explorer).__name__}")
                self.thread.start()
            self.lock.notify_all()

    def pause(self, busy):
        with self.lock:
            self.busy = busy
            if not busy:
                self.idle_since = time.monotonic()
            self.lock.notify_all()

    def wait(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.lock:
            while self.queue or self.working:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self.lock.wait(left)
        return True

    def _run(self):
        explorer = self.explorer
        while True:
            with self.lock:
                while self.queue and (self.busy or time.monotonic() - self.idle_since < 0.1):
                    self.lock.wait(0.05)
                if not self.queue:
                    self.lock.notify_all()
                    return
                values = self.queue.pop(0)
                self.working = True
            try:
                if not explorer.cached(values):
                    explorer._result(values)
            except Exception:  # noqa: BLE001 - the widget raises it if a student goes there
                pass
            finally:
                with self.lock:
                    self.working = False
                    self.lock.notify_all()


class ExplorerWidget(Interactive):
    """The widget of an :class:`Explorer`: its controls, status line and plot."""

    def __init__(self, explorer, values):
        self.explorer = explorer
        controls = {c.name: c.widget(values[c.name]) for c in explorer.controls}
        self._spec = {c.name: c for c in explorer.controls}
        columns = explorer.columns or (2 if len(controls) > 4 else 1)
        self._first = True
        super().__init__(explorer.figure, self._draw, controls, columns=columns)
        self._apply_conditions()

    def _draw(self, **values):
        if self._first:  # drawn when the explorer was built
            self._first = False
            return self.explorer.summary
        self.explorer._warm.pause(True)
        try:
            return self.explorer._draw(values)
        finally:
            self.explorer._warm.pause(False)

    def _busy(self):
        return self.explorer._slow and not self.explorer.cached(self.values())

    def _apply_conditions(self):
        values = self.values()
        for name, control in self.controls.items():
            spec = self._spec[name]
            if spec.visible_when is not None:
                control.layout.display = None if spec.applies(values, spec.visible_when) \
                    else "none"
            if spec.enabled_when is not None:
                control.disabled = not spec.applies(values, spec.enabled_when)

    def _changed(self, from_code):
        self._apply_conditions()
        if not from_code and self.explorer.precompute:
            self.explorer._warm.plan(self.values())  # a student is moving: compute around

    def redraw(self):
        super().redraw()
        if self.explorer.precompute and self.explorer._warm.thread is not None:
            self.explorer._warm.plan(self.values())

    def set(self, **values):
        """Move controls from code (one redraw each); each value is checked against the spec,
        with an error that names the control."""
        for name in values:
            if name not in self.controls:
                known = ", ".join(self.controls)
                raise ValueError(f"control must be one of {known}; got {name!r}")
        checked = {name: self._spec[name].check(value) for name, value in values.items()}
        super().set(**checked)

    def readouts(self):
        values = self.values()
        return [f"{c.label} = {c.readout(values[c.name])}" for c in self.explorer.controls
                if c.applies(values, c.visible_when)]

    def describe(self):
        return self.explorer.describe(self.values(), self.summary)
