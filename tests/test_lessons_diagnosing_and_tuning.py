"""Lesson 14's experiments: compute functions, figures with alt text, the doctor's verdicts."""
from matplotlib.figure import Figure

from nnlesson import diagnosis as D
from nnlesson.course.lessons import diagnosing_and_tuning as L
from nnlesson.viz.plotting import alt_text


def test_patients_are_a_seeded_permutation_of_the_faults():
    assert sorted(L.patients(0).values()) == sorted(D.FAULTS)
    assert L.patients(0) == L.patients(0) and L.patients(0) != L.patients(1)


def test_the_doctor_says_right_or_wrong_from_the_evidence():
    r = D.fault_run("unscaled_inputs")
    assert L.doctor_verdict(r, "unscaled_inputs", "unscaled_inputs").startswith("Right.")
    wrong = L.doctor_verdict(r, "unscaled_inputs", "lr_too_high")
    assert wrong.startswith("Not quite") and "ln(10)" in wrong
    assert "choose" in L.doctor_verdict(r, "unscaled_inputs", L.CHOOSE)


def test_every_figure_has_alt_text():
    for fig in (L.figure_sanity(), L.figure_range_test(), L.figure_signatures(),
                L.figure_search(), L.snapshot_doctor(2, 1.0, "healthy")):
        assert isinstance(fig, Figure) and len(alt_text(fig)) > 40


def test_the_explorer_redraws_for_each_patient():
    demo = L.explore_doctor()
    before = bytes(demo.image.value)
    demo.set(patient=3)
    assert bytes(demo.image.value) != before
