"""Lesson 14, diagnosing and tuning a training run: the experiments, one family per file.

* :mod:`.sanity`: the two checks before training (the first loss against ``ln 10``; one small
  batch learned by heart).
* :mod:`.range_test`: the learning-rate range test on the digits network, the ``max_lr`` read
  from it, and one-cycle trained at peaks around it; its explorer (momentum, peak).
* :mod:`.signatures`: one run per signature of a loss curve.
* :mod:`.search`: random search on a log scale against grid search.
* :mod:`.doctor`: the training doctor, patients with a hidden fault
  (:mod:`nnlesson.course.patients`) beside their healthy twins; its explorer.

Every run trains with :func:`nnlesson.train.fit` (watched by a
:class:`nnlesson.diagnosis.TrainingMonitor` where the doctor needs more than the History),
except the three patients whose fault is in the loop itself, and is cached.

Everything public is importable from here: ``from nnlesson.course.lessons import
diagnosing_and_tuning as lesson`` then ``lesson.explore_doctor()``.
"""
from nnlesson.course.lessons.diagnosing_and_tuning import (doctor, range_test, sanity, search,
                                                           signatures)
from nnlesson.course.lessons.diagnosing_and_tuning.doctor import *  # noqa: F401,F403
from nnlesson.course.lessons.diagnosing_and_tuning.range_test import *  # noqa: F401,F403
from nnlesson.course.lessons.diagnosing_and_tuning.sanity import *  # noqa: F401,F403
from nnlesson.course.lessons.diagnosing_and_tuning.search import *  # noqa: F401,F403
from nnlesson.course.lessons.diagnosing_and_tuning.signatures import *  # noqa: F401,F403

__all__ = [*sanity.__all__, *range_test.__all__, *signatures.__all__, *search.__all__,
           *doctor.__all__]
