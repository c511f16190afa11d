"""Dialect contracts: one test class per dialect, plus the rules every dialect shares.

The type tables below are docs/type-map.md as assertions: model kind → the column type the
dialect's own compiler writes.
"""

from __future__ import annotations

import pytest

from mostaframe.dialects import DIALECTS, canonical_dialect, get_dialect
from mostaframe.dialects.base import Dialect
from mostaframe.errors import MostaframeError, SchemaError
from mostaframe.schema.model import Entity, Enum, Field, NativeType, Schema

ENUM = Enum("Mood", ["HAPPY", "SAD"], db_name="mood", mapped={"HAPPY": "happy"})


def compiled(dialect: str, field: Field, provider: str | None = "postgresql") -> str:
    """The column type of ``field`` as the dialect's compiler writes it."""
    schema = Schema([Entity("T", fields=[field])], enums={"Mood": ENUM}, provider=provider)
    d = get_dialect(dialect)
    return str(d.column_type(field, schema).compile(dialect=d.sqlalchemy_dialect()))


#: model field → column type, per dialect (None: not meaningful for that dialect)
KINDS = [
    (Field("f", "string"), "TEXT", "VARCHAR(191)", "TEXT", "VARCHAR"),
    (Field("f", "string", length=40), "VARCHAR(40)", "VARCHAR(40)", "TEXT", "VARCHAR"),
    (Field("f", "int"), "INTEGER", "INTEGER", "INTEGER", "INTEGER"),
    (Field("f", "smallint"), "SMALLINT", "SMALLINT", "SMALLINT", "SMALLINT"),
    (Field("f", "bigint"), "BIGINT", "BIGINT", "BIGINT", "BIGINT"),
    (Field("f", "float"), "DOUBLE PRECISION", "DOUBLE", "REAL", "DOUBLE"),
    (Field("f", "real"), "REAL", "FLOAT", "REAL", "REAL"),
    (
        Field("f", "decimal"),
        "DECIMAL(65, 30)",
        "DECIMAL(65, 30)",
        "DECIMAL_TEXT(65, 30)",
        "VARCHAR",
    ),
    (
        Field("f", "decimal", precision=10, scale=2),
        "DECIMAL(10, 2)",
        "DECIMAL(10, 2)",
        "DECIMAL(10, 2)",
        "DECIMAL(10, 2)",
    ),
    (Field("f", "boolean"), "BOOLEAN", "TINYINT(1)", "BOOLEAN", "BOOLEAN"),
    (
        Field("f", "datetime"),
        "TIMESTAMP(3) WITHOUT TIME ZONE",
        "DATETIME(3)",
        "DATETIME",
        "TIMESTAMP",
    ),
    (
        Field("f", "datetime", timezone=True, precision=6),
        "TIMESTAMP(6) WITH TIME ZONE",
        "DATETIME(6)",
        "DATETIME",
        "TIMESTAMPTZ",
    ),
    (Field("f", "date"), "DATE", "DATE", "DATE", "DATE"),
    (Field("f", "time", precision=0), "TIME(0) WITHOUT TIME ZONE", "TIME", "TIME", "TIME"),
    (Field("f", "json"), "JSONB", "JSON", "TEXT", "JSON"),
    (Field("f", "bytes"), "BYTEA", "LONGBLOB", "BLOB", "BLOB"),
    (Field("f", "uuid"), "UUID", "CHAR(36)", "TEXT", "UUID"),
    (Field("f", "enum", enum="Mood"), '"mood"', "ENUM('happy','SAD')", "TEXT", '"mood"'),
    (Field("f", "int", list=True), "INTEGER[]", "JSON", "TEXT", "INTEGER[]"),
]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("row", KINDS, ids=[f"{r[0].kind}-{i}" for i, r in enumerate(KINDS)])
def test_type_map(dialect: str, row: tuple) -> None:
    field, *expected = row
    # MySQL: Prisma's VARCHAR(191) for plain strings of a model written for MySQL
    provider = "mysql" if dialect == "mysql" else "postgresql"
    assert compiled(dialect, field, provider) == expected[DIALECTS.index(dialect)]


@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_kind_is_mapped(dialect: str) -> None:
    from mostaframe.schema.model import FIELD_KINDS

    assert set(get_dialect(dialect).TYPE_MAP) == set(FIELD_KINDS)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_registry_returns_the_module_singleton(dialect: str) -> None:
    d = get_dialect(dialect.upper())
    assert isinstance(d, Dialect) and d.name == dialect and d is get_dialect(dialect)


def test_unknown_dialect_suggests_the_closest() -> None:
    with pytest.raises(MostaframeError) as caught:
        canonical_dialect("postgress")
    assert str(caught.value) == (
        "unknown dialect 'postgress'; did you mean 'postgres'? "
        "(known: postgres, mysql, sqlite, duckdb)"
    )


@pytest.mark.parametrize(
    ("dialect", "name", "quoted"),
    [
        ("postgres", 'say "hi"', '"say ""hi"""'),
        ("postgres", "back`tick", '"back`tick"'),
        ("mysql", "back`tick", "`back``tick`"),
        ("mysql", 'say "hi"', '`say "hi"`'),
        ("sqlite", "été 100%", '"été 100%"'),
        ("duckdb", '""', '""""""'),
    ],
)
def test_quote(dialect: str, name: str, quoted: str) -> None:
    assert get_dialect(dialect).quote(name) == quoted


@pytest.mark.parametrize("dialect", DIALECTS)
def test_quote_rejects_nul_and_empty(dialect: str) -> None:
    d = get_dialect(dialect)
    with pytest.raises(SchemaError) as caught:
        d.quote("a\x00b")
    assert str(caught.value) == (
        f"identifier 'a\\x00b' contains a NUL character, which {dialect} does not accept in "
        "names (rename it in the model (@map / @@map))"
    )
    with pytest.raises(SchemaError, match="empty identifier"):
        d.quote("")


def test_constraint_names_are_cut_like_prisma() -> None:
    postgres = get_dialect("postgres")
    table = "a_really_long_table_name_for_testing_identifier_limits"
    name = postgres.constraint_name(table, ["another_long_column_name"], "fkey")
    assert len(name.encode()) == 63
    assert name == f"{table}_ano_fkey"  # as Prisma writes it (test_prisma_oracle)
    # multi-byte characters are never split
    name = postgres.constraint_name("é" * 40, ["x"], "key")
    assert len(name.encode()) <= 63 and name.endswith("_key") and "\ufffd" not in name
    # SQLite and DuckDB have no practical limit
    assert (
        get_dialect("sqlite").constraint_name(table, ["c" * 80], "idx").endswith("c" * 80 + "_idx")
    )


def test_literal_defaults() -> None:
    postgres, mysql = get_dialect("postgres"), get_dialect("mysql")
    text = Field("f", "string")
    assert postgres.literal_sql("it's", text) == "'it''s'"
    assert postgres.literal_sql(True, Field("f", "boolean")) == "true"
    assert mysql.literal_sql(True, Field("f", "boolean")) == "1"
    assert postgres.literal_sql("0.055", Field("f", "decimal")) == "0.055"
    assert postgres.literal_sql(["a", "b"], Field("f", "string", list=True)) == (
        "ARRAY['a', 'b']::TEXT[]"
    )
    assert mysql.literal_sql({"a": 1}, Field("f", "json")) == """('{"a": 1}')"""


class TestPostgres:
    dialect = get_dialect("postgres")

    def test_native_types_are_honoured(self) -> None:
        cases = [
            (NativeType("VarChar", ["255"]), "VARCHAR(255)"),
            (NativeType("Char", ["2"]), "CHAR(2)"),
            (NativeType("Text"), "TEXT"),
            (NativeType("Citext"), "CITEXT"),
            (NativeType("Inet"), "INET"),
            (NativeType("Xml"), "XML"),
            (NativeType("Timestamptz", ["6"]), "TIMESTAMP(6) WITH TIME ZONE"),
            (NativeType("Timetz", ["3"]), "TIME(3) WITH TIME ZONE"),
            (NativeType("Decimal", ["10", "2"]), "DECIMAL(10, 2)"),
            (NativeType("Money"), "MONEY"),
            (NativeType("Json"), "JSON"),
            (NativeType("Oid"), "OID"),
        ]
        for native, sql in cases:
            assert compiled("postgres", Field("f", "string", native=native)) == sql

    def test_autoincrement_outside_the_key_is_serial(self) -> None:
        entity = Entity(
            "T", fields=[Field("id", "string"), Field("n", "bigint")], primary_key=["id"]
        )
        column_type, flag = self.dialect.autoincrement(entity, entity.field("n"))
        assert (column_type.spec, flag) == ("BIGSERIAL", False)

    def test_enum_type_if_not_exists(self) -> None:
        (statement,) = self.dialect.enum_statements(ENUM, if_not_exists=True)
        assert statement == (
            "DO $$ BEGIN CREATE TYPE \"mood\" AS ENUM ('happy', 'SAD'); "
            "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
        )


class TestMySQL:
    dialect = get_dialect("mysql")

    def test_native_types_for_a_mysql_model(self) -> None:
        cases = [
            (NativeType("VarChar", ["255"]), "VARCHAR(255)"),
            (NativeType("Text"), "TEXT"),
            (NativeType("MediumText"), "MEDIUMTEXT"),
            (NativeType("UnsignedInt"), "INTEGER UNSIGNED"),
            (NativeType("TinyInt", ["1"]), "TINYINT(1)"),
            (NativeType("Timestamp", ["6"]), "TIMESTAMP(6)"),
            (NativeType("DateTime", ["0"]), "DATETIME"),
            (NativeType("Year"), "YEAR"),
            (NativeType("VarBinary", ["16"]), "VARBINARY(16)"),
        ]
        for native, sql in cases:
            assert compiled("mysql", Field("f", "string", native=native), "mysql") == sql

    def test_native_types_of_another_database_are_not_trusted(self) -> None:
        # @db.Timestamp(6) on PostgreSQL means "without time zone", not MySQL's 2038-limited type
        field = Field("f", "datetime", precision=6, native=NativeType("Timestamp", ["6"]))
        assert compiled("mysql", field, "postgresql") == "DATETIME(6)"

    def test_unbounded_text_from_another_database_is_not_cut(self) -> None:
        text = Field("body", "string", native=NativeType("Text"))
        key = Field("slug", "string", unique=True)
        schema = Schema([Entity("T", fields=[text, key])], provider="postgresql")
        assert type(self.dialect.column_type(text, schema)).__name__ == "LONGTEXT"
        assert str(self.dialect.column_type(key, schema)) == "VARCHAR(191)"

    def test_model_without_provider(self) -> None:
        # e.g. loaded from entities.json: unambiguous natives are used, ambiguous ones are not
        assert compiled(
            "mysql", Field("f", "string", native=NativeType("VarChar", ["9"])), None
        ) == ("VARCHAR(9)")
        stamp = Field("f", "datetime", precision=6, native=NativeType("Timestamp", ["6"]))
        assert compiled("mysql", stamp, None) == "DATETIME(6)"
        assert (
            compiled("mysql", Field("f", "string", native=NativeType("Text")), None) == "LONGTEXT"
        )
        assert compiled("mysql", Field("f", "string"), None) == "LONGTEXT"

    def test_now_matches_the_column_precision(self) -> None:
        assert self.dialect.now_sql(Field("f", "datetime")) == "CURRENT_TIMESTAMP(3)"
        assert self.dialect.now_sql(Field("f", "datetime", precision=0)) == "CURRENT_TIMESTAMP"


class TestSQLite:
    dialect = get_dialect("sqlite")

    def test_flags(self) -> None:
        assert not self.dialect.alter_add_foreign_key
        assert self.dialect.inline_cyclic_foreign_keys
        assert self.dialect.enum_style == "text"

    def test_bigint_autoincrement_key_is_the_rowid(self) -> None:
        entity = Entity("T", fields=[Field("id", "bigint")], primary_key=["id"])
        column_type, flag = self.dialect.autoincrement(entity, entity.field("id"))
        assert (str(column_type), flag) == ("INTEGER", True)

    def test_wide_decimals_keep_their_text(self) -> None:
        # NUMERIC affinity keeps 15 significant digits; TEXT affinity keeps the value as given
        assert compiled("sqlite", Field("f", "decimal", precision=15, scale=2)) == "DECIMAL(15, 2)"
        assert compiled("sqlite", Field("f", "decimal", precision=16, scale=2)) == (
            "DECIMAL_TEXT(16, 2)"
        )

    def test_uuid_expression_is_translated(self) -> None:
        from mostaframe.schema.model import Default

        field = Field("id", "uuid", default=Default("dbgenerated", "gen_random_uuid()"))
        schema = Schema([Entity("T", fields=[field])], provider="postgresql")
        sql = self.dialect.default_sql(schema.entities[0], field, schema)
        assert sql.startswith("(lower(hex(randomblob(4)))") and sql.endswith(")")


class TestDuckDB:
    dialect = get_dialect("duckdb")

    def test_flags(self) -> None:
        assert self.dialect.unique_as_constraint
        assert not self.dialect.alter_add_foreign_key
        assert self.dialect.referential_action("Cascade") is None
        assert self.dialect.referential_action("Restrict") == "RESTRICT"

    def test_decimal_beyond_38_digits_is_exact_text(self) -> None:
        assert (
            compiled("duckdb", Field("f", "decimal", precision=38, scale=10)) == "DECIMAL(38, 10)"
        )
        assert compiled("duckdb", Field("f", "decimal", precision=39, scale=0)) == "VARCHAR"

    def test_sequence_for_autoincrement(self) -> None:
        from mostaframe.schema.model import Default

        entity = Entity(
            "T", table="t x", fields=[Field("id", "int", default=Default("autoincrement"))]
        )
        assert self.dialect.pre_table_statements(entity) == ['CREATE SEQUENCE "t x_id_seq"']
        schema = Schema([entity])
        assert self.dialect.default_sql(entity, entity.fields[0], schema) == (
            "nextval('\"t x_id_seq\"')"
        )
