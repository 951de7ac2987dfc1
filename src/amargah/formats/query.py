"""Selections from the query languages of the APIs, resolved against a cube.

The portal's endpoints parse HTTP; these functions turn what a client asked for
(a PxWeb ``valueCodes`` expression, an SDMX key and period range) into the
``{dimension: [codes]}`` that `Cube.select` takes, or raise a `ValueError` whose
message names the dimension, code or expression at fault (the endpoint turns it into
problem+json or an SDMX error message).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from amargah.formats.cube import Cube, Dimension, Role

_CALL = re.compile(r"(?i)(top|bottom|range|from|to)\((.*)\)")


def _codes_matching(dim: Dimension, pattern: str) -> list[str]:
    # '*' any run of characters, '?' one character; nothing else is special.
    regex = re.compile(
        "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern),
        re.IGNORECASE,
    )
    return [c for c in dim.code_ids if regex.fullmatch(c)]


def _position(dim: Dimension, code: str, expression: str) -> int:
    for i, c in enumerate(dim.code_ids):
        if c.lower() == code.strip().lower():
            return i
    raise ValueError(f"unknown code {code.strip()!r} in {expression!r} for variable {dim.id!r}")


def _count(text: str, expression: str) -> int:
    if not text.strip().isdigit():
        raise ValueError(f"{expression!r}: {text.strip()!r} is not a whole number")
    return int(text)


def pxweb_value_codes(dim: Dimension, expressions: Sequence[str]) -> list[str]:
    """The codes of `dim` that PxWeb ``valueCodes`` expressions select, in code-list order.

    Parameters
    ----------
    dim
        The variable.
    expressions
        Codes and expressions (case-insensitive): a code; ``*`` and ``?`` masks
        (``14*``, ``*02``, ``140?``); ``top(n[,offset])`` and ``bottom(n[,offset])``;
        ``range(a,b)``, ``from(a)``, ``to(b)`` (inclusive, in code-list order). For the
        time variable ``top`` counts from the latest period (``top(1)`` is the latest),
        for other variables from the first code; ``bottom`` the other way round.

    Raises
    ------
    ValueError
        Naming the unknown code or the malformed expression.

    Examples
    --------
    >>> from amargah.formats.examples import small_cube
    >>> year = small_cube().dimension("TIME_PERIOD")
    >>> pxweb_value_codes(year, ["top(1)"]), pxweb_value_codes(year, ["14*"])
    (['1402'], ['1401', '1402'])
    """
    codes = dim.code_ids
    chosen: set[str] = set()
    for expression in expressions:
        text = expression.strip()
        call = _CALL.fullmatch(text)
        if call is not None:
            name, args = call.group(1).lower(), call.group(2).split(",")
            if name in ("top", "bottom"):
                if not 1 <= len(args) <= 2:
                    raise ValueError(f"{expression!r}: {name}(n) or {name}(n,offset)")
                n = _count(args[0], expression)
                offset = _count(args[1], expression) if len(args) == 2 else 0
                # "top" starts at the latest period for time, at the first code otherwise.
                from_end = (name == "top") == (dim.role is Role.TIME)
                ordered = list(reversed(codes)) if from_end else list(codes)
                chosen.update(ordered[offset : offset + n])
            elif name == "range":
                if len(args) != 2:
                    raise ValueError(f"{expression!r}: range(a,b) takes two codes")
                a, b = _position(dim, args[0], expression), _position(dim, args[1], expression)
                chosen.update(codes[min(a, b) : max(a, b) + 1])
            else:
                if len(args) != 1:
                    raise ValueError(f"{expression!r}: {name}(code) takes one code")
                at = _position(dim, args[0], expression)
                chosen.update(codes[at:] if name == "from" else codes[: at + 1])
        elif "*" in text or "?" in text:
            matched = _codes_matching(dim, text)
            if not matched:
                raise ValueError(f"{expression!r} matches no code of variable {dim.id!r}")
            chosen.update(matched)
        else:
            chosen.add(codes[_position(dim, text, expression)])
    if not chosen:
        raise ValueError(f"the selection for variable {dim.id!r} is empty")
    return [c for c in codes if c in chosen]


def pxweb_selection(
    cube: Cube, value_codes: Mapping[str, Sequence[str]], *, contents_code: str = "ContentsCode"
) -> dict[str, list[str]]:
    """``{variable: expressions}`` of a PxWeb query as ``{dimension: [codes]}``.

    The ``ContentsCode`` variable that PxWeb adds to a cube without a metric dimension
    (see ``amargah.formats.pxweb.with_contents``) accepts the measure's id and is left
    out of the result, since the cube itself has no such dimension.

    Raises
    ------
    ValueError
        Naming the unknown variable, code or expression.
    """
    selection: dict[str, list[str]] = {}
    for variable, expressions in value_codes.items():
        if variable == contents_code and cube.metric_dimension is None:
            measure = cube.measures[0].id
            for e in expressions:
                if e.strip() not in ("*", measure) and not _CALL.fullmatch(e.strip()):
                    raise ValueError(f"unknown code {e!r} for variable {contents_code!r}")
            continue
        selection[variable] = pxweb_value_codes(cube.dimension(variable), expressions)
    return selection


def sdmx_key_selection(cube: Cube, key: str) -> dict[str, list[str]]:
    """An SDMX-REST data key (``S2001+S2002..``) as ``{dimension: [codes]}``.

    Parameters
    ----------
    cube
        The dataflow's cube.
    key
        Codes of the dimensions other than time, in the DSD's order, joined by ``.``;
        ``+`` joins alternatives; an empty part is a wildcard; ``all`` (or nothing) is
        the whole cube.

    Raises
    ------
    ValueError
        When the key has the wrong number of parts or names an unknown code (the
        REST answer is SDMX error 140 or 100).

    Examples
    --------
    >>> from amargah.formats.examples import small_cube
    >>> sdmx_key_selection(small_cube(), "S2002")
    {'REF_AREA': ['S2002']}
    """
    dims = [d for d in cube.dimensions if d.role is not Role.TIME]
    if key in ("", "all"):
        return {}
    parts = key.split(".")
    if len(parts) != len(dims):
        raise ValueError(
            f"the key {key!r} has {len(parts)} part(s); dataflow {cube.id!r} has "
            f"{len(dims)} dimension(s) in its key: {'.'.join(d.id for d in dims)}"
        )
    selection: dict[str, list[str]] = {}
    for dim, part in zip(dims, parts, strict=True):
        if part == "":
            continue
        known = set(dim.code_ids)
        codes = part.split("+")
        for code in codes:
            if code not in known:
                raise ValueError(f"unknown code {code!r} for dimension {dim.id!r} in key {key!r}")
        selection[dim.id] = [c for c in dim.code_ids if c in set(codes)]
    return selection


def sdmx_period_selection(
    cube: Cube, *, start_period: str | None = None, end_period: str | None = None
) -> dict[str, list[str]]:
    """``startPeriod``/``endPeriod`` as ``{time dimension: [periods]}`` (inclusive).

    Periods compare as text, which orders codes of one form (``1401``, ``1402``;
    ``1402-Q1``, ``1402-Q2``) correctly; a period of the year form also covers the
    sub-periods of that year (``endPeriod=1402`` keeps ``1402-Q4``).

    Raises
    ------
    ValueError
        When the cube has no time dimension, or no period is in the range (SDMX
        error 100: the REST answer is 404).
    """
    if start_period is None and end_period is None:
        return {}
    time = cube.time_dimension
    if time is None:
        raise ValueError(f"dataflow {cube.id!r} has no time dimension for startPeriod/endPeriod")
    kept = [
        c
        for c in time.code_ids
        if (start_period is None or c >= start_period)
        and (end_period is None or c[: len(end_period)] <= end_period)
    ]
    if not kept:
        raise ValueError(
            f"no period of dataflow {cube.id!r} lies between {start_period or '…'} and "
            f"{end_period or '…'}; its periods are {time.code_ids[0]} to {time.code_ids[-1]}"
        )
    return {time.id: kept}
