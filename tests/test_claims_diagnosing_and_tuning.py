"""Every claim lesson 14 makes in words, asserted (the notebook prints the numbers)."""
import math

import numpy as np
import pytest

from nnlesson import diagnosis as D
from nnlesson.course.lessons import diagnosing_and_tuning as L


def test_the_first_loss_is_a_little_above_ln_10_and_at_it_with_a_small_last_layer():
    c = L.sanity_checks()
    assert c["ln10"] == pytest.approx(2.30, abs=0.005)                # "2.30 for the ten digits"
    assert c["first_loss"] == pytest.approx(2.67, abs=0.005)          # "starts at 2.67"
    assert c["first_loss_small_last"] == pytest.approx(2.30, abs=0.005)
    assert c["first_loss"] < 3 * c["ln10"]                           # "a little above ln C"


def test_a_working_loop_overfits_20_digits_and_a_broken_one_does_not():
    c = L.sanity_checks()
    assert c["overfit"][-1] == pytest.approx(1.2e-5, rel=0.05)        # "1.2e-05"
    assert c["overfit_frozen"][-1] == pytest.approx(2.53, abs=0.005)  # "2.53"
    assert c["overfit_frozen"][-1] > math.log(10)


def test_the_range_test_and_one_cycle_around_its_lowest_point():
    rt = L.range_test_digits()
    assert rt.lr_at_min == pytest.approx(0.392, abs=5e-4) and rt.max_lr == rt.lr_at_min / 10
    table = L.peak_table(momenta=(0.9,))
    acc = {divisor: table[0.9, divisor][2] for divisor in L.PEAK_DIVISORS}
    assert acc[1] < 0.5  # "fails: fewer than half right" (chaotic: 30.6 % or 31.7 %)
    assert acc[10] == pytest.approx(0.961, abs=5e-4)                      # "96.1 %"
    assert acc[3] == pytest.approx(0.962, abs=5e-4)                       # "about as well"
    assert abs(acc[3] - acc[10]) < 0.005
    assert acc[30] == pytest.approx(0.935, abs=5e-4) and acc[30] < acc[10]  # "too timid"
    assert table[0.9, 3][0] == pytest.approx(0.131, abs=5e-4)
    assert table[0.9, 30][0] == pytest.approx(0.0131, abs=5e-5)


def test_each_signature_run_shows_its_signature_and_some_come_together():
    found = L.signatures_found()
    for name, signatures in found.items():
        assert name in signatures, name
    assert {"dead_relus", "plateau"} <= set(found["lr_too_high"])
    assert {"lr_too_high", "dead_relus"} <= set(found["exploding_gradients"])
    assert L.signature_runs()["exploding_gradients"].diverged


def test_the_monitor_sees_a_healthy_run_as_healthy():
    healthy = L.patient("healthy")
    assert np.all(healthy.val_loss == healthy.val_loss_eval)
    assert np.all(np.abs(healthy.initial_zero_fraction - 0.5) < 0.05)     # "50% and 50%"
    assert healthy.batch_classes.mean() == pytest.approx(10.0, abs=0.05)
    assert D.diagnose(healthy).fault == "healthy"


def test_the_diagnosis_names_every_patient_and_a_tenth_of_the_rate_cures_one():
    for fault in D.FAULTS:
        assert D.diagnose(L.patient(fault)).fault == fault
    cured = L.patient("lr_too_high", lr_factor=0.1)
    assert D.diagnose(cured).fault == "healthy" and cured.val_acc[-1] > 0.95
    assert L.patients()[7] == "lr_too_high"  # the teacher's note names patient 7


def test_random_search_beats_the_grid_in_every_repeat():
    search = L.search_comparison()
    assert all(b < search["grid_best"] for b in search["random_best"])
    assert search["grid_best"] == pytest.approx(0.189, abs=5e-4)
    assert len(search["grid_lrs"]) == 3 and len(search["random_lrs"]) == 9


def test_the_teachers_note_on_other_momenta():
    table = L.peak_table()
    best_at_0 = max(L.PEAK_DIVISORS, key=lambda d: table[0.0, d][2])
    assert best_at_0 == 1                                    # "the lowest point trains best"
    gain = table[0.99, 3][2] - table[0.99, 10][2]            # "a third beats a tenth by ~4"
    assert 0.03 < gain < 0.05
