"""Codes written with leading zeros in a CSV file keep them (national IDs, postal codes)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from amargah.stats import Design, SurveyInputError


def test_whole_numbers_with_leading_zeros_are_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    path.write_text(
        "national_id,county,psu,w,y\n"
        "0012345678,01,1,10.5,3\n"
        "1234567891,02,1,10.5,4\n"
        "0076543210,12,2,12.0,5\n"
        "2345678912,12,2,12.0,6\n",
        encoding="utf-8",
    )
    design = Design(path, ids="psu", weights="w")
    table = design.weighted_data()
    assert table.schema.field("national_id").type == pa.string()
    assert table.column("national_id").to_pylist()[0] == "0012345678"
    assert table.column("county").to_pylist() == ["01", "02", "12", "12"]
    # whole numbers without leading zeros stay numbers
    assert pa.types.is_integer(table.schema.field("psu").type)
    assert pa.types.is_integer(table.schema.field("y").type)
    # a code column is a domain like any text column
    by_county = design.mean("y", by="county")
    assert sorted(row.domain["county"] for row in by_county) == ["01", "02", "12"]


def test_text_in_a_numeric_column_is_an_error_naming_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "sample.csv"
    path.write_text(
        "psu,w,y,z\n1,10,3,1\n1,10,n/a,2\n2,12,5,NA\n2,12,abc,\n3,9,7,5\n",
        encoding="utf-8",
    )
    design = Design(path, ids="psu", weights="w")
    with pytest.raises(SurveyInputError) as error:
        design.mean("y", na_rm=True)
    assert error.value.column == "y"
    assert list(error.value.rows) == [2, 4]
    # "NA" and an empty field are missing values, as R's read.csv reads them
    assert pa.types.is_integer(design.weighted_data().schema.field("z").type)
    assert design.mean("z", na_rm=True)[0].n == 3
