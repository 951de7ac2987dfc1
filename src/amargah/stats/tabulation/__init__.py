"""Census tabulation: weighted and unweighted cross-tabulations with all margins."""

from amargah.stats.tabulation.cross import CrossTable, cross_tabulate

__all__ = ["CrossTable", "cross_tabulate"]
