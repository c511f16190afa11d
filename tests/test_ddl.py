"""DDL generation and apply, over every registered dialect, against real databases.

Golden files: ``tests/golden/ddl/<dialect>.sql`` hold the exact statements for
:func:`representative_schema`. After an intended change, regenerate them with
``MOSTAFRAME_UPDATE_GOLDEN=1 pytest tests/test_ddl.py -k golden`` and review the diff.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest

from mostaframe.ddl import (
    ApplyResult,
    apply,
    create_statements,
    drop_statements,
    execute_ddl,
    sqlalchemy_metadata,
    table_for,
)
from mostaframe.dialects import DIALECTS, get_dialect
from mostaframe.errors import DatabaseConnectionError, SchemaError, UnsupportedError
from mostaframe.schema.model import (
    Default,
    Entity,
    Enum,
    Field,
    Index,
    IndexColumn,
    NativeType,
    Relation,
    Schema,
)
from mostaframe.schema.reflect import reflect

GOLDEN = Path(__file__).parent / "golden" / "ddl"


def representative_schema() -> Schema:
    """Every kind, native types, enums with @map, lists, every default kind, composite keys,
    a self relation, a one-to-one, custom constraint names and a descending index."""
    roles = Enum(
        "Role", ["USER", "ADMIN"], db_name="role", mapped={"USER": "user", "ADMIN": "admin"}
    )
    statuses = Enum("Status", ["ACTIVE", "PAUSED"])
    accounts = Entity(
        "Account",
        table="accounts",
        fields=[
            Field("id", "int", default=Default("autoincrement")),
            Field(
                "email", "string", length=120, native=NativeType("VarChar", ["120"]), unique=True
            ),
            Field("name", "string", required=False),
            Field("role", "enum", enum="Role", default=Default("enum", "USER")),
            Field(
                "balance",
                "decimal",
                precision=10,
                scale=2,
                native=NativeType("Decimal", ["10", "2"]),
                default=Default("literal", 0),
            ),
            Field("ratio", "decimal", required=False),
            Field("score", "float", default=Default("literal", 1.5)),
            Field("weight", "real", required=False, native=NativeType("Real")),
            Field("rank", "smallint", native=NativeType("SmallInt"), default=Default("literal", 0)),
            Field("visits", "bigint", required=False),
            Field("active", "boolean", default=Default("literal", True)),
            Field("createdAt", "datetime", column="created_at", default=Default("now")),
            Field(
                "updatedAt",
                "datetime",
                column="updated_at",
                timezone=True,
                precision=6,
                native=NativeType("Timestamptz", ["6"]),
                updated_at=True,
            ),
            Field("birthday", "date", required=False, native=NativeType("Date")),
            Field(
                "opensAt",
                "time",
                column="opens_at",
                required=False,
                precision=0,
                native=NativeType("Time", ["0"]),
            ),
            Field("settings", "json", default=Default("literal", "{}")),
            Field("avatar", "bytes", required=False),
            Field(
                "externalId",
                "uuid",
                column="external_id",
                native=NativeType("Uuid"),
                default=Default("dbgenerated", "gen_random_uuid()"),
            ),
            Field("tags", "string", list=True, default=Default("literal", [])),
            Field("referrerId", "int", column="referrer_id", required=False),
        ],
        primary_key=["id"],
        relations=[
            Relation("referrer", "Account", "many-to-one", ["referrerId"], ["id"]),
            Relation("referrals", "Account", "one-to-many"),
            Relation("profile", "Profile", "one-to-one"),
            Relation("orders", "Order", "one-to-many"),
        ],
        indexes=[
            Index([IndexColumn("createdAt", order="desc"), IndexColumn("name")]),
            Index(
                [IndexColumn("name"), IndexColumn("birthday")],
                unique=True,
                name="accounts_name_birthday_uq",
            ),
        ],
    )
    profiles = Entity(
        "Profile",
        table="profiles",
        fields=[
            Field("accountId", "int", column="account_id"),
            Field("bio", "string", required=False, native=NativeType("Text")),
        ],
        primary_key=["accountId"],
        relations=[
            Relation("account", "Account", "one-to-one", ["accountId"], ["id"], on_delete="Cascade")
        ],
    )
    orders = Entity(
        "Order",
        table="orders",
        fields=[
            Field("id", "bigint", default=Default("autoincrement")),
            Field("accountId", "int", column="account_id"),
            Field("status", "enum", enum="Status", default=Default("enum", "ACTIVE")),
            Field(
                "code", "uuid", unique=True, native=NativeType("Uuid"), default=Default("uuid", 4)
            ),
            Field(
                "total", "decimal", precision=12, scale=2, native=NativeType("Decimal", ["12", "2"])
            ),
        ],
        primary_key=["id"],
        relations=[
            Relation(
                "account",
                "Account",
                "many-to-one",
                ["accountId"],
                ["id"],
                constraint_name="orders_account_fk",
                on_update="Restrict",
            ),
            Relation("lines", "OrderLine", "one-to-many"),
        ],
        indexes=[Index([IndexColumn("accountId"), IndexColumn("status")])],
    )
    lines = Entity(
        "OrderLine",
        table="order_lines",
        fields=[
            Field("orderId", "bigint", column="order_id"),
            Field("position", "int"),
            Field("productCode", "string", column="product_code", length=40),
            Field("quantity", "int", default=Default("literal", 1)),
        ],
        primary_key=["orderId", "position"],
        primary_key_name="order_lines_pk",
        relations=[
            Relation("order", "Order", "many-to-one", ["orderId"], ["id"], on_delete="Cascade")
        ],
    )
    return Schema(
        entities=[accounts, profiles, orders, lines],
        enums={"Role": roles, "Status": statuses},
        provider="postgresql",
    )


def golden_text(statements: list[str]) -> str:
    return "".join(f"{statement};\n\n" for statement in statements)


# ── golden DDL ────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("dialect", DIALECTS)
def test_golden_ddl(dialect: str) -> None:
    text = golden_text(create_statements(representative_schema(), dialect))
    path = GOLDEN / f"{dialect}.sql"
    if os.environ.get("MOSTAFRAME_UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_postgres_statement_shapes_follow_prisma() -> None:
    statements = create_statements(representative_schema(), "postgres")
    assert statements[0] == "CREATE TYPE \"role\" AS ENUM ('user', 'admin')"
    assert statements[1] == "CREATE TYPE \"Status\" AS ENUM ('ACTIVE', 'PAUSED')"
    accounts = statements[2]
    assert '"id" SERIAL NOT NULL' in accounts
    assert 'CONSTRAINT "accounts_pkey" PRIMARY KEY ("id")' in accounts
    assert (
        'CONSTRAINT "accounts_referrer_id_fkey" FOREIGN KEY("referrer_id") REFERENCES '
        '"accounts" ("id") ON DELETE SET NULL ON UPDATE CASCADE'
    ) in accounts
    assert statements[3] == 'CREATE UNIQUE INDEX "accounts_email_key" ON "accounts" ("email")'
    assert any(s.startswith('CREATE INDEX "accounts_created_at_name_idx"') for s in statements)
    orders = next(s for s in statements if s.startswith('CREATE TABLE "orders"'))
    assert '"id" BIGSERIAL NOT NULL' in orders
    # required relation: Prisma's default ON DELETE RESTRICT; explicit onUpdate kept
    assert "ON DELETE RESTRICT ON UPDATE RESTRICT" in orders
    assert '"code" UUID NOT NULL,' in orders  # uuid() is computed by the client: no default


def test_parents_come_before_children_and_if_not_exists() -> None:
    statements = create_statements(representative_schema(), "sqlite", if_not_exists=True)
    tables = [s.split('"')[1] for s in statements if s.startswith("CREATE TABLE")]
    assert tables == ["accounts", "profiles", "orders", "order_lines"]
    assert all("IF NOT EXISTS" in s for s in statements)


def test_entities_subset_leaves_out_foreign_keys_to_other_tables() -> None:
    schema = representative_schema()
    statements = create_statements(schema, "postgres", [schema.entity("Order")])
    assert [s.split("(")[0] for s in statements] == [
        'CREATE TYPE "Status" AS ENUM ',
        'CREATE TABLE "orders" ',
        'CREATE UNIQUE INDEX "orders_code_key" ON "orders" ',
        'CREATE INDEX "orders_account_id_status_idx" ON "orders" ',
    ]
    assert "FOREIGN KEY" not in statements[1]


def cyclic_schema() -> Schema:
    """Two tables referencing each other (a cycle) plus a self relation."""
    teams = Entity(
        "Team",
        table="teams",
        fields=[Field("id", "int"), Field("captainId", "int", required=False)],
        primary_key=["id"],
        relations=[Relation("captain", "Player", "many-to-one", ["captainId"], ["id"])],
    )
    players = Entity(
        "Player",
        table="players",
        fields=[
            Field("id", "int"),
            Field("teamId", "int"),
            Field("mentorId", "int", required=False),
        ],
        primary_key=["id"],
        relations=[
            Relation("team", "Team", "many-to-one", ["teamId"], ["id"]),
            Relation("mentor", "Player", "many-to-one", ["mentorId"], ["id"]),
        ],
    )
    return Schema([teams, players], provider="postgresql")


def test_cycles_become_alter_table_on_postgres_and_mysql() -> None:
    postgres = create_statements(cyclic_schema(), "postgres")
    assert postgres[-1] == (
        'ALTER TABLE "players" ADD CONSTRAINT "players_teamId_fkey" FOREIGN KEY("teamId") '
        'REFERENCES "teams" ("id") ON DELETE RESTRICT ON UPDATE CASCADE'
    )
    mysql = create_statements(cyclic_schema(), "mysql")
    assert mysql[-1].startswith("ALTER TABLE `players` ADD CONSTRAINT `players_teamId_fkey`")


def test_cycles_are_inline_on_sqlite() -> None:
    statements = create_statements(cyclic_schema(), "sqlite")
    assert [s.split('"')[1] for s in statements] == ["players", "teams"]
    assert 'CONSTRAINT "players_teamId_fkey" FOREIGN KEY("teamId")' in statements[0]


def test_cycles_on_duckdb_leave_the_closing_foreign_key_out_with_a_warning() -> None:
    with pytest.warns(UserWarning, match="relation team: duckdb cannot add a foreign key"):
        statements = create_statements(cyclic_schema(), "duckdb")
    assert [s.split('"')[1] for s in statements] == ["players", "teams"]
    assert "players_teamId_fkey" not in statements[0]
    assert 'FOREIGN KEY("mentorId")' in statements[0]  # self relations need no ALTER


def test_duckdb_drops_actions_it_cannot_enforce() -> None:
    statements = create_statements(representative_schema(), "duckdb")
    assert not any("CASCADE" in s or "SET NULL" in s for s in statements)


def test_foreign_dbgenerated_expression_is_translated_or_dropped_with_a_warning() -> None:
    schema = Schema(
        [
            Entity(
                "T",
                fields=[
                    Field("id", "uuid", default=Default("dbgenerated", "gen_random_uuid()")),
                    Field("n", "int", default=Default("dbgenerated", "nextval_custom()")),
                ],
                primary_key=["id"],
            )
        ],
        provider="postgresql",
    )
    with pytest.warns(
        UserWarning, match=r"entity T, field n: default dbgenerated\('nextval_custom"
    ):
        statements = create_statements(schema, "mysql")
    assert "`id` CHAR(36) NOT NULL DEFAULT (uuid())" in statements[0]
    assert "`n` INTEGER NOT NULL," in statements[0]


def test_autoincrement_outside_the_primary_key_is_named_unsupported_on_sqlite() -> None:
    schema = Schema(
        [
            Entity(
                "T",
                fields=[Field("id", "string"), Field("n", "int", default=Default("autoincrement"))],
                primary_key=["id"],
            )
        ]
    )
    with pytest.raises(UnsupportedError, match="sqlite: entity T, field n: autoincrement"):
        create_statements(schema, "sqlite")
    assert '"n" SERIAL NOT NULL' in create_statements(schema, "postgres")[0]


def test_drop_statements_reverse_the_order() -> None:
    statements = drop_statements(representative_schema(), "postgres")
    assert statements == [
        'DROP TABLE IF EXISTS "order_lines"',
        'DROP TABLE IF EXISTS "orders"',
        'DROP TABLE IF EXISTS "profiles"',
        'DROP TABLE IF EXISTS "accounts"',
        'DROP TYPE IF EXISTS "role"',
        'DROP TYPE IF EXISTS "Status"',
    ]


def test_table_for_and_metadata_serve_the_sinks() -> None:
    schema = representative_schema()
    table = table_for(schema.entity("Order"), schema, "postgres")
    assert [c.name for c in table.columns] == ["id", "account_id", "status", "code", "total"]
    assert [c.name for c in table.primary_key.columns] == ["id"]
    assert not table.foreign_keys
    metadata = sqlalchemy_metadata(schema, "mysql")
    assert sorted(metadata.tables) == ["accounts", "order_lines", "orders", "profiles"]
    lines = metadata.tables["order_lines"]
    assert [fk.target_fullname for fk in lines.foreign_keys] == ["orders.id"]
    # an upsert built on it compiles for the dialect
    from sqlalchemy.dialects.postgresql import insert

    pg_table = table_for(schema.entity("OrderLine"), schema, "postgres")
    upsert = insert(pg_table).values(order_id=1, position=1, product_code="x", quantity=2)
    upsert = upsert.on_conflict_do_update(
        index_elements=[pg_table.c.order_id, pg_table.c.position],
        set_={"quantity": upsert.excluded.quantity},
    )
    sql = str(upsert.compile(dialect=get_dialect("postgres").sqlalchemy_dialect()))
    assert (
        'ON CONFLICT ("order_id", "position") DO UPDATE SET "quantity" = excluded."quantity"' in sql
    )


# ── apply, over every dialect ─────────────────────────────────────────────────────────────────


def test_apply_is_idempotent(db_url: str) -> None:
    schema = representative_schema()
    first = apply(schema, db_url)
    assert first.created == ["accounts", "profiles", "orders", "order_lines"]
    assert first.existing == []
    second = apply(schema, db_url)
    assert second.created == [] and second.statements == []
    assert second.existing == ["accounts", "profiles", "orders", "order_lines"]
    assert "created 0 tables; 4 already existed (accounts, profiles, orders, order_lines)" in str(
        second
    )
    assert second.to_dict()["existing"] == second.existing
    assert "<code>accounts</code></td><td>already existed" in second._repr_html_()


def test_apply_creates_only_missing_tables(db_url: str) -> None:
    schema = representative_schema()
    apply(schema, db_url, [schema.entity("Account")])
    result = apply(schema, db_url)
    assert result.existing == ["accounts"]
    assert result.created == ["profiles", "orders", "order_lines"]
    # the foreign keys of the new tables point at the table that was already there
    back = reflect(db_url)
    assert [r.target for r in back.entity("orders").relations if r.owning] == ["accounts"]


def test_apply_refuses_a_differing_table(db_url: str) -> None:
    schema = representative_schema()
    apply(schema, db_url, [schema.entity("OrderLine")])
    changed = representative_schema()
    line = changed.entity("OrderLine")
    line.fields.append(Field("note", "string", required=False))
    line.field("quantity").required = False
    line.field("productCode").kind = "int"
    with pytest.raises(SchemaError) as caught:
        apply(changed, db_url)
    assert str(caught.value) == (
        f"existing tables in {db_url} differ from the model: table order_lines (entity "
        "OrderLine): column product_code is string in the database, integer in the model; "
        "column quantity is NOT NULL in the database, optional in the model; column note is "
        "missing (migrate or drop those tables, or leave their entities out of apply())"
    )
    # nothing else was created
    assert [e.table for e in reflect(db_url)] == ["order_lines"]


def _rejected_schema() -> Schema:
    schema = representative_schema()
    # the last table carries a default no database can parse: the run must fail there
    schema.entity("OrderLine").field("quantity").default = Default(
        "dbgenerated", "no_such_function_anywhere("
    )
    schema.provider = None  # expressions are used as written on every dialect
    return schema


def test_apply_is_all_or_nothing(db_url: str) -> None:
    with pytest.raises(SchemaError, match="rejected statement") as caught:
        apply(_rejected_schema(), db_url)
    dialect_name = reflect_dialect(db_url)
    if get_dialect(dialect_name).transactional_ddl:
        assert caught.value.hint == "nothing was created"
    else:
        assert caught.value.hint == "the tables this run created were dropped again"
    assert [e.table for e in reflect(db_url)] == []


def reflect_dialect(url: str) -> str:
    from mostaframe.secrets import parse_uri

    return parse_uri(url).dialect


HOSTILE_TABLE = 'we"ird `tab` 100% été'


def hostile_schema() -> Schema:
    return Schema(
        [
            Entity(
                "Parent",
                table=HOSTILE_TABLE,
                fields=[
                    Field("id", "int", column="i d\"'`"),
                    Field("name", "string", column="naïve % name", length=30, unique=True),
                ],
                primary_key=["id"],
            ),
            Entity(
                "Child",
                table="child; DROP TABLE x --",
                fields=[Field("id", "int"), Field("parent", "int", column="parent ✓")],
                primary_key=["id"],
                relations=[Relation("p", "Parent", "many-to-one", ["parent"], ["id"])],
                indexes=[Index([IndexColumn("parent", order="desc")], name="ix ' \" `")],
            ),
        ]
    )


def test_hostile_identifiers_are_quoted(db_url: str) -> None:
    schema = hostile_schema()
    result = apply(schema, db_url)
    assert result.created == [HOSTILE_TABLE, "child; DROP TABLE x --"]
    back = reflect(db_url)
    assert sorted(e.table for e in back) == sorted([HOSTILE_TABLE, "child; DROP TABLE x --"])
    parent = back.entity(HOSTILE_TABLE)
    assert parent.columns == ["i d\"'`", "naïve % name"]
    assert parent.field("naïve % name").unique
    child = back.entity("child; DROP TABLE x --")
    (relation,) = [r for r in child.relations if r.owning]
    assert (relation.target, relation.fields, relation.references) == (
        HOSTILE_TABLE,
        ["parent ✓"],
        ["i d\"'`"],
    )
    assert [index.fields for index in child.indexes] == [["parent ✓"]]


def test_nul_in_a_name_is_rejected_before_any_sql() -> None:
    schema = Schema([Entity("T", table="bad\x00name", fields=[Field("id", "int")])])
    with pytest.raises(SchemaError) as caught:
        create_statements(schema, "postgres")
    assert str(caught.value) == (
        "identifier 'bad\\x00name' contains a NUL character, which postgres does not accept in "
        "names (rename it in the model (@map / @@map))"
    )


def test_connection_failure_masks_the_password() -> None:
    uri = "postgresql://alice:s3cr3t-p%40ss@127.0.0.1:1/nowhere"
    with pytest.raises(DatabaseConnectionError) as caught:
        apply(representative_schema(), uri)
    message = str(caught.value)
    assert message.startswith("cannot connect to postgresql://alice:***@127.0.0.1:1/nowhere: ")
    assert "s3cr3t" not in message
    assert caught.value.transient


def test_apply_creates_the_database_file_and_its_folder(tmp_path: Path) -> None:
    for name in ("sub/dir/a.sqlite", "other/b.duckdb"):
        path = tmp_path / name
        result = apply(representative_schema(), str(path))
        assert path.exists()
        assert isinstance(result, ApplyResult) and len(result.created) == 4


def test_drop_statements_remove_everything(db_url: str) -> None:
    schema = representative_schema()
    apply(schema, db_url)
    dialect = get_dialect(reflect_dialect(db_url))
    engine = dialect.engine(db_url)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with engine.begin() as connection:
            for statement in drop_statements(schema, dialect):
                execute_ddl(connection, statement)
        with engine.connect() as connection:
            assert dialect.table_names(connection, None) == set()
            assert dialect.enum_types(connection, None) == {}
    engine.dispose()
