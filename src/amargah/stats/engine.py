"""The narrow interface between the statistical library and the storage of microdata.

Every pass over rows that the estimators make is an aggregation written as a sqlglot
expression. An engine registers data sources under a name, renders expressions for its
own SQL dialect and returns the (small) aggregated result as an Arrow table. DuckDB,
embedded, is the default engine; a Spark engine renders the same expressions for the
``spark`` dialect.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import duckdb
import pyarrow as pa
from sqlglot import exp

FileFormat = Literal["parquet", "csv"]

_counter = itertools.count()
_counter_lock = threading.Lock()


def fresh_name(prefix: str) -> str:
    """Return a relation name unique within this process (used for registered sources)."""
    with _counter_lock:
        return f"amargah_{prefix}_{next(_counter)}"


def release_with(owner: object, engine: Engine, names: Sequence[str]) -> None:
    """Release the relations ``names`` from ``engine`` once ``owner`` is garbage.

    ``owner`` is the object whose life the relations share: every object that refers to
    them by name must hold it. Nothing is released at interpreter exit (the engine goes
    too).
    """
    release = weakref.finalize(owner, _release, engine, tuple(names))
    release.atexit = False


def _release(engine: Engine, names: Sequence[str]) -> None:
    for name in names:
        engine.release(name)


class Engine(Protocol):
    """What the estimators need from a SQL engine.

    Names given to ``register_*`` are relation names that later expressions refer to
    with ``exp.to_table(name)``.
    """

    dialect: str

    def register_arrow(self, name: str, table: pa.Table, *, lookup: bool = False) -> None:
        """Make an in-memory Arrow table queryable under ``name``.

        ``lookup`` marks a small table that queries join every row to (a design's
        units): the engine may copy it into its own storage, so that what it knows of
        the values (their ranges) carries into the join's result.
        """
        ...

    def register_file(
        self, name: str, path: Path, *, file_format: FileFormat, row_number: str
    ) -> None:
        """Make a Parquet or CSV file queryable under ``name``.

        The relation gets an extra column ``row_number``: the 0-based position of each
        row in the file, used to report offending rows and as the unit when every row
        is its own PSU.
        """
        ...

    def schema(self, name: str) -> pa.Schema:
        """Arrow schema of a registered relation."""
        ...

    def execute(self, query: exp.Expr, *, dense_group_bits: int | None = None) -> pa.Table:
        """Run one query built with sqlglot and return its result as Arrow.

        ``dense_group_bits`` lets the query's groupings use a directly indexed table of
        up to ``2**dense_group_bits`` slots (per thread) where the engine knows the
        ranges of the grouping keys; the caller sizes it to the aggregates it asks for.
        Engines without such tables ignore it.
        """
        ...

    def unregister(self, name: str) -> None:
        """Forget a registered relation."""
        ...

    def release(self, name: str) -> None:
        """Forget a registered relation once nothing uses it any more.

        Safe to call from a garbage collector's finalizer, at any moment and on any
        thread: the engine forgets the relation at its next call.
        """
        ...


class DuckDBEngine:
    """Embedded DuckDB: one in-memory connection per engine.

    Parameters
    ----------
    threads
        Worker threads DuckDB may use; ``None`` lets DuckDB choose (all cores).
    """

    dialect = "duckdb"

    def __init__(self, *, threads: int | None = None) -> None:
        config: dict[str, str | bool | int | float | list[str]] = {}
        if threads is not None:
            config["threads"] = threads
        self._connection = duckdb.connect(":memory:", config=config)
        # Amargah reads local files, which the OS already caches: DuckDB's prefetching
        # copies whole column chunks into fresh buffers first, which here doubled the
        # peak memory and made a 10M-row pass about 10% slower (bench/estimate.py);
        # the setting belongs to the Parquet extension, so it is set once connected
        self._connection.execute("SET disable_parquet_prefetching = true")
        # one connection is shared by the designs built on this engine; DuckDB
        # connections are not safe for concurrent use from several threads
        self._lock = threading.Lock()
        self._tables: set[str] = set()  # relations held as temporary tables
        self._views: set[str] = set()  # relations that are views over files
        # relations released by finalizers, forgotten at the next call under the lock
        # (a finalizer may run while this thread holds it)
        self._released: list[str] = []

    def register_arrow(self, name: str, table: pa.Table, *, lookup: bool = False) -> None:
        with self._lock:
            self._forget_released()
            if not lookup:
                self._connection.register(name, table)
                return
            # a temporary table keeps value statistics, which a registered Arrow table
            # has not: a join to it then gives keys of known range, and DuckDB groups
            # by such keys in a directly indexed ("perfect hash") table
            source = fresh_name("lookup_source")
            self._connection.register(source, table)
            try:
                create = exp.Create(
                    this=exp.to_table(name),
                    kind="TABLE",
                    properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
                    expression=exp.select(exp.Star()).from_(exp.to_table(source)),
                )
                self._connection.execute(create.sql(dialect=self.dialect))
            finally:
                self._connection.unregister(source)
            self._tables.add(name)

    def register_file(
        self, name: str, path: Path, *, file_format: FileFormat, row_number: str
    ) -> None:
        if file_format == "csv":
            # CSV files are read once into memory: their scan order is then the file
            # order, and the row number is a plain column
            scan = exp.select(exp.Star()).from_(exp.func("read_csv", exp.Literal.string(str(path))))
            table = self.execute(scan)
            table = table.append_column(
                row_number, pa.array(range(table.num_rows), type=pa.int64())
            )
            self.register_arrow(name, table)
            return
        file_row = exp.column("file_row_number")
        source = exp.select(
            exp.Star(except_=[file_row.copy()]), file_row.copy().as_(row_number, quoted=True)
        ).from_(
            exp.ReadParquet(
                expressions=[
                    exp.Literal.string(str(path)),
                    exp.EQ(this=file_row.copy(), expression=exp.true()),
                ]
            )
        )
        view = exp.Create(
            this=exp.to_table(name),
            kind="VIEW",
            replace=True,
            expression=source,
        )
        with self._lock:
            self._forget_released()
            self._connection.execute(view.sql(dialect=self.dialect))
            self._views.add(name)

    def schema(self, name: str) -> pa.Schema:
        query = exp.select(exp.Star()).from_(exp.to_table(name)).limit(0)
        return self.execute(query).schema

    def execute(self, query: exp.Expr, *, dense_group_bits: int | None = None) -> pa.Table:
        sql = query.sql(dialect=self.dialect)
        with self._lock:
            self._forget_released()
            if dense_group_bits is None:
                return self._connection.sql(sql).to_arrow_table()
            self._connection.execute(f"SET perfect_ht_threshold = {int(dense_group_bits)}")
            try:
                return self._connection.sql(sql).to_arrow_table()
            finally:
                self._connection.execute("RESET perfect_ht_threshold")

    def unregister(self, name: str) -> None:
        with self._lock:
            self._forget(name)

    def release(self, name: str) -> None:
        self._released.append(name)  # atomic: no lock needed

    def _forget_released(self) -> None:
        while self._released:
            self._forget(self._released.pop())

    def _forget(self, name: str) -> None:
        # the caller holds the lock; DuckDB's unregister ignores views and tables
        for kind, names in (("TABLE", self._tables), ("VIEW", self._views)):
            if name in names:
                names.discard(name)
                drop = exp.Drop(tables=[exp.to_table(name)], kind=kind, exists=True)
                self._connection.execute(drop.sql(dialect=self.dialect))
                return
        self._connection.unregister(name)


_default_engine: DuckDBEngine | None = None


def default_engine() -> DuckDBEngine:
    """The process-wide embedded DuckDB engine that designs use unless given another."""
    global _default_engine  # one lazily created connection per process
    if _default_engine is None:
        _default_engine = DuckDBEngine()
    return _default_engine
