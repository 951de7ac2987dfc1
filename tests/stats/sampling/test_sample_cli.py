"""``amargah sample`` draws from a frame file and writes a sample ``estimate`` can use."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from amargah.cli import app


@pytest.fixture
def frame(tmp_path: Path) -> Path:
    path = tmp_path / "frame.parquet"
    strata = ["a"] * 60 + ["b"] * 40
    pq.write_table(
        pa.table(
            {
                "ea": list(range(100)),
                "stratum": strata,
                "households": [50 + (i % 7) * 10 for i in range(100)],
                "y": [float(i % 13) if s == "a" else float(i % 3) for i, s in enumerate(strata)],
            }
        ),
        path,
    )
    return path


def test_stratified_sample_feeds_estimate(frame: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.parquet"
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["sample", str(frame), "--n", "20", "--strata", "stratum", "--seed", "7", "-o", str(out)],
    )
    assert result.exit_code == 0, result.output
    sample = pq.read_table(out)
    assert sample.num_rows == 20
    # Proportional allocation: 12 from a, 8 from b; weights sum to the frame size.
    assert sorted(sample["stratum"].to_pylist()).count("a") == 12
    assert sum(sample["weight"].to_pylist()) == pytest.approx(100)
    again = tmp_path / "again.parquet"
    runner.invoke(
        app,
        ["sample", str(frame), "--n", "20", "--strata", "stratum", "--seed", "7", "-o", str(again)],
    )
    assert pq.read_table(again).equals(sample)
    estimate = runner.invoke(
        app,
        [
            "estimate",
            str(out),
            "--strata",
            "stratum",
            "--weights",
            "weight",
            "--fpc",
            "fpc",
            "--total",
            "households",
            "--format",
            "json",
        ],
    )
    assert estimate.exit_code == 0, estimate.output
    row = json.loads(estimate.stdout)["estimates"][0]
    assert row["statistic"] == "total" and row["se"] > 0


def test_neyman_allocation_favours_the_variable_stratum(frame: Path, tmp_path: Path) -> None:
    out = tmp_path / "neyman.csv"
    result = CliRunner().invoke(
        app,
        [
            "sample",
            str(frame),
            "--n",
            "20",
            "--strata",
            "stratum",
            "--allocation",
            "neyman",
            "--sd",
            "y",
            "--seed",
            "1",
            "-o",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    strata = out.read_text().splitlines()[1:]
    # Stratum a has the larger frame and the larger SD of y: more than its 60% share.
    assert sum(1 for line in strata if '"a"' in line or ",a," in line) > 12


def test_pps_sample_and_bad_input(frame: Path, tmp_path: Path) -> None:
    out = tmp_path / "pps.parquet"
    ok = CliRunner().invoke(
        app,
        [
            "sample",
            str(frame),
            "--n",
            "10",
            "--method",
            "pps",
            "--size",
            "households",
            "--seed",
            "3",
            "-o",
            str(out),
        ],
    )
    assert ok.exit_code == 0, ok.output
    sample = pq.read_table(out)
    assert sample.num_rows == 10 and min(sample["prob"].to_pylist()) > 0
    missing = CliRunner().invoke(
        app, ["sample", str(frame), "--n", "10", "--method", "pps", "--seed", "3", "-o", str(out)]
    )
    assert missing.exit_code == 2 and "--size" in missing.output
    unknown = CliRunner().invoke(
        app,
        ["sample", str(frame), "--n", "10", "--strata", "region", "--seed", "3", "-o", str(out)],
    )
    assert unknown.exit_code == 2 and "region" in unknown.output
    for size in ("0", "-3"):
        empty = CliRunner().invoke(
            app, ["sample", str(frame), "--n", size, "--seed", "3", "-o", str(out)]
        )
        assert empty.exit_code == 2 and "--n must be a number of units" in empty.output
    neyman = CliRunner().invoke(
        app,
        [
            *("sample", str(frame), "--n", "10", "--strata", "stratum"),
            *("--allocation", "neyman", "--seed", "3", "-o", str(out)),
        ],
    )
    assert neyman.exit_code == 2 and "--allocation neyman needs --sd COL" in neyman.output


def test_a_second_stage_suffix_and_unwritable_outputs(frame: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    first = tmp_path / "first.parquet"
    arguments = ["sample", str(frame), "--n", "30", "--seed", "3"]
    assert runner.invoke(app, [*arguments, "-o", str(first)]).exit_code == 0
    # drawing again from the sample clashes with its own design columns, unless suffixed
    again = ["sample", str(first), "--n", "10", "--seed", "4"]
    clash = runner.invoke(app, [*again, "-o", str(tmp_path / "second.csv")])
    assert clash.exit_code == 2
    assert "already has a column 'prob'; pass suffix= (--suffix)" in clash.stderr
    second = tmp_path / "second.csv"
    result = runner.invoke(app, [*again, "--suffix", "2", "-o", str(second)])
    assert result.exit_code == 0, result.output
    header = second.read_text().splitlines()[0]
    assert '"prob","weight","fpc","prob2","weight2","fpc2"' in header
    for output, message in [
        (tmp_path / "missing" / "sample.csv", "cannot write"),
        (tmp_path / "sample.txt", "cannot write sample.txt: give a .parquet or .csv file"),
    ]:
        refused = runner.invoke(app, [*arguments, "-o", str(output)])
        assert refused.exit_code == 2
        assert message in refused.stderr
        assert not output.exists()
