"""Census tabulation: weighted and unweighted cross-tables with all their margins."""

from amargah.stats.tabulation.crosstab import CrossTable, crosstab

__all__ = ["CrossTable", "crosstab"]
