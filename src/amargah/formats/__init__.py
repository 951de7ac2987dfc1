"""Dissemination formats (JSON-stat, SDMX, PC-Axis, DDI): writers and readers.

Like ``amargah.stats`` this package never imports Django: it renders the frozen
results of the statistical library, and the apps' ``api`` modules serve them.

`Cube` is the neutral model of a published table; each format module turns a cube
into bytes (or a ``dict`` for the JSON shapes) with a plain function:
``jsonstat``, ``sdmx``, ``px``, ``tabular`` (CSV, XLSX), ``pxweb``; ``ddi`` describes
a `Study` in DDI-Codebook 2.5.
"""

from amargah.formats.cube import (
    FLAG_LABELS,
    Code,
    Contact,
    Cube,
    Dimension,
    Flag,
    Lang,
    Measure,
    Observation,
    Role,
    Text,
    cube_from_arrow,
)

__all__ = [
    "FLAG_LABELS",
    "Code",
    "Contact",
    "Cube",
    "Dimension",
    "Flag",
    "Lang",
    "Measure",
    "Observation",
    "Role",
    "Text",
    "cube_from_arrow",
]
