"""PxWeb value-code expressions, SDMX keys and period ranges resolved against a cube."""

from __future__ import annotations

import pytest

from amargah.formats import Cube
from amargah.formats.query import (
    pxweb_selection,
    pxweb_value_codes,
    sdmx_key_selection,
    sdmx_period_selection,
)


@pytest.mark.parametrize(
    ("dimension", "expressions", "codes"),
    [
        ("TIME_PERIOD", ["top(1)"], ["1402"]),
        ("TIME_PERIOD", ["TOP(2,1)"], ["1400", "1401"]),
        ("TIME_PERIOD", ["bottom(1)"], ["1400"]),
        ("TIME_PERIOD", ["from(1401)"], ["1401", "1402"]),
        ("TIME_PERIOD", ["to(1401)"], ["1400", "1401"]),
        ("TIME_PERIOD", ["range(1402,1401)"], ["1401", "1402"]),
        ("TIME_PERIOD", ["140?"], ["1400", "1401", "1402"]),
        ("REF_AREA", ["S200*"], ["S2001", "S2002"]),
        ("REF_AREA", ["*2"], ["S2002"]),
        ("REF_AREA", ["*"], ["S20", "S2001", "S2002"]),
        ("REF_AREA", ["s2002", "S20"], ["S20", "S2002"]),  # code-list order, any case
        ("SEX", ["top(1)"], ["T"]),  # not time: from the first code
    ],
)
def test_pxweb_expressions(cube: Cube, dimension: str, expressions: list, codes: list) -> None:
    assert pxweb_value_codes(cube.dimension(dimension), expressions) == codes


@pytest.mark.parametrize(
    ("expressions", "message"),
    [
        (["1399"], "unknown code '1399' in '1399' for variable 'TIME_PERIOD'"),
        (["range(1400)"], r"range\(a,b\) takes two codes"),
        (["top(x)"], "'x' is not a whole number"),
        (["13*"], "'13\\*' matches no code"),
        (["from(1390)"], "unknown code '1390'"),
    ],
)
def test_pxweb_bad_expressions(cube: Cube, expressions: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pxweb_value_codes(cube.dimension("TIME_PERIOD"), expressions)


def test_pxweb_selection_knows_contents_code(cube: Cube) -> None:
    selection = pxweb_selection(
        cube, {"ContentsCode": ["*"], "TIME_PERIOD": ["top(1)"], "SEX": ["M", "F"]}
    )
    assert selection == {"TIME_PERIOD": ["1402"], "SEX": ["M", "F"]}
    assert cube.select(selection).shape == (3, 2, 1)
    with pytest.raises(ValueError, match="unknown dimension 'AGE'"):
        pxweb_selection(cube, {"AGE": ["*"]})
    with pytest.raises(ValueError, match="for variable 'ContentsCode'"):
        pxweb_selection(cube, {"ContentsCode": ["POP"]})


def test_sdmx_keys(cube: Cube) -> None:
    assert sdmx_key_selection(cube, "S2002+S2001.") == {"REF_AREA": ["S2001", "S2002"]}
    assert sdmx_key_selection(cube, ".F") == {"SEX": ["F"]}
    assert sdmx_key_selection(cube, "all") == {}
    with pytest.raises(ValueError, match=r"has 3 part\(s\); dataflow 'LFS_UNEMP' has 2"):
        sdmx_key_selection(cube, "S20.T.1402")
    with pytest.raises(ValueError, match="unknown code 'X' for dimension 'SEX'"):
        sdmx_key_selection(cube, "S20.X")


def test_sdmx_periods(cube: Cube, pop_cube: Cube) -> None:
    assert sdmx_period_selection(cube, start_period="1401") == {"TIME_PERIOD": ["1401", "1402"]}
    assert sdmx_period_selection(cube, end_period="1400") == {"TIME_PERIOD": ["1400"]}
    assert sdmx_period_selection(cube) == {}
    with pytest.raises(ValueError, match="no period of dataflow 'LFS_UNEMP' lies between 1403"):
        sdmx_period_selection(cube, start_period="1403")
    with pytest.raises(ValueError, match="no time dimension"):
        sdmx_period_selection(pop_cube, start_period="1401")
