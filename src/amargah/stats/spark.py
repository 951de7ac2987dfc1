"""Apache Spark as the statistical engine, for microdata at national scale.

`SparkEngine` runs the estimators' aggregations, built with sqlglot, on a given
``SparkSession``: a classic local one (``local[N]``) or a Spark Connect session to a
cluster (``sc://host:port``). Only session and DataFrame methods and SQL text are used,
so both kinds of session behave the same. pyspark (≥ 4) is an optional dependency,
imported only when a Spark engine or session is made (``pip install 'amargah[spark]'``).

Files are read by Spark itself: with Spark Connect a path must be visible to the
cluster (a shared disk or object storage), not only to the machine running Amargah.
"""

from __future__ import annotations

import importlib
import os
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
from sqlglot import exp

from amargah.stats.engine import FileFormat

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DIALECT = "spark"

# Settings for a session on one small machine (besides one shuffle partition per
# core, see `spark_session`): no web UI, Arrow for moving data, UTC so that timestamps read
# the same everywhere, and the driver bound to the loopback interface.
LOCAL_SETTINGS: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.memory": "1g",
}


# pyspark warns on import that it does not fully support pandas 3; Amargah moves data
# between Python and Spark with Arrow only, never through pandas
_PANDAS_NOTICE = "PySpark does not yet fully support pandas"


class SparkUnavailableError(RuntimeError):
    """pyspark is not installed, or too old, where a Spark engine was asked for."""


def _pyspark_sql() -> Any:
    """Import ``pyspark.sql`` on first use, with a clear message when it is missing."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_PANDAS_NOTICE, category=FutureWarning)
            module = importlib.import_module("pyspark.sql")
            version = importlib.import_module("pyspark").__version__
            # pyspark decides once, when this module is first imported, which of its
            # features pandas allows; where warnings are errors (tests) its notice about
            # pandas 3 would otherwise switch the Spark Connect client off
            importlib.import_module("pyspark.testing.utils")
    except ImportError:
        raise SparkUnavailableError(
            "the Spark engine needs pyspark 4 or later: "
            "install it with  pip install 'amargah[spark]'  (or  uv sync --extra spark)"
        ) from None
    if int(str(version).split(".")[0]) < 4:
        raise SparkUnavailableError(f"the Spark engine needs pyspark 4 or later, not {version}")
    return module


def spark_session(
    master: str = "local[1]",
    *,
    app_name: str = "amargah",
    config: dict[str, str] | None = None,
) -> SparkSession:
    """Start (or join) a Spark session for the engine.

    Parameters
    ----------
    master
        ``local[N]`` for an embedded Spark on N cores of this machine (the JVM starts
        here; Java 17 or later must be installed), or ``sc://host:port`` for a Spark
        Connect server (a cluster).
    app_name
        Application name shown by the cluster.
    config
        Extra Spark settings; for a local session they override `LOCAL_SETTINGS`.

    Returns
    -------
    pyspark.sql.SparkSession
        A classic session for ``local[...]``, a Spark Connect session for ``sc://``.
    """
    sql = _pyspark_sql()
    if master.startswith("sc://"):
        # the Connect client's own builder: pyspark's generic one refuses a remote
        # session while a classic one runs in the process, and flips the whole
        # process to Connect mode
        builder = _connect_module().SparkSession.builder.remote(master)
        settings = dict(config or {})
    elif master.startswith("local"):
        builder = sql.SparkSession.builder.master(master)
        cores = _local_cores(master)
        # one shuffle partition per core: the shuffled data are aggregates, small
        parallel = {"spark.sql.shuffle.partitions": cores, "spark.default.parallelism": cores}
        settings = {**LOCAL_SETTINGS, **parallel, **(config or {})}
    else:
        raise ValueError(f"Spark master must be local[N] or sc://host:port, not {master!r}")
    builder = builder.appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    session: SparkSession = builder.getOrCreate()
    return session


def _local_cores(master: str) -> str:
    """The number of cores of ``local``, ``local[N]`` or ``local[*]`` (as text)."""
    if master == "local":
        return "1"
    inside = master.partition("[")[2].partition("]")[0].partition(",")[0].strip()
    if inside.isdigit() and int(inside) > 0:
        return inside
    if inside == "*":
        return str(os.cpu_count() or 1)
    raise ValueError(f"Spark master must be local[N] or sc://host:port, not {master!r}")


def _connect_module() -> Any:
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=_PANDAS_NOTICE, category=FutureWarning)
            return importlib.import_module("pyspark.sql.connect.session")
    except ImportError as error:
        raise SparkUnavailableError(
            f"Spark Connect needs pyspark's connect extra ({error}): "
            "install it with  pip install 'amargah[spark]'"
        ) from None


class SparkEngine:
    """The statistical engine over a Spark session (classic or Spark Connect).

    Parameters
    ----------
    session
        The session to run on; `spark_session` makes one.

    Every registered source is a temporary view of the session, dropped by
    `unregister`. Queries are sqlglot expressions rendered for the ``spark`` dialect;
    their (small) results come back as Arrow tables.
    """

    dialect = DIALECT

    def __init__(self, session: SparkSession) -> None:
        _pyspark_sql()
        self._session = session
        # relations released by finalizers, dropped at the next query
        self._released: list[str] = []

    @property
    def session(self) -> SparkSession:
        """The Spark session the engine runs on."""
        return self._session

    def register_arrow(self, name: str, table: pa.Table, *, lookup: bool = False) -> None:
        self._session.createDataFrame(_spark_compatible(table)).createOrReplaceTempView(name)

    def register_file(
        self, name: str, path: Path, *, file_format: FileFormat, row_number: str
    ) -> None:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
        if file_format == "parquet":
            self._register_parquet(name, path, row_number)
        elif file_format == "csv":
            self._register_csv(name, path, row_number)
        else:
            raise ValueError(f"unknown file format {file_format!r}")

    def _register_parquet(self, name: str, path: Path, row_number: str) -> None:
        # Parquet readers give each row's index within its file (a hidden metadata
        # column): for one file that is the file order, dense and deterministic
        # whatever the splitting into partitions
        relation = exp.Table(
            this=exp.to_identifier(str(path.resolve()), quoted=True),
            db=exp.to_identifier("parquet"),
        )
        source = exp.select(
            exp.Star(), exp.column("row_index", table="_metadata").as_(row_number, quoted=True)
        ).from_(relation)
        self._create_view(name, source)

    def _register_csv(self, name: str, path: Path, row_number: str) -> None:
        # CSV has no row index. Spark splits a file into byte blocks; within a block
        # rows are read in order and monotonically_increasing_id() counts them up by
        # one (ids are not dense across partitions). One small pass counts the rows
        # of each block; a row's number is then the rows of earlier blocks plus its
        # place in its own block.
        reader = self._session.read.option("header", "true").option("inferSchema", "true")
        frame = reader.csv(str(path.resolve()))
        columns = list(frame.columns)
        block = exp.column("file_block_start", table="_metadata").as_("amargah_block")
        row_id = exp.func("monotonically_increasing_id").as_("amargah_id")
        # the file's metadata columns are only visible on the reader's own DataFrame
        staged = f"{name}_rows"
        frame.selectExpr(
            "*", block.sql(dialect=self.dialect), row_id.sql(dialect=self.dialect)
        ).createOrReplaceTempView(staged)
        counts = self.execute(
            exp.select(
                exp.column("amargah_block"),
                exp.func("count", exp.Star()).as_("n"),
                exp.func("min", exp.column("amargah_id")).as_("first"),
            )
            .from_(exp.to_table(staged))
            .group_by(exp.column("amargah_block"))
            .order_by(exp.column("amargah_block"))
        )
        case = exp.Case()
        before = 0
        for start, count, first in zip(
            counts.column("amargah_block").to_pylist(),
            counts.column("n").to_pylist(),
            counts.column("first").to_pylist(),
            strict=True,
        ):
            case = case.when(
                exp.EQ(this=exp.column("amargah_block"), expression=exp.Literal.number(start)),
                exp.Literal.number(before - first),
            )
            before += count
        number: exp.Expr = exp.Add(this=exp.column("amargah_id"), expression=case)
        if not counts.num_rows:
            number = exp.column("amargah_id")
        source = exp.select(
            *(exp.column(c, quoted=True) for c in columns),
            exp.cast(number, exp.DataType.build("bigint")).as_(row_number, quoted=True),
        ).from_(exp.to_table(staged))
        self._create_view(name, source)

    def _create_view(self, name: str, query: exp.Select) -> None:
        view = exp.Create(
            this=exp.to_table(name),
            kind="VIEW",
            replace=True,
            properties=exp.Properties(expressions=[exp.TemporaryProperty()]),
            expression=query,
        )
        self._session.sql(view.sql(dialect=self.dialect))

    def schema(self, name: str) -> pa.Schema:
        query = exp.select(exp.Star()).from_(exp.to_table(name)).limit(0)
        return self.execute(query).schema

    def execute(self, query: exp.Expr, *, dense_group_bits: int | None = None) -> pa.Table:
        # Spark has no directly indexed grouping to allow: dense_group_bits is ignored
        while self._released:
            self.unregister(self._released.pop())
        table: pa.Table = self._session.sql(query.sql(dialect=self.dialect)).toArrow()
        return table

    def unregister(self, name: str) -> None:
        catalog = self._session.catalog
        for view in (name, f"{name}_rows"):
            catalog.dropTempView(view)

    def release(self, name: str) -> None:
        self._released.append(name)  # a finalizer must not call Spark: dropped later


def _spark_compatible(table: pa.Table) -> pa.Table:
    """Cast Arrow columns that Spark cannot take to the nearest type it can.

    Dictionary-encoded columns (categories) become their values; unsigned integers
    become the next wider signed integer (or a decimal for 64 bits).
    """
    columns = []
    changed = False
    for column in table.columns:
        target = _spark_type(column.type)
        if target is not None:
            column = pc.cast(column, target)
            changed = True
        columns.append(column)
    return pa.table(columns, names=table.column_names) if changed else table


def _spark_type(data_type: pa.DataType) -> pa.DataType | None:
    if pa.types.is_dictionary(data_type):
        return _spark_type(data_type.value_type) or data_type.value_type
    if pa.types.is_uint8(data_type):
        return pa.int16()
    if pa.types.is_uint16(data_type):
        return pa.int32()
    if pa.types.is_uint32(data_type):
        return pa.int64()
    if pa.types.is_uint64(data_type):
        return pa.decimal128(20, 0)
    if pa.types.is_float16(data_type):
        return pa.float32()
    return None


__all__ = ["LOCAL_SETTINGS", "SparkEngine", "SparkUnavailableError", "spark_session"]
