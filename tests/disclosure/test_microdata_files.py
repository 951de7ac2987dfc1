"""Public-use microdata files: built by staff, refused unless k-anonymous, free to download."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client
from django.utils import translation

from amargah.disclosure import selectors, services
from amargah.disclosure.choices import PublicUseFileStatus
from amargah.disclosure.models import PublicUseFile
from amargah.portal.models import Study

pytestmark = pytest.mark.django_db

URL = "/data/studies/lfs-1405/microdata/"


def smallest_group(rows: Sequence[dict[str, Any]], keys: Sequence[str]) -> int:
    """The smallest number of records matching a record on the keys, a blank matching
    anything, counted by brute force over the distinct combinations (independent of
    the library's grouping by missingness pattern)."""
    combos = Counter(tuple(r[k] for k in keys) for r in rows)

    def matches(a: tuple[Hashable, ...], b: tuple[Hashable, ...]) -> bool:
        return all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))

    return min(sum(n for other, n in combos.items() if matches(combo, other)) for combo in combos)


def staff(*permissions: str) -> Client:
    user = User.objects.create_user("statistician", password="x", is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client = Client()
    client.force_login(user)
    return client


def test_demo_file_is_published_documented_and_downloadable(portal: Path, client: Client) -> None:
    puf = PublicUseFile.objects.get(study__code="lfs-1405")
    assert puf.status == PublicUseFileStatus.PUBLISHED and puf.k == 3
    page = client.get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "فایل‌های ریزدادهٔ عمومی" in html and 'id="puf-1"' in html
    client.cookies["amargah_language"] = "en"
    html = client.get(URL).content.decode()
    assert "Public-use microdata files" in html
    assert "in bands of 5, each named by its lower bound; 80 and over as 80" in html
    assert f"top-coded at {puf.top_codes['income']:,}" in html
    assert "<code>record_key</code>" in html  # listed among the removed variables
    # the study page points to it
    assert URL in client.get("/data/studies/lfs-1405/").content.decode()

    parquet = client.get(f"{URL}1.parquet")
    assert parquet.status_code == 200
    assert 'filename="lfs-1405-puf-v1.parquet"' in parquet["Content-Disposition"]
    table = pq.read_table(io.BytesIO(parquet.getvalue()))
    rows = table.to_pylist()
    # k-anonymous on its keys, with no identifier and no record key left
    assert smallest_group(rows, puf.keys) >= 3
    assert not set(services.forbidden_columns()) & set(table.column_names)
    assert {"stratum", "psu"}.isdisjoint(table.column_names)
    # the recodes and top-code are applied
    ages = {r["age"] for r in rows if r["age"] is not None}
    assert ages <= set(range(0, 81, 5)) and 80 in ages
    assert max(r["income"] for r in rows) == puf.top_codes["income"]
    # the CSV holds the same records
    text = client.get(f"{URL}1.csv").getvalue().decode("utf-8")
    records = list(csv.DictReader(io.StringIO(text)))
    assert len(records) == table.num_rows == puf.rows
    assert [r["age"] for r in records[:50]] == [
        "" if r["age"] is None else str(r["age"]) for r in rows[:50]
    ]


def test_risk_report_before_and_after(portal: Path) -> None:
    puf = PublicUseFile.objects.get(study__code="lfs-1405")
    before, recoded, after = (puf.risk[stage] for stage in ("before", "recoded", "after"))
    assert before["at_risk"] > recoded["at_risk"] > 0  # recoding helps, not enough
    assert after["at_risk"] == 0 and after["k"] == 3
    blanked = sum(after["suppressed"].values())
    assert blanked > 0 and after["information_loss"] == pytest.approx(
        blanked / (puf.rows * len(puf.keys))
    )
    # the file as stored has exactly the blanks the report counts (plus the source's own)
    path = selectors.microdata_path(Study.objects.get(code="lfs-1405"))
    assert path is not None
    source = pq.read_table(path, columns=list(puf.keys))
    stored = pq.read_table(io.BytesIO(_file(puf)), columns=list(puf.keys))
    for key in puf.keys:
        assert stored[key].null_count - source[key].null_count == after["suppressed"][key]


def _file(puf: PublicUseFile) -> bytes:
    from amargah.core import store

    return store.get(puf.parquet_sha256, suffix=".parquet")


def test_staff_build_and_a_file_that_fails_k_is_refused(portal: Path) -> None:
    client = staff("build_publicusefile", "publish_publicusefile")
    form = {
        "keys": ["county", "sex", "age", "education"],
        "k": "5",
        "recodes": "",
        "top_codes": "income = 5000000000",
        "drop": list(services.forbidden_columns()),
    }
    # without local suppression the exact ages leave records alone on the keys
    response = client.post(f"{URL}new/", form)
    assert response.status_code == 302
    draft = PublicUseFile.objects.get(study__code="lfs-1405", version=2)
    assert draft.status == PublicUseFileStatus.DRAFT and not draft.local_suppression
    assert draft.risk["after"]["at_risk"] > 0
    # the public sees neither the draft nor its file
    anonymous = Client()
    assert 'id="puf-2"' not in anonymous.get(URL).content.decode()
    assert anonymous.get(f"{URL}2.csv").status_code == 404
    # publishing it is refused, with the reason
    anonymous.cookies["amargah_language"] = "en"
    client.cookies["amargah_language"] = "en"
    refused = client.post(f"{URL}2/publish")
    assert refused.status_code == 400
    html = refused.content.decode()
    assert "cannot be published" in html
    assert "share their values of county, sex, age, education with fewer than 5" in html
    draft.refresh_from_db()
    assert draft.status == PublicUseFileStatus.DRAFT
    # with local suppression the same request reaches k and is published
    response = client.post(f"{URL}new/", {**form, "local_suppression": "on"})
    assert response.status_code == 302
    assert client.post(f"{URL}3/publish").status_code == 302
    published = PublicUseFile.objects.get(study__code="lfs-1405", version=3)
    assert published.status == PublicUseFileStatus.PUBLISHED
    table = pq.read_table(io.BytesIO(anonymous.get(f"{URL}3.parquet").getvalue()))
    assert smallest_group(table.to_pylist(), form["keys"]) >= 5


def test_publication_gate_refuses_a_file_below_k(portal: Path) -> None:
    study = Study.objects.get(code="lfs-1405")
    puf = services.public_use_file_build(
        study=study,
        keys=["county", "age"],
        k=3,
        drop=services.forbidden_columns(),
        local_suppression=False,
    )
    with translation.override("en"), pytest.raises(services.PublicUseFileRefused) as refused:
        services.public_use_file_publish(puf=puf)
    assert "with fewer than 3 records in all" in refused.value.problems[0]
    puf.refresh_from_db()
    assert puf.status == PublicUseFileStatus.DRAFT and puf.published_at is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"drop": ["person_id", "hh_id", "ea_id"]}, "identifies records directly"),
        ({"recodes": "nosuch = 5"}, "There is no variable “nosuch”"),
        ({"recodes": "age = five"}, "Line 1"),
        ({"top_codes": "sex_label = 3"}, "There is no variable “sex_label”"),
        ({"keys": ["county"], "drop": ["county", *services.forbidden_columns()]}, "cannot also"),
    ],
)
def test_bad_requests_say_what_and_change_nothing(
    portal: Path, change: dict[str, Any], message: str
) -> None:
    client = staff("build_publicusefile")
    client.cookies["amargah_language"] = "en"
    form = {"keys": ["county", "sex"], "k": "3", "drop": list(services.forbidden_columns())}
    response = client.post(f"{URL}new/", {**form, **change})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert PublicUseFile.objects.count() == 1  # the demo's only


def test_staff_pages_need_login_and_permission(portal: Path, client: Client) -> None:
    assert client.get(f"{URL}new/").status_code == 302
    assert client.post(f"{URL}1/publish").status_code == 302
    nobody = staff()
    assert nobody.get(f"{URL}new/").status_code == 403
    assert nobody.post(f"{URL}1/publish").status_code == 403
    assert client.get(f"{URL}1.xlsx").status_code == 404
    assert client.get("/data/studies/nosuch/microdata/").status_code == 404


def test_persian_form(portal: Path) -> None:
    client = staff("build_publicusefile")
    html = client.get(f"{URL}new/").content.decode()
    assert "ساخت فایل ریزدادهٔ عمومی" in html and 'name="keys"' in html
