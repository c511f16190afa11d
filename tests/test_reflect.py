"""Round trips model → DDL → apply → reflect on every dialect, and reflection details.

What a dialect cannot store is not hidden: :func:`expected` turns the original model into
what each database keeps, one rule per line, each rule listed in docs/type-map.md
("What each database cannot store"). The reflected schema must equal that exactly.
"""

from __future__ import annotations

import warnings
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from test_ddl import cyclic_schema, representative_schema

from mostaframe.ddl import apply
from mostaframe.dialects import get_dialect
from mostaframe.dialects.base import DEFAULT_DATETIME_PRECISION, DEFAULT_DECIMAL, Dialect
from mostaframe.errors import DatabaseConnectionError, SchemaError
from mostaframe.schema.model import Default, Field, Schema
from mostaframe.schema.reflect import parse_default, reflect
from mostaframe.secrets import parse_uri

ROOT = Path(__file__).resolve().parent.parent
FITZONE = ROOT / "data" / "fitzonegym" / "schema.prisma"

#: time precision a database gives a TIME / TIMESTAMP declared without one
TIME_DEFAULT = {"postgres": 6, "mysql": 0, "sqlite": None, "duckdb": 6}


# ── comparable signatures ─────────────────────────────────────────────────────────────────────


def _column(field: Field, schema: Schema) -> dict[str, Any]:
    enum = schema.enums.get(field.enum or "")
    return {
        "kind": field.kind,
        "list": field.list,
        "required": field.required,
        "length": field.length,
        "precision": field.precision,
        "scale": field.scale,
        "timezone": field.timezone,
        "enum": enum.db_values() if enum else None,
        "default": _default(field, schema),
    }


def _default(field: Field, schema: Schema) -> Any:
    default = field.default
    if default is None or default.is_generated_by_application:
        return None
    if default.kind == "dbgenerated":
        return "dbgenerated"  # the database re-spells expressions; presence is what counts
    if default.kind == "enum":
        return ("enum", schema.enums[field.enum or ""].mapped.get(default.value, default.value))
    if default.kind == "literal":
        if field.kind == "decimal":
            return ("literal", Decimal(str(default.value)))  # '0.00' == 0
        return ("literal", default.value)
    return default.kind


def signature(schema: Schema, dialect: Dialect) -> dict[str, Any]:
    """Tables → columns, keys, uniques, indexes and foreign keys, names made effective."""
    result = {}
    for entity in schema.select():
        fields = {f.name: f for f in entity.fields}
        uniques = set()
        for f in entity.fields:
            if f.unique:
                name = f.unique_name or dialect.constraint_name(entity.table, [f.column], "key")
                uniques.add(((f.column,), name))
        indexes = set()
        for index in entity.indexes:
            columns = tuple(entity.field(n).column for n in index.fields)
            suffix = "key" if index.unique else "idx"
            name = index.name or dialect.constraint_name(entity.table, list(columns), suffix)
            if index.unique:
                uniques.add((columns, name))
            else:
                orders = tuple(c.order or "asc" for c in index.columns)
                indexes.add((columns, orders, name))
        foreign_keys = set()
        for relation in entity.foreign_keys():
            target = schema.entity(relation.target)
            columns = [fields[n].column if n in fields else n for n in relation.fields]
            required = all(entity.field(n).required for n in relation.fields)
            foreign_keys.add(
                (
                    tuple(columns),
                    target.table,
                    tuple(target.field(n).column for n in relation.references),
                    relation.on_delete or ("Restrict" if required else "SetNull"),
                    relation.on_update or "Cascade",
                    relation.constraint_name
                    or dialect.constraint_name(entity.table, columns, "fkey"),
                    relation.type,
                )
            )
        result[entity.table] = {
            "columns": {f.column: _column(f, schema) for f in entity.fields},
            "primary_key": [entity.field(n).column for n in entity.primary_key],
            "primary_key_name": dialect.primary_key_name(entity),
            "uniques": uniques,
            "indexes": indexes,
            "foreign_keys": foreign_keys,
        }
    return result


def expected(schema: Schema, dialect: Dialect) -> dict[str, Any]:
    """The original model's signature after what ``dialect`` can store (docs/type-map.md)."""
    name = dialect.name
    result = signature(schema, dialect)
    for entity in schema.select():
        table = result[entity.table]
        for field in entity.fields:
            column = table["columns"][field.column]
            kind = field.kind
            # what every database fills in when the model leaves it open
            if kind == "decimal" and column["precision"] is None:
                column["precision"], column["scale"] = DEFAULT_DECIMAL
            if kind == "datetime" and column["precision"] is None:
                column["precision"] = DEFAULT_DATETIME_PRECISION
            if kind == "time" and column["precision"] is None:
                column["precision"] = TIME_DEFAULT[name]
            if field.kind == "string" and field.length is None and field.native:
                column["length"] = int(field.native.args[0]) if field.native.args else None
            # ── documented differences, per database ──
            if name == "mysql":
                if kind == "string" and column["length"] is None and not field.list:
                    # Prisma's VARCHAR(191) for key columns; unbounded text from another
                    # database → LONGTEXT (no length) so nothing is cut
                    if schema.provider == "mysql" or dialect.is_key_column(entity, field):
                        column["length"] = 191
                if kind in ("datetime", "time"):
                    column["timezone"] = False  # no zoned type: DATETIME(p) holds UTC
                if kind == "uuid":
                    column.update(kind="string", length=36)  # CHAR(36)
                if field.list:
                    column.update(kind="json", list=False, length=None)  # arrays → JSON
                    if column["default"] and column["default"][0] == "literal":
                        column["default"] = ("literal", "[]" if not field.default.value else None)
            if name == "sqlite":
                column["length"] = None  # TEXT has no length
                if kind in ("uuid", "json", "enum") or field.list:
                    column.update(kind="string", list=False, enum=None)
                    if field.list and column["default"]:
                        column["default"] = ("literal", "[]")
                    if kind == "enum" and column["default"]:
                        column["default"] = ("literal", column["default"][1])
                if kind in ("datetime", "time"):
                    column.update(timezone=False, precision=None)  # DATETIME / TIME affinity
                if kind == "real":
                    column["kind"] = "float"  # REAL is 8 bytes
                if kind == "bigint" and field.autoincrement:
                    column["kind"] = "int"  # INTEGER PRIMARY KEY AUTOINCREMENT
            if name == "duckdb":
                column["length"] = None  # VARCHAR has no length
                if kind in ("datetime", "time"):
                    column["precision"] = 6  # always microseconds
                if kind == "decimal" and column["precision"] > 38:
                    column.update(kind="string", precision=None, scale=None)  # VARCHAR
        # MySQL names every primary key PRIMARY, DuckDB keeps no constraint names: the
        # dialects report None for both (named_primary_key = False)
        if name == "duckdb":
            # constraint names are not kept, actions other than NO ACTION not supported,
            # sort order of index columns not kept
            table["uniques"] = {
                (cols, dialect.constraint_name(entity.table, list(cols), "key"))
                for cols, _ in table["uniques"]
            }
            table["indexes"] = {
                (cols, tuple("asc" for _ in cols), name_) for cols, _, name_ in table["indexes"]
            }
            table["foreign_keys"] = {
                (
                    cols,
                    target,
                    refs,
                    "NoAction",
                    "NoAction",
                    dialect.constraint_name(entity.table, list(cols), "fkey"),
                    kind,
                )
                for cols, target, refs, _, _, _, kind in table["foreign_keys"]
            }
    return result


def _dialect_of(url: str) -> Dialect:
    return get_dialect(parse_uri(url).dialect)


def assert_round_trip(original: Schema, url: str) -> Schema:
    dialect = _dialect_of(url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DuckDB cycle warnings are asserted in test_ddl
        apply(original, url)
    back = reflect(url)
    want = expected(original, dialect)
    got = signature(back, dialect)
    assert sorted(got) == sorted(want)
    for table in want:
        for column in want[table]["columns"]:
            assert got[table]["columns"][column] == want[table]["columns"][column], (
                f"{dialect.name} {table}.{column}"
            )
        for key in ("primary_key", "primary_key_name", "uniques", "indexes", "foreign_keys"):
            assert got[table][key] == want[table][key], f"{dialect.name} {table} {key}"
    return back


# ── round trips ───────────────────────────────────────────────────────────────────────────────


def test_round_trip_representative_model(db_url: str) -> None:
    back = assert_round_trip(representative_schema(), db_url)
    dialect = _dialect_of(db_url)
    # back relations on the parent, one-to-one where the foreign key columns are unique
    accounts = back.entity("accounts")
    kinds = sorted((r.target, r.type) for r in accounts.relations if not r.owning)
    assert kinds == [
        ("accounts", "one-to-many"),
        ("orders", "one-to-many"),
        ("profiles", "one-to-one"),
    ]
    assert back.provider == {"postgres": "postgresql"}.get(dialect.name, dialect.name)
    # a reflected model regenerates DDL for its own database, native types honoured
    from mostaframe.ddl import create_statements

    regenerated = create_statements(back, dialect)
    assert sum(s.startswith("CREATE TABLE") for s in regenerated) == 4


def test_round_trip_cycle(db_url: str) -> None:
    dialect = _dialect_of(db_url)
    original = cyclic_schema()
    if dialect.name == "duckdb":
        # documented: the foreign key closing the cycle cannot be added in DuckDB
        original.entity("Player").relations = [
            r for r in original.entity("Player").relations if r.name != "team"
        ]
    assert_round_trip(original, db_url)


@pytest.fixture(scope="module")
def fitzone() -> Schema:
    prisma = pytest.importorskip("mostaframe.schema.prisma", reason="Prisma importer not there")
    if not hasattr(prisma, "import_prisma"):
        pytest.skip("mostaframe.schema.prisma.import_prisma not there yet")
    return prisma.import_prisma(FITZONE)


def test_round_trip_fitzonegym(fitzone: Schema, db_url: str) -> None:
    original = fitzone
    if _dialect_of(db_url).name == "duckdb":
        _, cycles = original.dependency_order(original.select())
        assert cycles == []  # else the DuckDB difference would have to be listed here
    back = assert_round_trip(original, db_url)
    assert len(back.entities) == len(original.select())


# ── reflection details ────────────────────────────────────────────────────────────────────────


def test_postgres_specifics(pg_url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(get_dialect("postgres").sqlalchemy_url(pg_url))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, "
            "n numeric, i inet, s text DEFAULT 'it''s', "
            "neg integer DEFAULT -1, arr integer[] DEFAULT '{1,2}', "
            "ts timestamp DEFAULT now(), big bigint DEFAULT (1 + 1), "
            "u uuid UNIQUE, CONSTRAINT t_pair UNIQUE (n, s))"
        )
        connection.exec_driver_sql("CREATE INDEX t_gin ON t USING gin (arr)")
    engine.dispose()
    t = reflect(pg_url).entity("t")
    assert t.field("id").default == Default("autoincrement")
    n = t.field("n")
    assert (n.kind, n.precision, str(n.native)) == ("decimal", None, "Decimal")
    assert (t.field("i").kind, str(t.field("i").native)) == ("string", "Inet")
    assert t.field("s").default == Default("literal", "it's")
    assert t.field("neg").default == Default("literal", -1)
    assert t.field("arr").default == Default("literal", [1, 2])
    assert t.field("ts").default == Default("now")
    assert (t.field("ts").precision, str(t.field("ts").native)) == (6, "Timestamp(6)")
    assert t.field("big").default == Default("dbgenerated", "(1 + 1)")
    assert (t.field("u").unique, t.field("u").unique_name) == (True, None)  # conventional name
    (pair,) = [index for index in t.indexes if index.unique]
    assert (pair.fields, pair.name) == (["n", "s"], "t_pair")
    (gin,) = [index for index in t.indexes if not index.unique]
    assert (gin.fields, gin.type, gin.name) == (["arr"], "Gin", "t_gin")


def test_mysql_specifics(mysql_url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(get_dialect("mysql").sqlalchemy_url(mysql_url))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE p (id INT UNSIGNED AUTO_INCREMENT PRIMARY KEY, flag TINYINT(1), "
            "small TINYINT, doc JSON, code CHAR(36), mood ENUM('happy','sad') DEFAULT 'sad', "
            "ts DATETIME(6) DEFAULT CURRENT_TIMESTAMP(6), big BIGINT UNSIGNED)"
        )
        connection.exec_driver_sql(
            "CREATE TABLE c (id INT PRIMARY KEY, pid INT UNSIGNED, "
            "CONSTRAINT c_p FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE)"
        )
    engine.dispose()
    schema = reflect(mysql_url)
    p = schema.entity("p")
    assert [(f.name, f.kind) for f in p.fields] == [
        ("id", "bigint"),
        ("flag", "boolean"),
        ("small", "smallint"),
        ("doc", "json"),
        ("code", "string"),
        ("mood", "enum"),
        ("ts", "datetime"),
        ("big", "decimal"),
    ]
    assert str(p.field("id").native) == "UnsignedInt"
    assert p.field("id").default == Default("autoincrement")
    assert schema.enums["p_mood"].values == ["happy", "sad"]
    assert p.field("mood").default == Default("enum", "sad")
    assert (p.field("ts").precision, p.field("ts").default) == (6, Default("now"))
    c = schema.entity("c")
    (relation,) = [r for r in c.relations if r.owning]
    assert (relation.constraint_name, relation.on_delete, relation.on_update) == (
        "c_p",
        "Cascade",
        "Restrict",
    )
    assert c.indexes == []  # MySQL's implicit foreign-key index is not part of the model


def test_sqlite_specifics(sqlite_url: str) -> None:
    import sqlite3

    with sqlite3.connect(sqlite_url) as connection:
        connection.executescript(
            "CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v VARCHAR(20) DEFAULT 'x', "
            "n NUMERIC, f FLOAT DEFAULT 1.5, d DATETIME DEFAULT CURRENT_TIMESTAMP);"
            "CREATE TABLE b (k TEXT PRIMARY KEY, a_id INTEGER UNIQUE REFERENCES a (id));"
            "CREATE INDEX b_k_desc ON b (k DESC);"
        )
    schema = reflect(sqlite_url)
    a = schema.entity("a")
    assert a.field("id").default == Default("autoincrement")
    assert (a.field("v").length, a.field("v").default) == (20, Default("literal", "x"))
    assert (a.field("f").kind, a.field("f").default) == ("float", Default("literal", 1.5))
    assert a.field("d").default == Default("now")
    b = schema.entity("b")
    (relation,) = [r for r in b.relations if r.owning]
    assert (relation.type, relation.on_delete) == ("one-to-one", "NoAction")
    assert [(i.fields, i.columns[0].order, i.name) for i in b.indexes] == [
        (["k"], "desc", "b_k_desc")
    ]


def test_tables_filter_and_unknown_table(sqlite_url: str) -> None:
    apply(representative_schema(), sqlite_url)
    schema = reflect(sqlite_url, tables=["orders", "order_lines"])
    assert [e.table for e in schema] == ["order_lines", "orders"]
    # the foreign key to accounts (not reflected) is left out
    assert [r.target for r in schema.entity("orders").relations] == ["order_lines"]
    with pytest.raises(SchemaError) as caught:
        reflect(sqlite_url, tables=["order"])
    assert str(caught.value) == (
        "table 'order' not found in the database; did you mean orders, order_lines?"
    )


def test_missing_database_file(tmp_path: Path) -> None:
    path = tmp_path / "nothing.sqlite"
    with pytest.raises(DatabaseConnectionError) as caught:
        reflect(str(path))
    assert str(caught.value) == f"cannot reflect {path}: the database file does not exist"
    assert not path.exists()


@pytest.mark.parametrize(
    ("text", "attributes", "default"),
    [
        ("nextval('a_id_seq'::regclass)", {"kind": "int"}, Default("autoincrement")),
        ("CURRENT_TIMESTAMP", {"kind": "datetime"}, Default("now")),
        ("current_timestamp(3)", {"kind": "datetime"}, Default("now")),
        ("now()", {"kind": "datetime"}, Default("now")),
        ("'a''b'::character varying", {"kind": "string"}, Default("literal", "a'b")),
        ("'ACTIVE'::\"Status\"", {"kind": "enum"}, Default("enum", "ACTIVE")),
        ("true", {"kind": "boolean"}, Default("literal", True)),
        ("'0'", {"kind": "boolean"}, Default("literal", False)),
        ("'-1'::integer", {"kind": "int"}, Default("literal", -1)),
        ("0.055", {"kind": "decimal"}, Default("literal", "0.055")),
        ("'0.00'", {"kind": "decimal"}, Default("literal", "0.00")),
        ("1.5", {"kind": "float"}, Default("literal", 1.5)),
        ("'{}'::jsonb", {"kind": "json"}, Default("literal", "{}")),
        ("ARRAY[]::text[]", {"kind": "string", "list": True}, Default("literal", [])),
        (
            "ARRAY['a'::text, 'b'::text]",
            {"kind": "string", "list": True},
            Default("literal", ["a", "b"]),
        ),
        ("'[]'", {"kind": "string", "list": True}, Default("literal", [])),
        ("gen_random_uuid()", {"kind": "uuid"}, Default("dbgenerated", "gen_random_uuid()")),
        ("NULL", {"kind": "string"}, None),
        (None, {"kind": "string"}, None),
    ],
)
def test_parse_default(text: str | None, attributes: dict[str, Any], default: Default) -> None:
    assert parse_default(text, attributes) == default


# ── Prisma's own migration engine as the oracle ───────────────────────────────────────────────

ORACLE = ROOT / "tests" / "oracle-migrate"


def prisma_ddl(schema_path: Path, database_url: str) -> str:
    """Prisma's DDL for ``schema_path`` (``prisma migrate diff --from-empty … --script``)."""
    import os
    import shutil
    import subprocess

    if shutil.which("node") is None or not (ORACLE / "node_modules" / "prisma").exists():
        reason = "Prisma migration oracle not installed (cd tests/oracle-migrate && npm ci)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason)
        pytest.skip(reason)
    completed = subprocess.run(
        ["node", str(ORACLE / "migrate-diff.mjs"), str(schema_path), "postgresql"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "ORACLE_DATABASE_URL": database_url},
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.node
@pytest.mark.postgres
@pytest.mark.parametrize(
    "prisma_file",
    [
        ROOT / "tests" / "golden" / "ddl" / "representative.prisma",
        FITZONE,
    ],
    ids=["representative", "fitzonegym"],
)
def test_prisma_oracle(prisma_file: Path, pg_url: str) -> None:
    """Prisma's DDL and mostaframe's, applied side by side, reflect to the same structure:
    tables, columns, types, nullability, defaults, keys, constraint names, indexes, actions."""
    import psycopg

    prisma = pytest.importorskip("mostaframe.schema.prisma")
    sql = prisma_ddl(prisma_file, pg_url)
    with psycopg.connect(pg_url, autocommit=True) as connection:
        connection.execute("CREATE SCHEMA prisma_side")
        connection.execute("SET search_path TO prisma_side")
        connection.execute(sql.replace('CREATE SCHEMA IF NOT EXISTS "public";', ""))
    ours = prisma.import_prisma(prisma_file)
    apply(ours, pg_url)  # into public
    dialect = get_dialect("postgres")
    theirs = signature(reflect(pg_url, schema_name="prisma_side"), dialect)
    mine = signature(reflect(pg_url, schema_name="public"), dialect)
    assert sorted(mine) == sorted(theirs)
    for table in theirs:
        assert mine[table] == theirs[table], table
