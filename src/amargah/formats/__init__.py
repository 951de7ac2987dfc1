"""Dissemination formats (JSON-stat, SDMX, PC-Axis, DDI): writers and readers.

Like ``amargah.stats`` this package never imports Django: it renders the frozen
results of the statistical library, and the apps' ``api`` modules serve them.
"""
