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


def test_a_third_is_as_accurate_as_a_tenth_but_ends_at_a_higher_loss_and_steepest_is_timid():
    rt = L.range_test_digits()
    table = L.peak_table(momenta=(0.9,))
    assert table[0.9, 3][1] == pytest.approx(0.185, abs=5e-4)             # "0.185"
    assert table[0.9, 10][1] == pytest.approx(0.132, abs=5e-4)            # "against 0.132"
    assert rt.steepest_lr == pytest.approx(0.0115, abs=5e-5)              # "steepest_lr (0.0115)"
    assert rt.steepest_lr < table[0.9, 30][0]                # "so would be": below the thirtieth


def test_every_momentum_a_tenth_trains_and_a_third_trains_at_least_as_well():
    table = L.peak_table()
    for momentum in L.MOMENTA:
        assert table[momentum, 10][2] > 0.9                                # "a tenth trains"
        assert table[momentum, 3][2] >= table[momentum, 10][2]             # "at least as well"
    gains = {m: table[m, 3][2] - table[m, 10][2] for m in L.MOMENTA}
    assert max(gains, key=gains.get) == 0.99 and 0.035 < gains[0.99] < 0.045  # "about 4 points"
    assert table[0.99, 3][2] == pytest.approx(0.943, abs=5e-4)             # "94.3 %"
    assert table[0.99, 10][2] == pytest.approx(0.902, abs=5e-4)            # "90.2 %"
    assert table[0.0, 1][2] == pytest.approx(0.968, abs=5e-4)              # "96.8 %"


def test_the_plateau_run_trips_the_exploding_and_too_low_rules_without_diverging():
    run = L.signature_runs()["plateau"]
    evidence = D.find_evidence(run)
    assert not run.diverged
    assert evidence["exploding_gradients"].present and evidence["exploding_gradients"].value > 10
    assert evidence["lr_too_low"].present                               # "still falls fast"


def test_the_healthy_run_is_sanity_check_ones_network_on_another_mini_batch():
    from nnlesson.train import mlp

    same = zip(mlp([64, 64, 64, 10], rng=0).parameters(),
               mlp([64, 64, 64, 10], batch_norm=False, dropout=0.0, rng=0).parameters())
    assert all(np.array_equal(p.value, q.value) for p, q in same)        # "the same network"
    assert L.patient("healthy").initial_loss == pytest.approx(3.24, abs=0.005)
    assert L.sanity_checks()["first_loss"] == pytest.approx(2.67, abs=0.005)


def test_a_smaller_rate_cures_one_fault_and_hides_two():
    for fault in D.FAULTS:
        if fault in ("healthy", "lr_too_high"):
            continue
        for factor in L.LR_FACTORS:                         # "the diagnosis stays at every rate"
            assert D.diagnose(L.patient(fault, lr_factor=factor)).fault == fault, (fault, factor)
    for fault, acc in (("unscaled_inputs", 0.957), ("unshuffled", 0.944)):
        assert L.patient(fault).val_acc[-1] < 0.6                         # rescued from below
        assert L.patient(fault, lr_factor=0.1).val_acc[-1] == pytest.approx(acc, abs=5e-4)
    assert L.patient("lr_too_high", lr_factor=0.1).val_acc[-1] == pytest.approx(0.961, abs=5e-4)
    assert D.diagnose(L.patient("healthy", lr_factor=3.0)).fault == "lr_too_high"  # "at x3"
    hidden = L.patients()
    assert (hidden[3], hidden[4], hidden[6]) == ("unshuffled", "unscaled_inputs", "healthy")


def test_the_teachers_note_on_the_lag_of_the_smoothed_curve():
    rt = L.range_test_digits()
    centred = np.convolve(rt.losses, np.ones(21) / 21, mode="valid")
    lowest_raw = int(np.argmin(centred)) + 10
    lowest_smooth = int(np.argmin(rt.smoothed))
    assert (lowest_raw, lowest_smooth) == (124, 143)                      # "about 20 updates"
    assert rt.lrs[lowest_raw] == pytest.approx(0.130, abs=5e-4)
    assert rt.lrs[lowest_smooth] / rt.lrs[lowest_raw] == pytest.approx(3.0, abs=0.05)
    assert rt.lrs[1] / rt.lrs[0] == pytest.approx(1.06, abs=0.005)
