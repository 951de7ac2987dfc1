"""Writes, and the publication gate that every release passes through.

`publication_problems` is listed in ``PORTAL_PUBLICATION_CHECKS``: the portal calls it
with the cube of every release it is about to create or publish, and refuses the
release when it returns any problem. Each problem names the cell and the rule.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import asdict, replace
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from amargah.core import store
from amargah.disclosure import cellkey, selectors, tables
from amargah.disclosure.choices import DisclosureErrorCode, ProtectionMethod, PublicUseFileStatus
from amargah.disclosure.models import PublicUseFile, StudyRules
from amargah.formats.cube import Cube, Flag, Observation
from amargah.portal.models import Study
from amargah.stats.disclosure import microdata
from amargah.stats.quality import grade

# A table with more problems than this is refused with the first ones and a count:
# the message is for a person to read.
MAX_PROBLEMS_LISTED = 20


@transaction.atomic
def study_rules_set(
    *,
    study: Study,
    method: ProtectionMethod = ProtectionMethod.SUPPRESSION,
    threshold: int = 3,
    rounding_base: int = 5,
    dominance_n: int | None = None,
    dominance_k: float | None = None,
    p_percent: float | None = None,
    cv_reliable: float = 0.15,
    cv_publishable: float = 0.30,
) -> StudyRules:
    """Configure the disclosure rules of ``study`` (validated; replaces earlier ones)."""
    rules = StudyRules.objects.filter(study=study).first() or StudyRules(study=study)
    rules.method = method
    rules.threshold = threshold
    rules.rounding_base = rounding_base
    rules.dominance_n = dominance_n
    rules.dominance_k = dominance_k
    rules.p_percent = p_percent
    rules.cv_reliable = cv_reliable
    rules.cv_publishable = cv_publishable
    rules.full_clean()
    rules.save()
    return rules


def publication_problems(cube: Cube) -> list[str]:
    """What forbids publishing ``cube`` under its study's rules (empty when nothing).

    * an estimate whose CV is at or above the study's publishable limit carries a value;
    * with rules set to cell suppression, a published count is below the threshold;
    * with rules set to cell-key perturbation, a published count is not the cell's
      perturbed count (the table was not perturbed, or not from the census microdata);
    * a withheld cell can be recovered exactly from the published cells and margins.
    """
    rules = selectors.rules_for_cube(cube)
    reliable, publishable = selectors.cv_thresholds(rules)
    problems: list[str] = []
    for key, obs in cube.observations.items():
        if obs.value is None or obs.cv is None:
            continue
        if not grade(obs.cv, reliable_below=reliable, publishable_below=publishable).publishable:
            problems.append(
                _(
                    "cell %(cell)s: its coefficient of variation %(cv).1f%% is not below "
                    "%(limit).0f%%; publish it without a value, flagged as unreliable"
                )
                % {
                    "cell": tables.describe(cube, key),
                    "cv": 100 * obs.cv,
                    "limit": 100 * publishable,
                }
            )
    frequency = tables.is_frequency(cube)
    if rules is not None and rules.method == ProtectionMethod.SUPPRESSION and frequency:
        for key in tables.below_threshold(cube, threshold=rules.threshold):
            problems.append(
                _("cell %(cell)s: %(count)s contributors, fewer than the minimum %(threshold)s")
                % {
                    "cell": tables.describe(cube, key),
                    "count": int(cube.observations[key].value or 0),
                    "threshold": rules.threshold,
                }
            )
    if rules is not None and rules.method == ProtectionMethod.CELL_KEY and frequency:
        problems += _cell_key_problems(cube)
    if rules is not None and rules.method == ProtectionMethod.ROUNDING and frequency:
        for key in tables.not_rounded(cube, base=rules.rounding_base):
            problems.append(
                _("cell %(cell)s: %(count)s is not a multiple of the rounding base %(base)s")
                % {
                    "cell": tables.describe(cube, key),
                    "count": int(cube.observations[key].value or 0),
                    "base": rules.rounding_base,
                }
            )
    if frequency and tables.withheld(cube):
        problems += _withheld_problems(cube)
    if len(problems) > MAX_PROBLEMS_LISTED:
        more = len(problems) - MAX_PROBLEMS_LISTED
        problems = [*problems[:MAX_PROBLEMS_LISTED], _("and %(more)s more") % {"more": more}]
    return problems


def _cell_key_problems(cube: Cube) -> list[str]:
    """Cells of a cell-key study's table that do not show their perturbed count."""
    try:
        wrong = cellkey.mismatches(cube)
    except cellkey.NotPerturbable as error:
        return [_("the study protects its tables by cell-key perturbation, but %(reason)s")
                % {"reason": error}]  # fmt: skip
    return [
        _(
            "cell %(cell)s: published as %(value)s, but its cell-key perturbed count is "
            "%(expected)s; protect the table with the study's cell-key perturbation"
        )
        % {"cell": tables.describe(cube, key), "value": round(value), "expected": expected}
        for key, value, expected in wrong
    ]


def _withheld_problems(cube: Cube) -> list[str]:
    """Withheld cells that the study's other published tables reveal, or that all the
    published cells and margins together determine exactly."""
    try:
        leaks, found = tables.linked_check(cube, selectors.linked_cubes(cube))
    except ValueError:
        return [_("this table and another published table of its study disagree on a shared cell")]
    problems = [
        _("cell %(cell)s: suppressed here, but published in table %(table)s")
        % {"cell": tables.describe(cube, key), "table": other}
        for key, other in leaks
    ]
    problems += [
        _(
            "cell %(cell)s: suppressed, but its value follows exactly from the "
            "published cells and margins"
        )
        % {"cell": tables.describe(cube, key)}
        for key in found
    ]
    return problems


def protect_cube(cube: Cube) -> Cube:
    """The cube as its study's rules allow it to be published.

    Frequency cubes of a study protected by cell suppression get their small cells,
    and enough others to hide them, withheld (flag ``C``); with controlled rounding,
    every count becomes a multiple of the study's base, totals still adding up; with
    cell-key perturbation, every count of census persons becomes its perturbed count
    (the table builder's keys and ptable; small counts flagged ``U``); estimates at or
    above the publishable CV lose their value (flag ``U``). Other cubes
    are returned unchanged.
    """
    rules = selectors.rules_for_cube(cube)
    if rules is None:
        return cube
    if rules.method == ProtectionMethod.ROUNDING and tables.is_frequency(cube):
        return tables.round_cube(cube, base=rules.rounding_base)
    if rules.method == ProtectionMethod.CELL_KEY and tables.is_frequency(cube):
        try:
            return cellkey.perturb_cube(cube)
        except cellkey.NotPerturbable:
            # left as it is: the gate refuses it and says why
            return cube
    if rules.method == ProtectionMethod.SUPPRESSION and tables.is_frequency(cube):
        return tables.suppress(cube, threshold=rules.threshold, others=selectors.linked_cubes(cube))
    reliable, publishable = selectors.cv_thresholds(rules)
    changed = False
    observations = dict(cube.observations)
    for key, obs in cube.observations.items():
        if obs.value is not None and obs.cv is not None:
            quality = grade(obs.cv, reliable_below=reliable, publishable_below=publishable)
            if not quality.publishable:
                observations[key] = Observation(
                    value=None, status=Flag.UNRELIABLE, cv=obs.cv, quality=quality.code
                )
                changed = True
    if not changed:
        return cube
    return replace(cube, observations=observations)


# Public-use microdata files


class PublicUseFileRefused(ValidationError):
    """A public-use file failed the checks for publication; ``problems`` says why."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            _("This public-use file cannot be published: %(problems)s")
            % {"problems": "; ".join(self.problems)},
            code=DisclosureErrorCode.NOT_K_ANONYMOUS,
        )


def _bad(message: str, **params: object) -> ValidationError:
    return ValidationError(
        message % params if params else message, code=DisclosureErrorCode.BAD_PUBLIC_USE_FILE
    )


def _recode_value(value: Any, spec: Mapping[str, Any]) -> Any:
    """One value through a recode spec: ``{"width": w, "top": t}`` or ``{"map": {...}}``."""
    if value is None:
        return None
    if "map" in spec:
        return spec["map"].get(str(value), value)
    width, top = spec["width"], spec.get("top")
    band = int(value // width * width)
    return min(band, top) if top is not None else band


def _check_spec(
    columns: Sequence[str],
    keys: Sequence[str],
    k: int,
    recodes: Mapping[str, Mapping[str, Any]],
    top_codes: Mapping[str, float],
    drop: Sequence[str],
    numeric: set[str],
) -> None:
    """Refuse a request that names unknown variables or makes no sense (before any work)."""
    for name in [*keys, *recodes, *top_codes, *drop]:
        if name not in columns:
            raise _bad(_("There is no variable “%(name)s” in the microdata."), name=name)
    if not keys:
        raise _bad(_("Choose at least one key variable."))
    if k < 2:
        raise _bad(_("k must be at least 2."))
    for name in keys:
        if name in drop:
            raise _bad(_("The key variable “%(name)s” cannot also be dropped."), name=name)
    for name in forbidden_columns():
        if name in columns and name not in drop:
            raise _bad(
                _("The variable “%(name)s” identifies records directly; drop it."), name=name
            )
    for name, spec in recodes.items():
        if "map" in spec:
            if not isinstance(spec["map"], Mapping) or not spec["map"]:
                raise _bad(_("The recode of “%(name)s” maps no value."), name=name)
            continue
        width = spec.get("width")
        if name not in numeric or not isinstance(width, int) or width < 1:
            raise _bad(
                _("“%(name)s” can be recoded into bands only if it is numeric, by a whole width."),
                name=name,
            )
    for name, cap in top_codes.items():
        if name not in numeric or not isinstance(cap, int | float):
            raise _bad(_("Only a numeric variable can be top-coded: “%(name)s”."), name=name)


def _account(user: AbstractBaseUser | AnonymousUser | None) -> User | None:
    """The staff account to record, if any (scripts and the demo act as nobody)."""
    return user if isinstance(user, User) else None


def _report(report: microdata.RiskReport) -> dict[str, Any]:
    return {**asdict(report), "suppressed": dict(report.suppressed)}


def _file_bytes(table: pa.Table) -> tuple[bytes, bytes]:
    """The file as CSV (UTF-8, header) and as Parquet (zstd) bytes."""
    csv_out = io.BytesIO()
    pa_csv.write_csv(table, csv_out)
    parquet_out = io.BytesIO()
    pq.write_table(table, parquet_out, compression="zstd")
    return csv_out.getvalue(), parquet_out.getvalue()


@transaction.atomic
def public_use_file_build(
    *,
    study: Study,
    keys: Sequence[str],
    k: int,
    recodes: Mapping[str, Mapping[str, Any]] | None = None,
    top_codes: Mapping[str, float] | None = None,
    drop: Sequence[str] = (),
    importance: Sequence[str] | None = None,
    local_suppression: bool = True,
    by: AbstractBaseUser | AnonymousUser | None = None,
) -> PublicUseFile:
    """Build a draft public-use file of ``study``'s microdata (see `PublicUseFile`).

    The variables in ``drop`` are removed; ``recodes`` merge categories (a numeric
    variable into bands of ``width`` with everything from ``top`` up in one band, named
    by its lower bound; or any variable through a ``map`` of codes); ``top_codes`` cap
    numeric variables (in their unit); then, with ``local_suppression``, key values are
    blanked, least important key first, until every combination of the ``keys`` is
    shared by at least ``k`` records. The risk report records the file before any
    change, after recoding and at the end.
    """
    recodes = dict(recodes or {})
    top_codes = dict(top_codes or {})
    path = selectors.microdata_path(study)
    if path is None:
        raise ValidationError(
            _("The study %(study)s has no microdata to build a public-use file from.")
            % {"study": study.code},
            code=DisclosureErrorCode.NO_MICRODATA,
        )
    source = pq.read_table(path)
    numeric = {
        f.name for f in source.schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
    }
    _check_spec(source.column_names, keys, k, recodes, top_codes, drop, numeric)
    records = source.drop_columns(list(drop)).to_pylist()
    before = microdata.risk_report(records, keys, k=k)
    for name, spec in recodes.items():
        records = microdata.global_recode(records, name, partial(_recode_value, spec=spec))
    for name, cap in top_codes.items():
        records = microdata.top_code(records, name, cap=cap)
    recoded = microdata.risk_report(records, keys, k=k)
    suppressed: dict[str, int] = {}
    if local_suppression:
        try:
            records, suppressed = microdata.local_suppression(
                records, keys, k=k, importance=importance
            )
        except ValueError as error:
            raise _bad(
                _("k = %(k)s cannot be reached: the file has fewer records."), k=k
            ) from error
    after = microdata.risk_report(records, keys, k=k, suppressed=suppressed)
    columns = [c for c in source.column_names if c not in drop]
    table = pa.Table.from_pylist(records).select(columns)
    csv_bytes, parquet_bytes = _file_bytes(table)
    latest = (
        PublicUseFile.objects.select_for_update()
        .filter(study=study)
        .aggregate(latest=Max("version"))["latest"]
    )
    puf = PublicUseFile(
        study=study,
        version=(latest or 0) + 1,
        source=path.name,
        keys=list(keys),
        k=k,
        recodes=recodes,
        top_codes=top_codes,
        dropped=list(drop),
        local_suppression=local_suppression,
        columns=columns,
        rows=table.num_rows,
        csv_sha256=store.put(csv_bytes, suffix=".csv"),
        parquet_sha256=store.put(parquet_bytes, suffix=".parquet"),
        risk={
            "before": _report(before),
            "recoded": _report(recoded),
            "after": _report(after),
        },
        created_by=_account(by),
    )
    puf.full_clean()
    puf.save()
    return puf


def public_use_file_problems(puf: PublicUseFile) -> list[str]:
    """What forbids publishing the file (empty when nothing), read from the stored file.

    * a variable that identifies records directly is in it;
    * a combination of the key variables is shared by fewer than ``k`` records.
    """
    table = pq.read_table(io.BytesIO(store.get(puf.parquet_sha256, suffix=".parquet")))
    problems = [
        _("the variable “%(name)s” identifies records directly") % {"name": name}
        for name in forbidden_columns()
        if name in table.column_names
    ]
    missing = [key for key in puf.keys if key not in table.column_names]
    if missing:
        return [
            *problems,
            _("the key variables %(names)s are not in the file") % {"names": ", ".join(missing)},
        ]
    records = table.select(list(puf.keys)).to_pylist()
    at_risk = microdata.k_anonymity_violations(records, puf.keys, k=puf.k)
    if at_risk:
        problems.append(
            _(
                "%(count)s records share their values of %(keys)s with fewer than %(k)s "
                "records in all (the first is record %(first)s); recode further or apply "
                "local suppression"
            )
            % {
                "count": len(at_risk),
                "keys": ", ".join(puf.keys),
                "k": puf.k,
                "first": at_risk[0] + 1,
            }
        )
    return problems


@transaction.atomic
def public_use_file_publish(
    *, puf: PublicUseFile, by: AbstractBaseUser | AnonymousUser | None = None
) -> PublicUseFile:
    """Publish the file (downloadable without login); refused unless it passes the checks."""
    puf = PublicUseFile.objects.select_for_update().get(pk=puf.pk)
    if puf.status == PublicUseFileStatus.PUBLISHED:
        return puf
    problems = public_use_file_problems(puf)
    if problems:
        raise PublicUseFileRefused(problems)
    puf.status = PublicUseFileStatus.PUBLISHED
    puf.published_at = timezone.now()
    puf.published_by = _account(by)
    puf.save(update_fields=["status", "published_at", "published_by"])
    return puf


def forbidden_columns() -> tuple[str, ...]:
    """Variables no public-use file may hold (``DISCLOSURE_PUF_FORBIDDEN``): direct
    identifiers, and the census record key (the secret behind cell-key perturbation)."""
    default = ("record_key", "person_id", "hh_id", "ea_id")
    return tuple(getattr(settings, "DISCLOSURE_PUF_FORBIDDEN", default))


# The demo's public-use file of the labour force survey: identifiers, the sample's
# geography below the county (which would undo suppressed keys) and the design's
# internals are dropped.
DEMO_PUF_DROP = ("person_id", "hh_id", "line", "ea_id", "psu", "stratum", "record_key",
                 "prob1", "prob2", "fpc1", "fpc2", "base_weight")  # fmt: skip
DEMO_PUF_KEYS = ("county", "area", "sex", "age", "education", "activity")


def public_use_file_demo(study: Study) -> PublicUseFile | None:
    """Build and publish the demo public-use file of ``study`` (None without microdata).

    Keys: county, urban/rural, sex, age in five-year bands (80 and over in one),
    education, activity; k = 3; income top-coded at its 99th percentile.
    """
    path = selectors.microdata_path(study)
    if path is None:
        return None
    income = pq.read_table(path, columns=["income"])["income"].to_numpy()
    cap = float(np.quantile(income, 0.99))
    # a round figure, as an office would publish it: two significant digits
    cap = float(np.round(cap, -int(np.floor(np.log10(cap))) + 1)) if cap > 0 else 0.0
    puf = public_use_file_build(
        study=study,
        keys=DEMO_PUF_KEYS,
        k=3,
        recodes={"age": {"width": 5, "top": 80}},
        top_codes={"income": int(cap)},
        drop=DEMO_PUF_DROP,
    )
    return public_use_file_publish(puf=puf)
