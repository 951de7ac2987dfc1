"""Estimators: Taylor linearisation over PSU-level aggregates."""
