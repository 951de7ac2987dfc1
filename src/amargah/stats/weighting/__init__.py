"""Weighting: adjustments of the design weights that the variance takes into account."""
