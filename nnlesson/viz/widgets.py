"""Sliders wired to a kept figure: the thin widget layer of every experiment.

An experiment (see :mod:`nnlesson.viz.explorer`) keeps one figure and changes its artists when
a control moves; this layer shows the controls, a status line and the figure as a PNG in an
``ipywidgets.Image``, and redraws it when a control changes. It also makes the widget usable
by everyone and friendly before it runs:

* **Exact values.** :func:`ladder_slider` is a slider over a list of values (a ladder such as
  0.001, 0.002, 0.005, 0.01, ... or 0, 0.01, ..., 0.99): it lands exactly on the values a
  lesson names, shows them as written (0.9, not 0.9000000000000001), and one step right then
  left comes back to the same value.
* **Accessible.** Each slider handle is named by its description and announces its readout
  (``aria-valuetext``), the plot image has alt text saying what it shows and the current
  values, and the status line is a polite live region. ipywidgets 8 does not do this itself;
  a small script (:data:`A11Y_JS`) is displayed with every experiment and applies it in the
  browser.
* **A placeholder.** Next to the widget, the output carries the plot as it was drawn, with a
  notice "run this cell to use the sliders" and the alt text (HTML, PNG and plain text). A
  notebook opened without running it (not trusted, no kernel) shows that picture instead of
  ``VBox(children=...)``; a live kernel shows the widget.
* **Natural size.** The image is shown at the figure's pixel size (never stretched).

    demo = interactive_plot(figure, update, lr=lr_slider(0.1), beta=beta_slider(0.9))
    demo            # displays the sliders and the plot in a notebook

``demo.set(lr=0.3)`` moves a slider from code (tests do that); ``demo.update_count`` and
``demo.latencies`` (seconds per update, for the benchmark, never printed in a lesson) show that
the callback ran. ipywidgets is imported inside the functions.
"""
from __future__ import annotations

import html
import time

from nnlesson.viz.plotting import figure_size, image_bundle, png_bytes

__all__ = ["format_value", "ladder_slider", "lr_slider", "beta_slider", "float_slider",
           "int_slider", "selection_slider", "choice", "toggle", "interactive_plot",
           "Interactive", "sample_values", "readout", "BUSY", "RUN_NOTICE", "A11Y_JS"]

_WIDTH = 420  # pixels of one control (description and slider)
_LAYOUT = {"width": f"{_WIDTH}px"}
_STYLE = {"description_width": "150px"}
#: What the status line shows while an update computes.
BUSY = "<i>⏳ updating the plot...</i>"
#: What a notebook shows in place of an experiment that has not run in this session.
RUN_NOTICE = ("Live experiment: run this cell (or Run All) to use the sliders. Until then, "
              "this is its plot for the settings below.")
_VIEW = "application/vnd.jupyter.widget-view+json"

#: The accessibility script displayed with every experiment (see the module docstring). The
#: plot's description is the text of a collapsed HTML widget next to the image (class
#: ``nnlesson-plot-alt``; ipywidgets' Image has no alt, and a tooltip on it breaks its view in
#: ipywidgets 8.1): the script makes it the image's ``alt`` and hides the text from screen
#: readers, which would otherwise read it twice. Where the script cannot run, the collapsed
#: text is still read after the image.
A11Y_JS = r"""
(function () {
  "use strict";
  if (window.nnlessonA11y) { window.nnlessonA11y(); return; }
  function put(el, name, value) {
    if (el && value && el.getAttribute(name) !== value) { el.setAttribute(name, value); }
  }
  function text(el) { return el ? (el.textContent || el.value || "").trim() : ""; }
  function slider(box) {
    var handle = box.querySelector(".noUi-handle");
    if (!handle) { return; }
    put(handle, "aria-label", text(box.querySelector(".widget-label")));
    put(handle, "aria-valuetext", text(box.querySelector(".widget-readout")));
  }
  function plot(box) {
    var img = box.querySelector("img.nnlesson-plot");
    var description = box.querySelector(".nnlesson-plot-alt");
    if (!img || !description) { return; }
    put(img, "alt", text(description));
    put(description, "aria-hidden", "true");
  }
  var queued = false;
  function scan() {
    queued = false;
    document.querySelectorAll(".nnlesson-explorer").forEach(function (box) {
      box.querySelectorAll(".widget-slider").forEach(slider);
      plot(box);
      box.querySelectorAll(".nnlesson-status").forEach(function (status) {
        put(status, "role", "status");
        put(status, "aria-live", "polite");
      });
    });
  }
  function later() { if (!queued) { queued = true; window.requestAnimationFrame(scan); } }
  new MutationObserver(function (records) {
    for (var i = 0; i < records.length; i++) {
      var node = records[i].target;
      var el = node.nodeType === 1 ? node : node.parentElement;
      if (el && el.closest && el.closest(".nnlesson-explorer, .jp-OutputArea, .output_area")) {
        later();
        return;
      }
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true,
                             attributes: true,
                             attributeFilter: ["aria-valuetext", "aria-valuenow"]});
  window.nnlessonA11y = scan;
  scan();
})();
"""


def format_value(value):
    """A control's value as a student reads it: 0.9, 0.06, 0.0003, 1e-05, 64, on/off."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format(value, ".4g")
    return str(value)


def ladder_slider(values, value=None, *, description, fmt=format_value):
    """A slider over a ladder of values: it lands exactly on them and shows them as written.

    Args:
        values: the values in slider order (numbers; see
            :func:`nnlesson.viz.explorer.log_ladder` and ``linear_ladder``).
        value: the starting value (one of ``values``; default the first).
        description: the label; also the handle's accessible name.
        fmt: value -> readout text.
    """
    import ipywidgets as w

    values = list(values)
    options = [(fmt(v), v) for v in values]
    return w.SelectionSlider(options=options, value=values[0] if value is None else value,
                             description=description, continuous_update=False,
                             layout=_LAYOUT, style=_STYLE)


def lr_slider(value=0.1, *, min_exp=-4.0, max_exp=0.0, description="learning rate", steps=0.1):
    """A learning-rate slider on a log scale: 10**min_exp ... 10**max_exp.

    The older slider (it cannot land on 0.3 or 0.06 exactly): new code uses a
    :func:`ladder_slider` over :func:`nnlesson.viz.explorer.log_ladder`.
    """
    import ipywidgets as w

    return w.FloatLogSlider(value=value, base=10, min=min_exp, max=max_exp, step=steps,
                            description=description, readout_format=".2g",
                            continuous_update=False, layout=_LAYOUT, style=_STYLE)


def beta_slider(value=0.9, *, min=0.0, max=0.99, step=0.01, description="momentum β"):
    """A momentum / moving-average coefficient slider on [min, max]."""
    return float_slider(value, min=min, max=max, step=step, description=description)


def float_slider(value, *, min, max, step, description, readout_format=".3g"):
    import ipywidgets as w

    return w.FloatSlider(value=value, min=min, max=max, step=step, description=description,
                         readout_format=readout_format, continuous_update=False,
                         layout=_LAYOUT, style=_STYLE)


def int_slider(value, *, min, max, step=1, description):
    import ipywidgets as w

    return w.IntSlider(value=value, min=min, max=max, step=step, description=description,
                       continuous_update=False, layout=_LAYOUT, style=_STYLE)


def selection_slider(options, value=None, *, description):
    """A slider over a few fixed values (batch sizes, depths: the ones precomputed)."""
    import ipywidgets as w

    options = list(options)
    return w.SelectionSlider(options=options, value=options[0] if value is None else value,
                             description=description, continuous_update=False,
                             layout=_LAYOUT, style=_STYLE)


def choice(options, value=None, *, description):
    """A dropdown of options (strings, or (label, value) pairs)."""
    import ipywidgets as w

    kwargs = {} if value is None else {"value": value}
    return w.Dropdown(options=options, description=description, layout=_LAYOUT, style=_STYLE,
                      **kwargs)


def toggle(value=False, *, description):
    import ipywidgets as w

    return w.Checkbox(value=value, description=description, layout=_LAYOUT, style=_STYLE,
                      indent=False)


def readout(control):
    """What a control shows as its value: the selected option's label, "on"/"off", a number."""
    if hasattr(control, "options"):
        return str(control.label)
    value = control.value
    if isinstance(value, float) and hasattr(control, "base"):  # FloatLogSlider
        return format(value, ".2g")
    return format_value(value)


class Interactive:
    """Controls plus a PNG of a kept figure, redrawn when a control changes.

    Attributes: ``controls`` (name -> widget), ``image`` (ipywidgets.Image, shown at the
    figure's pixel size), ``alt_text`` (what the plot shows now, the image's alt text in the
    browser), ``status`` (a line that reads "updating..." while an update runs, so a slow one
    shows that it is working), ``widget`` (the box to display), ``update_count``,
    ``latencies`` (seconds of each compute + redraw; ``cpu_times``: the CPU seconds the
    widget's own thread spent, which other programs on a busy machine do not inflate and
    which leaves out a background precompute), ``summary`` (what the last update said
    about its result, or None).

    Subclasses (the explorers' widget) refine :meth:`describe`, :meth:`set`, ``_busy`` and
    ``_changed``.
    """

    def __init__(self, figure, update, controls, *, caption=None, columns=1):
        import ipywidgets as w

        self.figure = figure
        self._update = update
        self.controls = dict(controls)
        width, height = figure_size(figure)
        # the PNG's pixels are the pixels shown: never stretched, narrower on a narrow page
        self.image = w.Image(format="png", layout={"width": f"{width}px", "max_width": "100%",
                                                   "height": "auto", "object_fit": "contain"})
        self.image.add_class("nnlesson-plot")
        # the plot's description: collapsed text that the script turns into the image's alt
        self.description = w.HTML("", layout={"height": "0px", "overflow": "hidden",
                                               "margin": "0px"})
        self.description.add_class("nnlesson-plot-alt")
        self.alt_text = ""
        self.status = w.HTML("", layout={"height": "1.6em"})  # fixed height: no jump when it shows
        self.status.add_class("nnlesson-status")
        self.update_count = 0
        self.latencies = []
        self.cpu_times = []  # CPU seconds of this thread per update (steadier on a busy machine)
        self.summary = None
        self._from_code = False
        items = list(self.controls.values())
        if columns > 1:
            box = w.GridBox(items, layout={"grid_template_columns":
                                           f"repeat({columns}, {_WIDTH + 10}px)"})
        else:
            box = w.VBox(items)
        parts = [box, self.status, self.image, self.description]
        if caption:
            parts.insert(0, w.HTML(f"<b>{html.escape(caption)}</b>"))
        self.widget = w.VBox(parts)
        self.widget.add_class("nnlesson-explorer")
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def readouts(self):
        """``"label = readout"`` for each control a student can see, in display order."""
        shown = []
        for control in self.controls.values():
            if getattr(control.layout, "display", None) == "none":
                continue
            shown.append(f"{control.description} = {readout(control)}")
        return shown

    def describe(self):
        """The plot's alt text: what it shows and for which settings.

        Here derived from the figure's titles; an explorer gives its own description.
        """
        titles = [ax.get_title() for ax in self.figure.axes if ax.get_title()]
        text = ("Plot: " + "; ".join(titles) + ".") if titles else "The experiment's plot."
        if self.summary:
            text += " " + self.summary.strip()
        return f"{text} Settings: {', '.join(self.readouts())}."

    def _busy(self):
        """Whether this update may take long enough to say so (always, by default)."""
        return True

    def redraw(self):
        start, cpu = time.perf_counter(), time.thread_time()
        if self._busy():
            self.status.value = BUSY  # reaches the browser at once, while the kernel computes
        try:
            self.summary = self._update(**self.values())
            png = png_bytes(self.figure)
        finally:
            self.status.value = ""
        self.image.value = png
        self.alt_text = self.describe()
        self.description.value = html.escape(self.alt_text)
        self.latencies.append(time.perf_counter() - start)
        self.cpu_times.append(time.thread_time() - cpu)
        self.update_count += 1

    def _changed(self, from_code):
        """Hook: a control changed (``from_code``: by :meth:`set`, not by a student)."""

    def _on_change(self, _change):
        self._changed(self._from_code)
        self.redraw()

    def set(self, **values):
        """Move controls from code, as a student would with the mouse (one redraw each)."""
        for name in values:
            if name not in self.controls:
                known = ", ".join(self.controls)
                raise ValueError(f"control must be one of {known}; got {name!r}")
        self._from_code = True
        try:
            for name, value in values.items():
                self.controls[name].value = value
        finally:
            self._from_code = False

    def placeholder(self):
        """The plot as drawn now, with the notice and alt text: what a notebook shows until the
        cell runs in a live kernel (``text/html``, ``image/png``, ``text/plain``)."""
        settings = " · ".join(html.escape(r) for r in self.readouts())
        notice = (f'<p class="nnlesson-run-notice"><b>{html.escape(RUN_NOTICE)}</b></p>'
                  f'<p class="nnlesson-settings"><em>{settings}</em></p>')
        bundle = image_bundle(bytes(self.image.value), self.describe(),
                              size=figure_size(self.figure), html_before=notice)
        bundle["text/plain"] = f"{RUN_NOTICE}\n{bundle['text/plain']}"
        return bundle

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.placeholder()
        bundle[_VIEW] = self.widget._repr_mimebundle_(**kwargs)[_VIEW]
        return bundle

    def _ipython_display_(self):
        from IPython.display import display

        # empty text: a notebook that does not run scripts shows nothing for it
        display({"application/javascript": A11Y_JS, "text/plain": ""}, raw=True)
        display(self._repr_mimebundle_(), raw=True)

    def __repr__(self):
        return f"{type(self).__name__}(controls={list(self.controls)})"


def interactive_plot(figure, update, *, caption=None, **controls):
    """Connect named controls to ``update(**values)`` and show ``figure`` below them."""
    return Interactive(figure, update, controls, caption=caption)


def sample_values(control, n=5):
    """Up to ``n`` valid values of a control other than its current one, spread over its range.

    The widget tests and the latency benchmark move every control of every experiment with
    these, as a student would.
    """
    import numpy as np

    current = control.value
    if hasattr(control, "options"):  # Dropdown, SelectionSlider, ...
        values = [v for v in _option_values(control) if v != current]
    elif isinstance(current, bool):
        values = [not current]
    elif hasattr(control, "base"):  # FloatLogSlider: spread over the exponent range
        exps = np.linspace(control.min, control.max, n + 2)[1:-1]
        values = [float(control.base ** e) for e in exps]
    elif isinstance(current, int):
        values = sorted({int(round(v)) for v in np.linspace(control.min, control.max, n + 2)})
    else:
        values = [float(v) for v in np.linspace(control.min, control.max, n + 2)[1:-1]]
    values = [v for v in values if v != current]
    if len(values) > n:  # keep the spread: first, last and evenly between
        idx = np.linspace(0, len(values) - 1, n).round().astype(int)
        values = [values[i] for i in idx]
    return values


def _option_values(control):
    return [opt[1] if isinstance(opt, tuple) else opt for opt in control.options]
