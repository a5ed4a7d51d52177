"""Panels that several explorers share: paths on a loss surface's contours, and curves over
steps or epochs (the loss-curve panel).

A panel draws into one Axes of an explorer's figure. It is built in the explorer's
``build(fig)`` and exposes :attr:`artists` (the ones that move, for the explorer to return),
``draw_scene(key)`` where the static part changes with a control, and ``set(name, data)`` for
``update``::

    def build(self, fig):
        ax_map, ax_loss = fig.subplots(1, 2)
        self.map = PathsOnContours(ax_map, {k: ravine(k) for k in KAPPAS},
                                   {"gd": {"label": "plain GD"}, "momentum": {"label": "momentum"}},
                                   title=lambda k: f"ravine (x² + {k} y²) / 2")
        self.loss = Curves(ax_loss, range(201), {"gd": {...}, "momentum": {...}}, log=True,
                           ylim=(1e-10, 1e3), title=..., xlabel="step", ylabel="loss")
        return self.map.artists + self.loss.artists

Series styles default to the palette's (colour, line style and marker differ, so colour is
never the only cue); a ``style`` dict overrides any of them.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from nnlesson.viz.plotting import PALETTE, label_axes, series_style

__all__ = ["PathsOnContours", "Curves"]

_CONTOUR_GREY = "#9a9a9a"


@functools.lru_cache(maxsize=32)
def _grid(surface, n=120):
    """``(X, Y, Z)`` on the surface's window (any object with ``bounds`` and ``value``)."""
    (x0, x1), (y0, y1) = surface.bounds
    X, Y = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    return X, Y, surface.value(np.stack([X, Y], axis=-1))


def _styles(series, marker_every):
    """``{name: (label, style)}`` from ``{name: {"label": ..., **style}}`` in palette order."""
    out = {}
    for i, (name, spec) in enumerate(series.items()):
        spec = dict(spec)
        label = spec.pop("label", name)
        style = dict(series_style(i), markevery=marker_every)
        style.update(spec)
        out[name] = (label, style)
    return out


class PathsOnContours:
    """Contours of a 2-D loss surface, its minimum, the start, and one path per series.

    Args:
        ax: the Axes to draw in.
        surfaces: ``{scene key: surface}`` (one key when the surface never changes); a surface
            is anything with ``bounds``, ``minimum``, ``min_value`` and ``value(points)``, such
            as :class:`nnlesson.course.surfaces.Ravine`. Each scene's contours are drawn once
            and shown by :meth:`draw_scene`.
        paths: ``{name: {"label": ..., **line style}}``, drawn in this order (the last on
            top); each path also gets a larger marker where it ends.
        title: a string, or ``key -> string`` when it names the scene.
        levels: contour levels, or ``key -> levels`` (default: 12 log-spaced levels from 0.01
            above the minimum to the largest loss in the window).
        xlabel, ylabel: the axis labels.
    """

    def __init__(self, ax, surfaces, paths, *, title, levels=None, xlabel="weight x",
                 ylabel="weight y"):
        self.ax = ax
        self.surfaces = dict(surfaces)
        self._title = title
        self._contours = {}
        for key, surface in self.surfaces.items():
            X, Y, Z = _grid(surface)
            lv = levels(key) if callable(levels) else levels
            if lv is None:
                low = (surface.min_value or 0.0) + 1e-2
                lv = np.logspace(math.log10(low), math.log10(float(Z.max())), 12)
            self._contours[key] = ax.contour(X, Y, Z, levels=lv, colors=_CONTOUR_GREY,
                                             linewidths=0.8, zorder=1)
        (self.minimum,) = ax.plot([], [], marker="*", color=PALETTE[7], markersize=15,
                                  linestyle="none", label="minimum", zorder=4)
        (self.start,) = ax.plot([], [], marker="o", color=PALETTE[3], markersize=10,
                                linestyle="none", label="start", zorder=4)
        self.lines, self.ends = {}, {}
        for name, (label, style) in _styles(paths, 0.1).items():
            (self.lines[name],) = ax.plot([], [], label=label, zorder=2,
                                          **dict(style, markersize=4))
            (self.ends[name],) = ax.plot([], [], color=style["color"], marker=style["marker"],
                                         markersize=9, markeredgecolor="black",
                                         linestyle="none", zorder=3)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        self.artists = [*self.lines.values(), *self.ends.values(), self.start]

    def draw_scene(self, key):
        """Show scene ``key``'s contours, limits, minimum and title."""
        for k, contour in self._contours.items():
            contour.set_visible(k == key)
        surface = self.surfaces[key]
        (x0, x1), (y0, y1) = surface.bounds
        self.ax.set_xlim(x0, x1)
        self.ax.set_ylim(y0, y1)
        if surface.minimum is not None:
            self.minimum.set_data([surface.minimum[0]], [surface.minimum[1]])
        label_axes(self.ax, title=self._title(key) if callable(self._title) else self._title,
                   xlabel=self.ax.get_xlabel(), ylabel=self.ax.get_ylabel())

    def set(self, name, points):
        """Draw path ``name`` through ``points`` (k, 2); its end marker at the last point."""
        points = np.asarray(points, dtype=float)
        line = self.lines[name]
        line.set_data(points[:, 0], points[:, 1])
        line.set_markevery(max(1, len(points) // 25))
        self.ends[name].set_data(points[-1:, 0], points[-1:, 1])
        self.start.set_data(points[:1, 0], points[:1, 1])


class Curves:
    """Curves against a fixed x axis (a loss per step or per epoch), redrawn by :meth:`set`.

    Args:
        ax: the Axes to draw in.
        x: the x values every curve shares (steps, epochs).
        series: ``{name: {"label": ..., **line style}}`` in drawing order (palette styles by
            default; e.g. ``{"color": "#999999", "linestyle": ":", "marker": ""}`` for a grey
            reference run).
        title, xlabel, ylabel: what to look at and what the axes are.
        ylim: fixed y limits; values outside are drawn at the edge (a diverged run stays
            visible at the top), NaN leaves a gap.
        log: a log y axis.
        legend: where the legend goes (``"upper right"``, ..., ``"below"`` for under the axes,
            or None).
    """

    def __init__(self, ax, x, series, *, title, xlabel, ylabel, ylim, log=False,
                 legend="upper right"):
        self.ax = ax
        self.x = np.asarray(x, dtype=float)
        self.ylim = tuple(float(v) for v in ylim)
        self.lines = {}
        for name, (label, style) in _styles(series, 0.1).items():
            (self.lines[name],) = ax.plot(self.x, np.full(len(self.x), np.nan), label=label,
                                          **dict(style, markersize=5))
        if log:
            ax.set_yscale("log")
        ax.set_xlim(self.x[0], self.x[-1])
        ax.set_ylim(*self.ylim)
        label_axes(ax, title=title, xlabel=xlabel, ylabel=ylabel)
        if legend == "below":
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, frameon=False)
        elif legend is not None:
            ax.legend(loc=legend, framealpha=0.9)
        self.artists = list(self.lines.values())

    def set(self, name, y):
        """Draw curve ``name`` through ``y`` (shorter: the rest left empty)."""
        y = np.asarray(y, dtype=float)[:len(self.x)]
        out = np.full(len(self.x), np.nan)
        low, high = self.ylim
        # kept just inside the axes; a log axis cannot show 0
        out[:len(y)] = np.clip(y, low * (1.0001 if low > 0 else 1), high * 0.9999)
        self.lines[name].set_ydata(out)
