"""The lessons' experiments, one module per lesson, named by the lesson's slug.

``nnlesson.course.lessons.momentum`` belongs to ``notebooks/04_momentum.ipynb``. Each module has pure
compute functions (tested), drawing classes that keep one figure and update its artists, and
``explore_*`` functions that wire sliders to them (``nnlesson.viz.widgets``).
"""
from importlib import import_module

from nnlesson.course import LESSONS


def __getattr__(name):
    if any(lesson.slug == name for lesson in LESSONS):
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'nnlesson.course.lessons' has no attribute {name!r}")
