"""The quality report of a release, computed from its data."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.test import Client

from amargah.disclosure import selectors
from amargah.stats.quality import Dispositions, response_rates

pytestmark = pytest.mark.django_db


def test_survey_report_has_grades_and_aapor_rates_from_the_sample(
    portal: Path, client: Client
) -> None:
    client.cookies["amargah_language"] = "en"
    response = client.get("/data/tables/LFS_RATES/quality/")
    assert response.status_code == 200
    html = response.content.decode()
    for section in ("relevance", "accuracy", "timeliness", "accessibility", "coherence"):
        assert f'id="{section}"' in html
    codes = Counter(pq.read_table(portal / "lfs_households.parquet")["disposition"].to_pylist())
    expected = response_rates(
        Dispositions(
            complete=codes[1], refusal=codes[2], non_contact=codes[3], not_eligible=codes[4]
        )
    )
    report = selectors.quality_report("LFS_RATES")
    assert report.rates == expected
    assert f"RR1 {100 * (expected.rr1 or 0):.1f}%" in html
    assert report.grades and sum(report.grades.values()) > 0


def test_census_report_checks_additivity(portal: Path, client: Client) -> None:
    response = client.get("/data/tables/POP_CENSUS/quality/")
    assert response.status_code == 200
    report = selectors.quality_report("POP_CENSUS")
    assert report.frequency and report.additive is not None
    holds, checked = report.additive
    assert holds == checked > 0
    assert 'id="additivity"' in response.content.decode()


def test_unknown_table_and_version_are_404(portal: Path, client: Client) -> None:
    assert client.get("/data/tables/NOPE/quality/").status_code == 404
    assert client.get("/data/tables/POP_CENSUS/quality/?v=x").status_code == 404
    assert client.get("/data/tables/POP_CENSUS/quality/?v=99").status_code == 404
