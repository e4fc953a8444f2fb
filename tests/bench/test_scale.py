"""The scale-out bench's logic: its flags, the throughput window, the 2-vs-1 ratio, the read
mix and the report section. Timings themselves are not asserted: they are measured by
`make bench` on whatever machine runs it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest

from bench import run, scale
from bench.endpoints import Endpoint
from bench.report import markdown_table


def result(**changes: object) -> scale.ScaleResult:
    base = scale.ScaleResult(
        cores=2,
        options=scale.ScaleOptions(),
        workers=[
            scale.WorkerRun(1, queued=300, counted=230, seconds=20.0, outcomes={"passed": 300}),
            scale.WorkerRun(2, queued=300, counted=290, seconds=13.4, outcomes={"passed": 300}),
        ],
        api=[
            scale.ApiRun(1, threads=4, completed=500, errors=0, seconds=10.0),
            scale.ApiRun(2, threads=4, completed=880, errors=0, seconds=10.0),
        ],
        sample_bytes=220_000,
        seconds=95.0,
        measured_at=dt.datetime(2026, 12, 4, 10, 0, tzinfo=dt.UTC),
        load_before=0.4,
        load_after=1.9,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


# --- flags --------------------------------------------------------------------------------------


def test_the_scale_part_runs_by_default_with_bounded_phases() -> None:
    args = run.parse_args([])

    assert (args.scale_only, args.no_scale) == (False, False)
    options = run.scale_options(args)
    assert options == scale.ScaleOptions(
        jobs=200, time_limit=25.0, sample_rows=5_000, api_seconds=10.0, threads=4
    )


def test_scale_only_and_no_scale_are_read() -> None:
    assert run.parse_args(["--scale-only"]).scale_only is True
    assert run.parse_args(["--no-scale"]).no_scale is True


def test_scale_only_and_no_scale_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run.parse_args(["--scale-only", "--no-scale"])

    assert "exclude each other" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["--scale-jobs", "0"],
        ["--scale-sample-rows", "0"],
        ["--scale-time-limit", "0"],
        ["--scale-api-seconds", "-1"],
    ],
)
def test_scale_bounds_must_be_positive(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        run.parse_args(argv)


def test_the_scale_flags_reach_the_options() -> None:
    args = run.parse_args(
        ["--scale-jobs", "50", "--scale-time-limit", "8", "--scale-sample-rows", "100",
         "--scale-api-seconds", "3", "--threads", "6"]
    )  # fmt: skip

    assert run.scale_options(args) == scale.ScaleOptions(
        jobs=50, time_limit=8.0, sample_rows=100, api_seconds=3.0, threads=6
    )


# --- figures ------------------------------------------------------------------------------------


def test_the_ratio_is_two_processes_over_one() -> None:
    assert scale.ratio({1: 689.0, 2: 1296.0}) == pytest.approx(1.88, abs=0.005)


@pytest.mark.parametrize(
    "figures", [{1: 689.0}, {2: 1296.0}, {1: 0.0, 2: 10.0}, {1: math.nan, 2: 10.0}, {}]
)
def test_no_ratio_without_both_figures(figures: dict[int, float]) -> None:
    assert scale.ratio(figures) is None


def test_the_window_counts_only_checks_finished_once_every_worker_was_ready() -> None:
    counted, seconds = scale.throughput_window(
        [99.0, 100.5, 101.0, 102.0], ready=100.0, stopped=130.0, queued=4
    )

    # All done: the window ends with the last check, not at the time limit.
    assert (counted, seconds) == (3, 2.0)


def test_the_window_runs_to_the_time_limit_while_checks_are_left() -> None:
    counted, seconds = scale.throughput_window(
        [101.0, 102.0], ready=100.0, stopped=130.0, queued=10
    )

    assert (counted, seconds) == (2, 30.0)


def test_an_empty_window_has_no_rate() -> None:
    counted, seconds = scale.throughput_window([], ready=100.0, stopped=100.0, queued=10)
    run_ = scale.WorkerRun(1, queued=10, counted=counted, seconds=seconds)

    assert math.isnan(run_.per_minute)


def test_rates_per_minute_and_per_second() -> None:
    figures = result()

    assert figures.workers[0].per_minute == pytest.approx(690.0)
    assert figures.api[1].rps == pytest.approx(88.0)
    assert figures.worker_ratio == pytest.approx((290 * 60 / 13.4) / 690.0)
    assert figures.api_ratio == pytest.approx(1.76)


def test_the_timed_slices_alternate_abba_between_the_servers() -> None:
    assert scale.slice_order(3) == [1, 2, 2, 1, 1, 2]
    assert scale.slice_order(1) == [1, 2]


# --- the read mix -------------------------------------------------------------------------------


def test_the_mix_takes_each_endpoint_in_turn_with_its_callers_token() -> None:
    targets = [
        Endpoint("list", "list", "anonymous", ("/api/v1/datasets/",), "/api/v1/datasets/"),
        Endpoint("detail", "detail", "bearer", ("/d/1/", "/d/2/", "/d/3/"), "/d/<uuid>/"),
    ]

    mix = scale.api_mix(targets, {"bearer": "secret"}, per_endpoint=4)

    assert mix == [
        ("/api/v1/datasets/", {}),
        ("/d/1/", {"Authorization": "Bearer secret"}),
        ("/api/v1/datasets/", {}),
        ("/d/2/", {"Authorization": "Bearer secret"}),
        ("/api/v1/datasets/", {}),
        ("/d/3/", {"Authorization": "Bearer secret"}),
        ("/api/v1/datasets/", {}),
        ("/d/1/", {"Authorization": "Bearer secret"}),
    ]


# --- the report ---------------------------------------------------------------------------------


def test_the_section_shows_both_figures_the_ratio_and_the_core_ceiling() -> None:
    text = "\n".join(scale.markdown(result(), table=markdown_table))

    assert text.startswith("## Scale-out\n")
    assert (
        "| Sample checks per minute (Celery worker processes on one queue) | 690 | 1,299 |" in text
    )
    assert "| 1.88x |" in text
    assert "| 50 | 88 | 1.76x |" in text
    assert "2 cores (nproc): two processes on two cores is the ceiling" in text
    assert "- 1 worker process: 230 of 300 checks in 20.0 s" in text
    assert "- 2 gunicorn worker processes: 880 requests in 10.0 s, 0 errors." in text
    assert "load average (1 min) 0.40 before and 1.90 after" in text


def test_the_section_says_what_was_not_measured() -> None:
    figures = result(api=[], error="SystemExit: gunicorn exited early")

    text = "\n".join(scale.markdown(figures, table=markdown_table))

    assert "**Not measured in full:** `SystemExit: gunicorn exited early`." in text
    assert "| 50 | 88 |" not in text
    assert "| — | — | — |" in text  # the API row, without figures


def test_more_cores_are_not_called_the_ceiling() -> None:
    assert "ceiling" not in scale.ceiling_note(8)
    assert "8 cores" in scale.ceiling_note(8)


def test_console_lines_give_the_figures_and_ratio() -> None:
    lines = scale.console_lines(result())

    assert lines[0] == "Scale-out (2 cores):"
    assert lines[2].endswith(": 50 -> 88 (1.76x)")


DOCUMENT = """# Catalog and stats benchmarks

## Results

table

## Scale-out

old figures

## How to reproduce

make bench
"""


def test_the_section_is_replaced_in_place() -> None:
    updated = scale.replace_section(DOCUMENT, ["## Scale-out", "", "new figures"])

    assert "old figures" not in updated
    assert "## Results\n\ntable\n\n## Scale-out\n\nnew figures\n\n## How to reproduce" in updated


def test_a_report_without_the_section_gets_it_before_how_to_reproduce() -> None:
    without = DOCUMENT.replace("## Scale-out\n\nold figures\n\n", "")

    updated = scale.replace_section(without, ["## Scale-out", "", "new figures", ""])

    assert "table\n\n## Scale-out\n\nnew figures\n\n## How to reproduce\n\nmake bench\n" in updated


def test_a_report_without_either_heading_gets_it_at_the_end() -> None:
    updated = scale.replace_section("# Scale-out benchmark\n\nmachine", ["## Scale-out", "x"])

    assert updated == "# Scale-out benchmark\n\nmachine\n\n## Scale-out\nx\n"


def test_replacing_twice_changes_nothing_more() -> None:
    section = ["## Scale-out", "", "new figures", ""]
    once = scale.replace_section(DOCUMENT, section)

    assert scale.replace_section(once, section) == once
