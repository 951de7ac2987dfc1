"""Writes, and the publication gate that every release passes through.

`publication_problems` is listed in ``PORTAL_PUBLICATION_CHECKS``: the portal calls it
with the cube of every release it is about to create or publish, and refuses the
release when it returns any problem. Each problem names the cell and the rule.
"""

from __future__ import annotations

from dataclasses import replace

from django.db import transaction
from django.utils.translation import gettext as _

from amargah.disclosure import selectors, tables
from amargah.disclosure.choices import ProtectionMethod
from amargah.disclosure.models import StudyRules
from amargah.formats.cube import Cube, Flag, Observation
from amargah.portal.models import Study
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
    every count becomes a multiple of the study's base, totals still adding up;
    estimates at or above the publishable CV lose their value (flag ``U``). Other cubes
    are returned unchanged.
    """
    rules = selectors.rules_for_cube(cube)
    if rules is None:
        return cube
    if rules.method == ProtectionMethod.ROUNDING and tables.is_frequency(cube):
        return tables.round_cube(cube, base=rules.rounding_base)
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
