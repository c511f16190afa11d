"""PostgreSQL and MySQL/MariaDB sources: connectorx ``arrow_stream``, typed by the entity model.

connectorx streams record batches with bounded memory but decides types itself: it widens
int16/int32 to int64, returns every NUMERIC as decimal128(38,10) (and fails on values that do not
fit), and *panics* (``PanicException``, a ``BaseException``) on types it does not know (tsvector,
interval, money, timetz, inet, xml, point, arrays of timestamps, …). So before reading, the
catalog is asked what each column really is, and the SELECT list is built from the model and the
catalog together:

* a column connectorx reads exactly is selected as is, then cast to the model's type
  (int64 → int32, decimal128(38,10) → decimal(10,2), ``+00:00`` → ``UTC``);
* anything else is cast to text in the query (``::text`` / ``CAST(… AS CHAR)``) and parsed into
  the model's type by :func:`mostaframe.sources.conform`: NUMERIC that does not fit
  decimal128(38,10) exactly (``numeric(65,30)``, scale > 10), enums, uuid, json, ``char(n)``
  (the cast drops PostgreSQL's blank padding), arrays connectorx does not read (``::text[]``),
  and every type connectorx would panic on.

Large tables are read in ranges — PostgreSQL: heap pages (``ctid``), at most
:data:`RANGE_PAGES` each; MySQL: ranges of a numeric primary key — one query after another, which
bounds what connectorx buffers ahead of a slow consumer. How many streams run those ranges at once
is :func:`read_streams`: worker processes when more than one (connectorx holds the GIL while it
decodes, so threads run no faster than one; measured, see tests/benchmarks/bench_read.py), else
this process. Row order within an entity is not kept, which a copy does not need.
"""

from __future__ import annotations

import contextlib
import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from ..config import resolve
from ..errors import DatabaseConnectionError, MostaframeError, SourceError, first_line
from ..secrets import DatabaseURI, mask_text, mask_uri
from . import Source, conform

if TYPE_CHECKING:
    import pyarrow as pa

    from ..schema.model import Entity, Field, Schema

#: a large table is cut into at least this many ranges (so that two streams can share it)
PARALLEL_READERS = 2
#: at most this many parallel read streams when the server is on another machine
MAX_READ_STREAMS = 4
#: pages (8 kB) per ctid range query: bounds what one connectorx stream can buffer (16 MB of
#: heap ≈ 20–40 MB of Arrow). Measured on TPC-H SF1 against 4096: peak RSS of the read 196 → 181
#: MB, of the JSON copy ≈ 280 → 251 MB, read CPU within the noise of a loaded machine
RANGE_PAGES = 2048
#: MySQL tables of at least this many rows (estimate) are read in key ranges
PARALLEL_MIN_ROWS = 1_000_000
#: rows (estimate) per MySQL key range: bounds what one connectorx stream can buffer
RANGE_ROWS = 250_000
#: tables with fewer rows than this (by the planner's estimate) are counted exactly
EXACT_COUNT_BELOW = 200_000
#: … and only when the table has fewer pages than this (PostgreSQL: no estimate before ANALYZE)
EXACT_COUNT_MAX_PAGES = 2_000


@dataclass
class ReadPlan:
    """How one entity is read: the SELECT list, the table and what the catalog said."""

    table: str  # quoted, possibly schema-qualified
    columns: list[str]  # SELECT expressions, aliased to the column names
    pages: int = 0  # PostgreSQL heap pages (0 when unknown)
    estimate: int | None = None  # planner's row estimate
    parallel_key: str | None = None  # MySQL: numeric primary key column (quoted)
    heap: bool = True  # PostgreSQL: an ordinary table (has ctid)
    rstrip: frozenset[str] = frozenset()  # char(n) columns: trailing blanks are padding


def open_connectorx_source(uri: DatabaseURI) -> ConnectorXSource:
    """The connectorx source for ``uri``'s dialect (postgres or mysql)."""
    for cls in (PostgresSource, MySQLSource):
        if cls.dialect == uri.dialect:
            return cls(uri)
    raise SourceError(f"connectorx does not read {uri.dialect} ({uri})")


class ConnectorXSource(Source):
    """Common part of the connectorx sources; subclasses hold the dialect's SQL."""

    kind = "db"
    dialect: ClassVar[str]
    #: statements run on every connectorx connection before the query
    PRE_EXECUTION: ClassVar[list[str]] = []

    def __init__(self, uri: DatabaseURI) -> None:
        self.uri = uri
        self.description = f"{uri.dialect} {mask_uri(uri.raw)}"
        self._plans: dict[str, ReadPlan] = {}
        self._connection: Any = None
        self._secrets = _password_forms(uri.raw)

    # -- dialect hooks ---------------------------------------------------------------------

    def quote(self, identifier: str) -> str:
        """``identifier`` quoted for this dialect (mostaframe.dialects does the quoting)."""
        from ..dialects import get_dialect

        return get_dialect(self.dialect).quote(identifier)

    def _connect(self) -> Any:
        raise NotImplementedError

    def _plan(self, entity: Entity) -> ReadPlan:
        raise NotImplementedError

    def _partitions(self, plan: ReadPlan) -> list[str]:
        """Extra predicates splitting the table for parallel reads ([] = one stream)."""
        return []

    def _count(self, plan: ReadPlan, where: str | None) -> int:
        sql = f"SELECT count(*) FROM {plan.table}" + (f" WHERE ({where})" if where else "")
        return int(self._fetch(sql)[0][0])

    # -- Source API ------------------------------------------------------------------------

    def prepare(self, schema: Schema, entities: list[Entity]) -> None:
        self._connection = self._connection or self._connect()
        for entity in entities:
            self._plans[entity.name] = self._plan(entity)

    def plan(self, entity: Entity) -> ReadPlan:
        """The read plan of ``entity`` (asks the catalog the first time)."""
        if entity.name not in self._plans:
            self._connection = self._connection or self._connect()
            self._plans[entity.name] = self._plan(entity)
        return self._plans[entity.name]

    def query(self, entity: Entity, where: str | None = None) -> str:
        """The SELECT statement :meth:`read` runs (without partition predicates)."""
        plan = self.plan(entity)
        sql = f"SELECT {', '.join(plan.columns)} FROM {plan.table}"
        return sql + (f" WHERE ({where})" if where else "")

    def estimate_rows(self, entity: Entity, where: str | None = None) -> int | None:
        plan = self.plan(entity)
        if plan.estimate is not None and plan.estimate >= EXACT_COUNT_BELOW:
            return None if where else plan.estimate
        if plan.estimate is None and plan.pages >= EXACT_COUNT_MAX_PAGES:
            return None  # never analyzed and big: a count(*) would read it all once more
        return self._count(plan, where)

    def read(
        self, entity: Entity, *, batch_size: int = 20_000, where: str | None = None
    ) -> Iterator[pa.RecordBatch]:
        queries = self.queries(entity, where)
        streams = read_streams(self.uri) if len(queries) > 1 else 1
        if streams > 1:
            yield from self._read_parallel(entity, queries, batch_size, streams)
            return
        rstrip = self.plan(entity).rstrip
        url, context = self.uri.connectorx_url(), self._where(entity)
        for query in queries:
            # one range after the other: connectorx buffers at most one range ahead of us
            for batch in _stream(url, query, batch_size, self.PRE_EXECUTION, context):
                yield conform(batch, entity, rstrip=rstrip)
            if len(queries) > 1:
                release_free_memory()

    def queries(self, entity: Entity, where: str | None = None) -> list[str]:
        """The SELECTs :meth:`read` runs: one, or one per range of a large table."""
        base = self.query(entity, where)
        joiner = " AND " if where else " WHERE "
        ranges = self._partitions(self.plan(entity))
        return [f"{base}{joiner}{predicate}" for predicate in ranges] or [base]

    def close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
            self._connection = None

    # -- helpers ---------------------------------------------------------------------------

    def _where(self, entity: Entity) -> str:
        return f"{self.description}, entity {entity.name}"

    def _fetch(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        self._connection = self._connection or self._connect()
        cursor = self._connection.cursor()
        try:
            cursor.execute(sql, params)
            return list(cursor.fetchall())
        except Exception as exc:
            raise SourceError(f"{self.description}: {self._mask(exc)}") from None
        finally:
            cursor.close()

    def _mask(self, exc: BaseException) -> str:
        return mask_text(first_line(exc), self._secrets)

    def _missing_table(self, entity: Entity, known: list[str]) -> SourceError:
        close = difflib.get_close_matches(entity.table, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else "create it or fix entities.json"
        return SourceError(
            f"entity {entity.name}: table {entity.table!r} does not exist in {self.description}",
            hint=hint,
        )

    def _missing_column(self, entity: Entity, column: str, known: list[str]) -> SourceError:
        close = difflib.get_close_matches(column, known, n=3)
        hint = f"did you mean {', '.join(close)}?" if close else f"columns: {', '.join(known)}"
        return SourceError(
            f"entity {entity.name}: table {entity.table!r} in {self.description} has no column "
            f"{column!r}",
            hint=hint,
        )

    def _read_parallel(
        self, entity: Entity, queries: list[str], batch_size: int, workers: int
    ) -> Iterator[pa.RecordBatch]:
        """Share ``queries`` among ``workers`` processes; yield batches as they come."""
        from .parallel import read_in_processes

        job = {
            "url": self.uri.connectorx_url(),
            "batch_size": batch_size,
            "pre": self.PRE_EXECUTION,
            "entity": entity,
            "where": self._where(entity),
            "rstrip": self.plan(entity).rstrip,
        }
        yield from read_in_processes(job, queries, self._secrets, workers=workers)


# ---------------------------------------------------------------------------------------------
# PostgreSQL

# types connectorx reads exactly (scalars); anything else is read as text
_PG_NATIVE = {
    "int2",
    "int4",
    "int8",
    "float4",
    "float8",
    "bool",
    "text",
    "varchar",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "bytea",
}
# element types of arrays connectorx reads (others: ``::text[]``)
_PG_NATIVE_ARRAYS = {"int2", "int4", "int8", "float4", "float8", "bool", "text", "varchar"}
# everything else — uuid, json, enums, domains, … — is read as ``::text`` on purpose: its text
# form is canonical (uuid lower case, json as stored, the enum's value)


class PostgresSource(ConnectorXSource):
    """A PostgreSQL database read with connectorx (binary protocol), typed by the model."""

    dialect = "postgres"
    PRE_EXECUTION: ClassVar[list[str]] = ["SET TIME ZONE 'UTC'"]

    def _connect(self) -> Any:
        import psycopg

        try:
            return psycopg.connect(self.uri.libpq_url(), autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise DatabaseConnectionError(
                f"cannot connect to {self.description}: {_pg_reason(exc, self._secrets)}",
                hint="check host, port, database name, user and password",
            ) from None

    def _plan(self, entity: Entity) -> ReadPlan:
        table = self.quote(entity.table)
        if entity.db_schema:
            table = f"{self.quote(entity.db_schema)}.{table}"
        rows = self._fetch(
            "SELECT c.oid, c.relkind, c.reltuples::bigint,"
            " pg_relation_size(c.oid) / current_setting('block_size')::int"
            " FROM pg_class c WHERE c.oid = to_regclass(%s)",
            (table,),
        )
        if not rows:
            known = [
                r[0]
                for r in self._fetch(
                    "SELECT relname FROM pg_class WHERE relkind IN ('r','v','m','p','f')"
                    " AND relnamespace = ANY(current_schemas(false)::regnamespace[])"
                )
            ]
            raise self._missing_table(entity, known)
        oid, relkind, reltuples, pages = rows[0]
        catalog = {
            name: (typname, typtype, element)
            for name, typname, typtype, element in self._fetch(
                "SELECT a.attname, t.typname, t.typtype, e.typname"
                " FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                " LEFT JOIN pg_type e ON e.oid = t.typelem AND t.typcategory = 'A'"
                " WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped"
                " ORDER BY a.attnum",
                (oid,),
            )
        }
        columns = []
        padded = set()
        for f in entity.fields:
            if f.column not in catalog:
                raise self._missing_column(entity, f.column, list(catalog))
            if catalog[f.column][0] == "bpchar" and not f.list:
                padded.add(f.column)
            columns.append(f"{self._expression(f, *catalog[f.column])} AS {self.quote(f.column)}")
        return ReadPlan(
            table=table,
            columns=columns,
            rstrip=frozenset(padded),
            pages=int(pages or 0),
            estimate=int(reltuples) if reltuples is not None and reltuples >= 0 else None,
            heap=relkind in ("r", "m"),
        )

    def _expression(self, f: Field, typname: str, typtype: str, element: str | None) -> str:
        column = self.quote(f.column)
        if element is not None:  # an array column
            if f.list and element in _PG_NATIVE_ARRAYS:
                return column
            # elements as text, parsed per the model (a non-list field gets the array's text)
            return f"{column}::text[]" if f.list else f"{column}::text"
        if typname == "timetz":
            # time64 has no zone: keep the UTC time, as timestamptz values are kept in UTC
            return f"({column} AT TIME ZONE 'UTC')::time"
        if typname == "numeric":
            # as text, parsed exactly by Arrow: faster than connectorx's NUMERIC decoding
            # (measured: tests/benchmarks/bench_read.py) and not limited to decimal128(38,10)
            return f"{column}::text"
        if typname == "bpchar" and not f.list:
            # read as is and trim the padding in Arrow (ReadPlan.rstrip): cheaper than ::text
            return column
        if typtype == "b" and typname in _PG_NATIVE:
            return column
        # enums, domains, uuid, json, char(n), tsvector, interval, money, inet, xml, point, …
        return f"{column}::text"

    def _partitions(self, plan: ReadPlan) -> list[str]:
        if not plan.heap or plan.pages < int(resolve("parallel_min_pages")):
            return []
        # ranges of at most RANGE_PAGES pages, run one after another by each stream:
        # connectorx's arrow_stream buffers without limit ahead of a slow consumer, so one query
        # per stream would let memory grow toward the table size (measured: 1.7 GB at SF1)
        step = max(1, min(RANGE_PAGES, plan.pages // PARALLEL_READERS))
        bounds = list(range(step, plan.pages, step))
        predicates = []
        low = None
        for bound in bounds:
            upper = f"ctid < '({bound},0)'::tid"
            predicates.append(upper if low is None else f"{low} AND {upper}")
            low = f"ctid >= '({bound},0)'::tid"
        # the last range is open: rows appended after the page count was taken are read too
        predicates.append(low or "true")
        return predicates


# ---------------------------------------------------------------------------------------------
# MySQL / MariaDB

_MYSQL_NATIVE = {
    "tinyint",
    "smallint",
    "mediumint",
    "int",
    "integer",
    "bigint",
    "float",
    "double",
    "decimal",
    "date",
    "datetime",
    "timestamp",
    "time",
    "year",
    "char",
    "varchar",
    "tinytext",
    "text",
    "mediumtext",
    "longtext",
    "json",
    "tinyblob",
    "blob",
    "mediumblob",
    "longblob",
    "binary",
    "varbinary",
    "enum",
    "bit",
}
_MYSQL_INTEGER = {"tinyint", "smallint", "mediumint", "int", "integer", "bigint"}


class MySQLSource(ConnectorXSource):
    """A MySQL/MariaDB database read with connectorx, typed by the model."""

    dialect = "mysql"
    # TIMESTAMP columns come back in the session's zone: make it UTC
    PRE_EXECUTION: ClassVar[list[str]] = ["SET time_zone = '+00:00'"]

    def _connect(self) -> Any:
        import pymysql
        from sqlalchemy.engine import make_url

        url = make_url(self.uri.sqlalchemy_url())
        try:
            return pymysql.connect(
                host=url.host or "localhost",
                port=url.port or 3306,
                user=url.username or "",
                password=url.password or "",
                database=url.database,
                connect_timeout=10,
                # no open transaction: its metadata locks would block DDL on the source tables
                autocommit=True,
            )
        except pymysql.Error as exc:
            reason = exc.args[-1] if exc.args else exc
            raise DatabaseConnectionError(
                f"cannot connect to {self.description}: {mask_text(str(reason), self._secrets)}",
                hint="check host, port, database name, user and password",
            ) from None

    def _plan(self, entity: Entity) -> ReadPlan:
        catalog = {
            name: (data_type.lower(), column_type.lower())
            for name, data_type, column_type in self._fetch(
                "SELECT column_name, data_type, column_type FROM information_schema.columns"
                " WHERE table_schema = DATABASE() AND table_name = %s ORDER BY ordinal_position",
                (entity.table,),
            )
        }
        if not catalog:
            known = [
                r[0]
                for r in self._fetch(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
                )
            ]
            raise self._missing_table(entity, known)
        columns = []
        for f in entity.fields:
            if f.column not in catalog:
                raise self._missing_column(entity, f.column, list(catalog))
            data_type, _ = catalog[f.column]
            expression = self.quote(f.column)
            if data_type not in _MYSQL_NATIVE or (
                data_type == "decimal" and f.kind == "decimal" and not _decimal_fits(f)
            ):
                expression = f"CAST({expression} AS CHAR)"
            columns.append(f"{expression} AS {self.quote(f.column)}")
        estimate = self._fetch(
            "SELECT table_rows FROM information_schema.tables"
            " WHERE table_schema = DATABASE() AND table_name = %s",
            (entity.table,),
        )
        key = None
        if len(entity.primary_key) == 1:
            pk = entity.primary_key_fields[0]
            if catalog.get(pk.column, ("",))[0] in _MYSQL_INTEGER:
                key = self.quote(pk.column)
        return ReadPlan(
            table=self.quote(entity.table),
            columns=columns,
            estimate=int(estimate[0][0]) if estimate and estimate[0][0] is not None else None,
            parallel_key=key,
        )

    def _partitions(self, plan: ReadPlan) -> list[str]:
        if plan.parallel_key is None or (plan.estimate or 0) < PARALLEL_MIN_ROWS:
            return []
        low, high = self._fetch(
            f"SELECT min({plan.parallel_key}), max({plan.parallel_key}) FROM {plan.table}"
        )[0]
        if low is None or high - low < PARALLEL_READERS:
            return []
        ranges = max(PARALLEL_READERS, -(-(plan.estimate or 0) // RANGE_ROWS))
        ranges = min(ranges, high - low)
        step = (high - low) // ranges
        bounds = [low + step * i for i in range(1, ranges)]
        key = plan.parallel_key
        predicates, previous = [], None
        for bound in bounds:
            upper = f"{key} < {int(bound)}"
            predicates.append(upper if previous is None else f"{previous} AND {upper}")
            previous = f"{key} >= {int(bound)}"
        # NULL keys cannot exist in a primary key; the last range is open-ended
        predicates.append(previous or "1=1")
        return predicates


# ---------------------------------------------------------------------------------------------
# how many streams


def read_streams(uri: DatabaseURI) -> int:
    """Parallel read streams for a large table of ``uri``'s database.

    ``MOSTAFRAME_READ_WORKERS`` when set (1 = in this process, no worker process). Else decided
    from the CPUs this process may use and where the server runs: a server on this machine
    (loopback address, ``localhost``, unix socket) needs about one core per stream for itself,
    so ``cpus // 2`` streams — one, read in-process, on a 2-core machine, where two worker
    processes measured no faster and cost ≈ 400 MB (docs/copy.md#parallel-reads); a remote
    server leaves our cores to us: ``min(cpus, MAX_READ_STREAMS)``.

    Raises:
        MostaframeError: ``MOSTAFRAME_READ_WORKERS`` is negative.

    Example:
        >>> from mostaframe.secrets import parse_uri
        >>> read_streams(parse_uri("postgresql://u@127.0.0.1/app"))  # doctest: +SKIP
        1
    """
    configured = int(resolve("read_workers"))
    if configured < 0:
        raise MostaframeError(
            f"MOSTAFRAME_READ_WORKERS={configured} is not valid",
            hint="use 0 (auto), 1 (read in this process) or the number of worker processes",
        )
    if configured:
        return configured
    cpus = available_cpus()
    if server_is_local(uri):
        return max(1, cpus // 2)
    return max(1, min(cpus, MAX_READ_STREAMS))


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask, else the machine's count)."""
    import os

    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def server_is_local(uri: DatabaseURI) -> bool:
    """True when ``uri``'s server runs on this machine: no host (unix socket), a socket path,
    ``localhost``, a loopback address or this machine's own name."""
    import ipaddress
    import socket
    from urllib.parse import parse_qs, urlsplit

    parts = urlsplit(uri.raw)
    try:
        host = parts.hostname or ""
    except ValueError:
        return False
    # libpq and connectorx also take the host as ?host=/run/postgresql
    host = host or (parse_qs(parts.query).get("host") or [""])[0]
    if not host or host.startswith("/") or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    # this machine's name, without a DNS lookup (getfqdn can stall for seconds offline)
    own = socket.gethostname().lower()
    return host.lower() in {own, own.split(".")[0]}


# ---------------------------------------------------------------------------------------------
# helpers shared by the in-process and the worker-process read paths


def _decimal_fits(f: Field) -> bool:
    """True when decimal128(38,10) — what connectorx returns — holds every value exactly."""
    from ..schema.arrow import arrow_type

    target = arrow_type(f)
    while hasattr(target, "value_type"):
        target = target.value_type
    precision, scale = target.precision, target.scale
    return scale <= 10 and precision - scale <= 28


def _stream(
    url: str, query: str, batch_size: int, pre: list[str], where: str
) -> Iterator[pa.RecordBatch]:
    """connectorx ``arrow_stream`` batches; driver panics become :class:`SourceError`."""
    import connectorx

    secrets = _password_forms(url)
    try:
        reader = connectorx.read_sql(
            url,
            query,
            return_type="arrow_stream",
            batch_size=batch_size,
            pre_execution_query=pre or None,
        )
        yield from reader
    except (KeyboardInterrupt, SystemExit, GeneratorExit):
        raise
    except BaseException as exc:  # connectorx raises PanicException, a BaseException
        raise SourceError(f"{where}: {mask_text(first_line(exc), secrets)}") from None


def release_free_memory() -> None:
    """Give the C heap's free pages back to the operating system (glibc ``malloc_trim``).

    connectorx frees each range's Arrow buffers through the C allocator, whose free pages
    otherwise stay resident (glibc raises its mmap threshold after the first large frees, so
    later buffers come from the heap and are kept): measured on TPC-H SF1 → JSON, peak RSS
    341 MB without, 293 MB with a trim after each range. One call per range (≈ 32 MB read)
    costs microseconds; a no-op where the C library is not glibc.
    """
    global _malloc_trim
    if _malloc_trim is None:
        import ctypes
        import ctypes.util

        try:
            _malloc_trim = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


def _password_forms(url: str) -> tuple[str, ...]:
    """The password of ``url`` as written and percent-decoded, for masking free text."""
    from urllib.parse import unquote, urlsplit

    try:
        password = urlsplit(url).password if "://" in url else None
    except ValueError:
        return ()
    if not password:
        return ()
    return tuple({password, unquote(password)})


def _pg_reason(exc: BaseException, secrets: tuple[str, ...]) -> str:
    """The useful line of a libpq error (``password authentication failed…``)."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    useful = [line for line in lines if "FATAL" in line or "failed" in line or "refused" in line]
    text = (useful or lines or [type(exc).__name__])[-1]
    return mask_text(text, secrets)
