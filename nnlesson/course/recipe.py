"""Lesson 13's training recipe as data: its pieces and the leave-one-out ablation.

Course content shared by the lesson (:mod:`nnlesson.course.lessons.putting_it_all_together`,
which trains each configuration) and the exercise check (:mod:`nnlesson.course.checks.
putting_it_all_together`, whose reference is :func:`ablation_configs`), so that the check
imports no lesson module.
"""
from __future__ import annotations

__all__ = ["PIECES", "RECIPE", "ablation_configs"]

#: The seven pieces of the recipe, in the order they are applied to a training run.
PIECES = ("scaling", "minibatches", "adam", "batch_norm", "schedule", "clipping", "l2")
#: The full recipe: every piece on.
RECIPE = dict.fromkeys(PIECES, True)


def ablation_configs(recipe=None):
    """Leave-one-out ablation: the full recipe, then the recipe minus each piece that is on.

    Args:
        recipe: a dict ``{piece: bool}``; None is the full :data:`RECIPE`. Not changed.

    Returns:
        list of ``(label, settings)``: ``("full recipe", recipe)`` first, then
        ``("without <piece>", recipe with that one piece off)`` for each piece that ``recipe``
        switches on, in the recipe's order. Pieces already off are skipped (nothing to remove).
        Each settings dict is a new dict.

    Raises:
        TypeError: ``recipe`` is not a dict.
    """
    if recipe is None:
        recipe = dict(RECIPE)
    if not isinstance(recipe, dict):
        raise TypeError(f"recipe must be a dict {{piece: bool}}, got {type(recipe).__name__}")
    configs = [("full recipe", dict(recipe))]
    for piece, on in recipe.items():
        if on:
            configs.append((f"without {piece}", {**recipe, piece: False}))
    return configs
