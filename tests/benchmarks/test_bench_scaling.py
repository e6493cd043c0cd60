"""benchmarks/bench_scaling.py: the fits are right and each study produces well-formed points.

No timing assertions: speed figures belong to the benchmark's printout, not to unit tests.
"""

from __future__ import annotations

import json
import math

import pytest

from benchmarks import bench_scaling


def test_fit_line_recovers_slope_and_intercept():
    fit = bench_scaling.fit_line([0, 1, 2, 4], [1.5, 3.5, 5.5, 9.5])
    assert fit["slope"] == pytest.approx(2.0)
    assert fit["intercept"] == pytest.approx(1.5)


def test_fit_line_refuses_a_single_x_value():
    with pytest.raises(ValueError, match="all x values are equal"):
        bench_scaling.fit_line([3, 3], [1, 2])


def test_fit_power_recovers_the_exponent():
    xs = [10, 20, 40, 80]
    assert bench_scaling.fit_power(xs, [7 * x**1.5 for x in xs]) == pytest.approx(1.5)


@pytest.mark.parametrize("shape", sorted(bench_scaling.ANSWER_SHAPES))
def test_each_answer_shape_pairs_equal_answers_within_the_length(shape):
    from score_envs.math.equivalence import check_equivalence

    for length in (30, 120):
        predicted, reference = bench_scaling.ANSWER_SHAPES[shape](length)
        assert len(predicted) <= length
        assert check_equivalence(predicted, reference) == (True, "equivalent")


def test_verifier_study_reports_growing_lengths_and_fits():
    report = bench_scaling.verifier_scaling([30, 120], repeat=1)
    for shape in (*bench_scaling.ANSWER_SHAPES, "response_length"):
        chars = [point["chars"] for point in report[shape]["points"]]
        assert chars == sorted(chars) and len(chars) >= 2
        assert math.isfinite(report[shape]["power_exponent"])


def test_sandbox_study_runs_the_busy_program_and_fits_a_line():
    report = bench_scaling.sandbox_scaling([0, 5], workers=[1, 2], repeat=1, programs=2)
    assert all(point["passed"] for point in report["run_time"]["points"])
    assert [point["passed"] for point in report["workers"]["points"]] == [2, 2]
    assert report["run_time"]["linear"] is not None


def test_vector_study_reports_one_point_per_num_envs():
    report = bench_scaling.vector_scaling([1, 3], steps=2, modes=["sync"])
    assert [point["num_envs"] for point in report["sync"]["points"]] == [1, 3]
    assert all(point["sub_env_steps_per_s"] > 0 for point in report["sync"]["points"])


def test_main_writes_json_and_one_plot_per_study(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed (plot or bench extra)")
    report = bench_scaling.main(["--quick", "--output-dir", str(tmp_path)])
    written = json.loads((tmp_path / "scaling.json").read_text())
    assert written["machine"]["cores"] == report["machine"]["cores"]
    assert set(report["plots"]) == {
        "scaling_verifier.png",
        "scaling_sandbox_runtime.png",
        "scaling_sandbox_workers.png",
        "scaling_vector.png",
    }
    for name in report["plots"]:
        assert (tmp_path / name).read_bytes().startswith(b"\x89PNG")
