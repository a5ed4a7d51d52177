"""Sliders wired to a kept figure: the thin widget layer of every experiment.

An experiment is three pieces (see CONTRIBUTING.md): a pure compute function, a drawing object
that builds its figure once and has an ``update(**values)`` that changes the figure's artists,
and this layer, which connects sliders to ``update`` and shows the figure as a PNG in an
``ipywidgets.Image``. Only what changed is recomputed; the figure is never rebuilt.

    demo = interactive_plot(drawing.figure, drawing.update,
                            lr=lr_slider(0.1), beta=beta_slider(0.9))
    demo            # displays the sliders and the plot in a notebook

``demo.set(lr=0.3)`` moves a slider from code (tests do that); ``demo.update_count`` and
``demo.latencies`` (seconds per update, for the benchmark, never printed in a lesson) show that
the callback ran. ipywidgets is imported inside the functions.
"""
from __future__ import annotations

import time

from nnlesson.viz.plotting import png_bytes

__all__ = ["lr_slider", "beta_slider", "float_slider", "int_slider", "selection_slider", "choice",
           "toggle",
           "interactive_plot", "Interactive", "sample_values"]

_LAYOUT = {"width": "420px"}
_STYLE = {"description_width": "150px"}
#: What the status line shows while an update computes.
BUSY = "<i>⏳ updating the plot...</i>"


def lr_slider(value=0.1, *, min_exp=-4.0, max_exp=0.0, description="learning rate", steps=0.1):
    """A learning-rate slider on a log scale: 10**min_exp ... 10**max_exp."""
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


class Interactive:
    """Controls plus a PNG of a kept figure, redrawn when a control changes.

    Attributes: ``controls`` (name -> widget), ``image`` (ipywidgets.Image), ``status`` (a line
    that reads "updating..." while an update runs, so a slow one, such as a setting whose
    training runs are not cached yet, shows that it is working), ``widget`` (the box to
    display), ``update_count``, ``latencies`` (seconds of each compute + redraw).
    """

    def __init__(self, figure, update, controls, *, caption=None):
        import ipywidgets as w

        self.figure = figure
        self._update = update
        self.controls = dict(controls)
        self.image = w.Image(format="png", layout={"max_width": "100%"})
        self.status = w.HTML("", layout={"height": "1.6em"})  # fixed height: no jump when it shows
        self.update_count = 0
        self.latencies = []
        items = list(self.controls.values())
        if caption:
            items.insert(0, w.HTML(f"<b>{caption}</b>"))
        self.widget = w.VBox([w.VBox(items), self.status, self.image])
        for control in self.controls.values():
            control.observe(self._on_change, names="value")
        self.redraw()

    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self):
        start = time.perf_counter()
        self.status.value = BUSY  # reaches the browser at once, while the kernel still computes
        try:
            self._update(**self.values())
            self.image.value = png_bytes(self.figure)
        finally:
            self.status.value = ""
        self.latencies.append(time.perf_counter() - start)
        self.update_count += 1

    def _on_change(self, _change):
        self.redraw()

    def set(self, **values):
        """Move controls from code, as a student would with the mouse (one redraw each)."""
        for name, value in values.items():
            if name not in self.controls:
                known = ", ".join(self.controls)
                raise ValueError(f"control must be one of {known}; got {name!r}")
            self.controls[name].value = value

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)

    def __repr__(self):
        return f"Interactive(controls={list(self.controls)})"


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
    if hasattr(control, "options"):  # Dropdown, RadioButtons, ...
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
