"""The course's table of contents: one entry per lesson.

A lesson's number and slug lead to everything that belongs to it::

    notebooks/06_adam_and_adamw.ipynb      the lesson (also the slide deck)
    exercises/06_adam_and_adamw.ipynb      the exercises (generated from the solutions)
    solutions/06_adam_and_adamw.ipynb      the solutions
    nnlesson/course/lessons/adam_and_adamw.py     the lesson's experiments (compute, draw, widget)
    nnlesson/course/checks/adam_and_adamw.py      the exercises' auto-checks
    nnlesson/optim.py                      the technique itself (``modules``)
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Lesson", "LESSONS", "lesson"]


@dataclass(frozen=True)
class Lesson:
    number: int
    slug: str
    title: str
    modules: tuple  # library modules that implement the lesson's techniques

    @property
    def name(self):
        """File stem shared by the lesson, exercise and solution notebooks."""
        return f"{self.number:02d}_{self.slug}"

    @property
    def notebook(self):
        return f"notebooks/{self.name}.ipynb"

    @property
    def exercise(self):
        return f"exercises/{self.name}.ipynb"

    @property
    def solution(self):
        return f"solutions/{self.name}.ipynb"


LESSONS = (
    Lesson(0, "course_map", "Course map", ("course.surfaces",)),
    Lesson(1, "backprop_and_gradient_descent", "Forward pass, backprop, gradient descent",
           ("layers", "losses", "gradcheck", "optim")),
    Lesson(2, "feature_scaling", "Feature scaling", ("scaling", "datasets")),
    Lesson(3, "minibatch_gradient_descent", "Batch, stochastic and mini-batch gradient descent",
           ("data",)),
    Lesson(4, "momentum", "Momentum", ("optim", "course.surfaces")),
    Lesson(5, "adagrad_and_rmsprop", "Adaptive step sizes: AdaGrad and RMSProp", ("optim",)),
    Lesson(6, "adam_and_adamw", "Adam and AdamW", ("optim",)),
    Lesson(7, "learning_rate_schedules", "Learning-rate schedules", ("schedules",)),
    Lesson(8, "gradient_clipping", "Gradient clipping and exploding gradients", ("clip",)),
    Lesson(9, "weight_initialization", "Weight initialization, vanishing and exploding gradients",
           ("init",)),
    Lesson(10, "normalization_layers", "Normalization layers", ("norm",)),
    Lesson(11, "regularization", "Regularization", ("losses", "layers", "train")),
    Lesson(12, "residual_connections", "Residual connections", ("layers",)),
    Lesson(13, "putting_it_all_together", "Putting it all together", ("train",)),
    Lesson(14, "diagnosing_and_tuning", "Diagnosing and tuning a training run",
           ("diagnosis", "tuning")),
)


def lesson(number):
    """The :class:`Lesson` with this number."""
    for item in LESSONS:
        if item.number == number:
            return item
    raise ValueError(f"number must be a lesson number from 0 to {len(LESSONS) - 1}, got {number!r}")
