"""Drawing for the course: plot helpers (:mod:`~nnlesson.viz.plotting`) and slider widgets
(:mod:`~nnlesson.viz.widgets`). matplotlib and ipywidgets are imported when first used."""
from nnlesson.viz.plotting import show

__all__ = ["show"]
