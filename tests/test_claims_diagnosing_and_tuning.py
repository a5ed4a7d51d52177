"""Every claim lesson 14 makes in words, asserted (the notebook prints the numbers)."""
import math

from nnlesson import diagnosis as D
from nnlesson.course.lessons import diagnosing_and_tuning as L


def test_the_first_loss_is_near_ln_10_only_with_a_small_last_layer():
    c = L.sanity_checks()
    assert round(c["ln10"], 2) == 2.30
    assert 2.5 < c["first_loss"] < 3.0            # "starts at 2.67"
    assert abs(c["first_loss_small_last"] - math.log(10)) < 0.01


def test_a_working_loop_overfits_20_digits_and_a_broken_one_does_not():
    c = L.sanity_checks()
    assert c["overfit"][-1] < 1e-3 and c["overfit_frozen"][-1] > math.log(10)


def test_one_cycle_fails_at_the_lowest_point_and_trains_at_a_tenth_of_it():
    rt = L.range_test_digits()
    assert 0.3 < rt.lr_at_min < 0.5 and rt.max_lr == rt.lr_at_min / 10
    at_min, _ = L.one_cycle_at(rt.lr_at_min)
    tenth, acc = L.one_cycle_at(rt.max_lr)
    third, _ = L.one_cycle_at(rt.max_lr / 3)
    assert at_min > 1.0 and tenth < 0.2 and acc > 0.95 and third > tenth


def test_each_signature_run_shows_its_signature():
    for name, run in L.signature_runs().items():
        assert D.find_evidence(run)[name].present, name


def test_the_diagnosis_names_every_patient():
    for fault in D.FAULTS:
        assert D.diagnose(D.fault_run(fault)).fault == fault


def test_random_search_beats_the_grid_in_every_repeat():
    search = L.search_comparison()
    assert all(b < search["grid_best"] for b in search["random_best"])
    assert len(search["grid_lrs"]) == 3 and len(search["random_lrs"]) == 9
