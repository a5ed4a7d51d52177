"""Drawing for the course: plot helpers and alt text (:mod:`~nnlesson.viz.plotting`), slider
widgets (:mod:`~nnlesson.viz.widgets`), the base of every live experiment
(:mod:`~nnlesson.viz.explorer`) and the panels experiments share (:mod:`~nnlesson.viz.panels`).
matplotlib and ipywidgets are imported when first used."""
from nnlesson.viz.plotting import show

__all__ = ["show"]
