"""Errors raised on bad designs and bad requests, with the column and rows at fault."""

from __future__ import annotations

from collections.abc import Sequence


class SurveyInputError(ValueError):
    """The data or the request cannot be used as given.

    Parameters
    ----------
    message
        What is wrong, in a sentence.
    column
        The column at fault, when there is one.
    rows
        The first offending rows, numbered from 1 in the order of the data.
    """

    def __init__(
        self, message: str, *, column: str | None = None, rows: Sequence[int] = ()
    ) -> None:
        self.message = message
        self.column = column
        self.rows = tuple(rows)
        text = message
        if column is not None:
            text = f"column {column!r}: {text}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows)
            text = f"{text} (first offending rows: {shown})"
        super().__init__(text)
