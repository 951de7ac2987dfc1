"""``amargah sample``: draw a sample from a frame file, with its design columns."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import typer

from amargah.stats.design import check_output, read_table, write_table
from amargah.stats.sampling.selection import pps_systematic, srs, systematic
from amargah.stats.sampling.stratification import stratified

EXIT_BAD_INPUT = 2


def _per_stratum(frame: pa.Table, strata: str, column: str, how: str) -> dict[Any, float]:
    """A frame column summarised within each stratum (``stddev`` or ``mean``)."""
    if column not in frame.column_names:
        raise ValueError(f"column {column!r}: no such column in the frame")
    grouped = frame.group_by(strata).aggregate([(column, how)])
    return dict(
        zip(grouped[strata].to_pylist(), grouped[f"{column}_{how}"].to_pylist(), strict=True)
    )


def sample(
    frame_path: Annotated[Path, typer.Argument(help="The frame: a .csv or .parquet file.")],
    *,
    n: Annotated[int, typer.Option("--n", help="Sample size (total, allocated to strata).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the sample.")],
    seed: Annotated[int, typer.Option(help="Seed: the same seed gives the same sample.")],
    method: Annotated[
        Literal["srs", "systematic", "pps"], typer.Option(help="Selection within strata.")
    ] = "srs",
    strata: Annotated[str | None, typer.Option(help="Stratum column.")] = None,
    allocation: Annotated[
        Literal["proportional", "neyman", "optimal"], typer.Option(help="Allocation to strata.")
    ] = "proportional",
    sd: Annotated[
        str | None, typer.Option(help="Frame column whose SD per stratum drives Neyman/optimal.")
    ] = None,
    cost: Annotated[
        str | None, typer.Option(help="Frame column of unit cost (its mean per stratum).")
    ] = None,
    size: Annotated[str | None, typer.Option(help="Size measure column for PPS.")] = None,
    sort_by: Annotated[
        str | None, typer.Option(help="Columns ordering systematic selection, 'a,b'.")
    ] = None,
    minimum: Annotated[int, typer.Option(help="Smallest sample in a stratum.")] = 1,
    suffix: Annotated[
        str,
        typer.Option(
            help="Appended to the design columns' names (prob1, weight1, fpc1 with 1): "
            "a stage of a multi-stage sample, or a frame that already has such columns."
        ),
    ] = "",
) -> None:
    """Draw a sample (R ``sampling``-style) and write it with prob, weight and fpc columns.

    The output feeds ``amargah estimate`` directly: ``--strata stratum --weights weight
    --fpc fpc`` (for a PPS sample leave ``--fpc`` out: its variance is approximated as
    with replacement, as R's ``svydesign`` without ``fpc``).
    """
    order = [c for c in (sort_by or "").split(",") if c] or None
    try:
        if n < 1:
            raise ValueError(f"--n must be a number of units, 1 or more, not {n}")
        if strata is not None and allocation in ("neyman", "optimal") and not sd:
            raise ValueError(f"--allocation {allocation} needs --sd COL")
        if strata is not None and allocation == "optimal" and not cost:
            raise ValueError("--allocation optimal needs --cost COL")
        check_output(output)
        frame = read_table(frame_path)
        if method == "pps" and size is None:
            raise ValueError("--method pps needs --size COL")
        if strata is not None:
            chosen = stratified(
                frame,
                n,
                strata=strata,
                seed=seed,
                method=method,
                allocation=allocation,
                sd=_per_stratum(frame, strata, sd, "stddev") if sd else None,
                cost=_per_stratum(frame, strata, cost, "mean") if cost else None,
                minimum=minimum,
                size=size,
                sort_by=order,
                suffix=suffix,
            )
        elif method == "pps":
            chosen = pps_systematic(
                frame, n, size=str(size), seed=seed, sort_by=order, suffix=suffix
            )
        elif method == "systematic":
            chosen = systematic(frame, n, seed=seed, sort_by=order, suffix=suffix)
        else:
            chosen = srs(frame, n, seed=seed, suffix=suffix)
        write_table(chosen, output)
    except ValueError as error:
        typer.echo(f"amargah sample: error: {error}", err=True)
        raise typer.Exit(code=EXIT_BAD_INPUT) from None
    summary = f"{chosen.num_rows} units written to {output}"
    if "weight" in chosen.column_names:
        summary += f"; weights sum to {pc.sum(chosen['weight']).as_py():.1f}"
    typer.echo(summary)
