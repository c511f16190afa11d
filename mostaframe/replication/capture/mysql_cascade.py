"""MySQL / MariaDB: log the rows a foreign key's ON DELETE / ON UPDATE action changes.

InnoDB runs foreign-key actions inside the storage engine: no trigger fires for a row deleted by
``ON DELETE CASCADE`` or changed by ``SET NULL`` / ``ON UPDATE CASCADE``. So the trigger of the
statement's own table logs them, *before* InnoDB acts:

* a ``BEFORE DELETE`` trigger on every table whose deletion reaches a captured table through
  ``CASCADE`` / ``SET NULL`` edges (captured or not: a delete in an uncaptured parent still
  removes captured children). One ``INSERT … SELECT`` computes, with one CTE per reached table
  (``WITH RECURSIVE`` for self-references such as a comment tree), the rows the cascade will
  delete and writes a ``D`` entry for each captured one, and a ``U`` entry with the final image
  (foreign-key columns NULL) for each captured row a ``SET NULL`` edge changes. ``U`` entries
  come first: a row both nulled and deleted ends deleted (the collapse keeps the last change);
* a ``BEFORE UPDATE`` trigger on every table referenced by an ``ON UPDATE CASCADE`` / ``SET
  NULL`` edge of a captured table: a ``U`` entry with the child's new image (the parent's new
  key, or NULL) when the referenced columns change (``BINARY`` compare, as InnoDB compares
  them), ``old_pk`` set when the child's primary key contains those columns.

Images use the same expressions as the row triggers (:meth:`.TriggerSQL.expression`), so the
reader and apply path take them unchanged. A chain the triggers cannot express exactly is
refused at setup (:class:`~mostaframe.errors.ReplicationError` naming the constraints): a
cascade cycle between different tables, or an action that changes columns which a further
``ON UPDATE CASCADE`` / ``SET NULL`` key references.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from ...errors import ReplicationError
from .base import object_name

if TYPE_CHECKING:
    from ...schema.model import Entity, Field
    from .trigger_sql_mysql import MySQLTriggers

#: foreign-key actions that change child rows (RESTRICT / NO ACTION only refuse)
ACTIONS = ("CASCADE", "SET NULL")

#: the two halves of the foreign keys, joined in Python (the information_schema join costs ~30×)
FOREIGN_KEYS_SQL = (
    "SELECT CONSTRAINT_NAME, TABLE_NAME, REFERENCED_TABLE_NAME, DELETE_RULE, UPDATE_RULE "
    "FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = DATABASE() "
    "AND UNIQUE_CONSTRAINT_SCHEMA = DATABASE()"
)
KEY_COLUMNS_SQL = (
    "SELECT CONSTRAINT_NAME, TABLE_NAME, COLUMN_NAME, REFERENCED_COLUMN_NAME "
    "FROM information_schema.KEY_COLUMN_USAGE WHERE TABLE_SCHEMA = DATABASE() "
    "AND REFERENCED_TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME, CONSTRAINT_NAME, "
    "ORDINAL_POSITION"
)

#: the declared type of every referenced column (a trigger copies OLD values into variables)
COLUMN_TYPES_SQL = (
    "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.COLUMN_TYPE, c.CHARACTER_SET_NAME, c.COLLATION_NAME "
    "FROM information_schema.COLUMNS c WHERE c.TABLE_SCHEMA = DATABASE() AND EXISTS ("
    "SELECT 1 FROM information_schema.KEY_COLUMN_USAGE k WHERE k.TABLE_SCHEMA = DATABASE() "
    "AND k.REFERENCED_TABLE_SCHEMA = DATABASE() AND k.REFERENCED_TABLE_NAME = c.TABLE_NAME "
    "AND k.REFERENCED_COLUMN_NAME = c.COLUMN_NAME)"
)


@dataclass(frozen=True)
class ForeignKey:
    """One foreign key of the source database, as information_schema describes it."""

    name: str
    child: str
    columns: tuple[str, ...]
    parent: str
    referenced: tuple[str, ...]
    on_delete: str
    on_update: str

    def describe(self, action: str) -> str:
        return (
            f"{self.name} ({self.child}.{', '.join(self.columns)} → "
            f"{self.parent}.{', '.join(self.referenced)}, {action})"
        )


def read_foreign_keys(constraints: list[tuple], key_columns: list[tuple]) -> list[ForeignKey]:
    """Rows of :data:`FOREIGN_KEYS_SQL` and :data:`KEY_COLUMNS_SQL` → foreign keys (columns
    in key order)."""
    columns: dict[tuple[str, str], list[tuple]] = {}
    for name, table, column, referenced in key_columns:
        columns.setdefault((table, name), []).append((column, referenced))
    return [
        ForeignKey(
            name=name,
            child=child,
            columns=tuple(c for c, _ in columns.get((child, name), [])),
            parent=parent,
            referenced=tuple(r for _, r in columns.get((child, name), [])),
            on_delete=on_delete,
            on_update=on_update,
        )
        for name, child, parent, on_delete, on_update in sorted(constraints)
    ]


class CascadeTriggers:
    """The cascade triggers of one rule, planned from the source's foreign keys.

    Args:
        sql: the MySQL trigger SQL (quoting, value expressions, change-log name).
        rule: rule name (names the triggers).
        entities: the captured entities.
        foreign_keys: every foreign key of the source database.

    Raises:
        ReplicationError: a chain the triggers cannot log exactly (see the module docstring).
    """

    def __init__(
        self,
        sql: MySQLTriggers,
        rule: str,
        entities: list[Entity],
        foreign_keys: list[ForeignKey],
        column_types: dict[tuple[str, str], str],
    ) -> None:
        self.sql = sql
        #: (table, column) → the type a DECLARE of that column needs (charset and collation too)
        self.column_types = column_types
        self.rule = rule
        self.captured = {e.table: e for e in entities}
        self.children: dict[str, list[ForeignKey]] = {}
        for key in foreign_keys:
            self.children.setdefault(key.parent, []).append(key)
        self.reaches_captured = cache(self._reaches_captured)
        self.matters = cache(self._matters)
        #: table → [(trigger name, CREATE TRIGGER statement)]
        self.triggers: dict[str, list[tuple[str, str]]] = {}
        for table in sorted(self.children):
            for name, statement in (self._delete_trigger(table), self._update_trigger(table)):
                if statement is not None:
                    self.triggers.setdefault(table, []).append((name, statement))

    @property
    def fingerprint(self) -> str:
        """A hash of every statement: changes when the foreign keys that matter change."""
        text = "\n".join(s for table in sorted(self.triggers) for _, s in self.triggers[table])
        return hashlib.sha1(text.encode()).hexdigest()

    # --- the graph ----------------------------------------------------------------------------

    def _reaches_captured(self, table: str, seen: frozenset = frozenset()) -> bool:
        """A change of ``table``'s rows can change a captured table through FK actions."""
        if table in self.captured:
            return True
        return any(
            (key.on_delete in ACTIONS or key.on_update in ACTIONS)
            and key.child not in seen
            and self.reaches_captured(key.child, seen | {table})
            for key in self.children.get(table, [])
        )

    def _matters(self, table: str, seen: frozenset = frozenset()) -> bool:
        """Deleting rows of ``table`` deletes or nulls rows of a captured table."""
        if table in self.captured:
            return True
        for key in self.children.get(table, []):
            if key.on_delete == "SET NULL" and key.child in self.captured:
                return True
            if (
                key.on_delete == "CASCADE"
                and key.child not in seen
                and self.matters(key.child, seen | {table})
            ):
                return True
        return False

    def _refuse_further_updates(self, key: ForeignKey, action: str) -> None:
        """``key``'s action changes ``key.columns`` of its child: refuse when another key
        references those columns with an updating action that reaches a captured table."""
        for further in self.children.get(key.child, []):
            if (
                further.on_update in ACTIONS
                and set(further.referenced) & set(key.columns)
                and self.reaches_captured(further.child)
            ):
                raise ReplicationError(
                    f"rule {self.rule}: foreign key {key.describe(action)} changes "
                    f"{key.child}.{', '.join(key.columns)}, which foreign key "
                    f"{further.describe('ON UPDATE ' + further.on_update)} cascades further: "
                    "MySQL/MariaDB fire no trigger for cascaded changes and trigger capture "
                    f"cannot log such a chain exactly; declare {further.name} ON UPDATE RESTRICT "
                    "(or NO ACTION), or capture from PostgreSQL (logical decoding sees cascaded "
                    "changes)"
                )

    def _cascade_order(self, root: str) -> list[str]:
        """Tables (other than ``root``) a delete of ``root`` reaches through ON DELETE CASCADE
        edges that matter, parents before children.

        Raises:
            ReplicationError: a cascade cycle between different tables.
        """
        order: list[str] = []
        path: list[tuple[str, ForeignKey | None]] = [(root, None)]

        def visit(table: str) -> None:
            for key in self.children.get(table, []):
                if key.on_delete != "CASCADE" or key.child == table or not self.matters(key.child):
                    continue
                tables = [t for t, _ in path]
                if key.child in tables:
                    cycle = [k for _, k in path[tables.index(key.child) + 1 :]] + [key]
                    raise ReplicationError(
                        f"rule {self.rule}: foreign keys "
                        + ", ".join(k.describe("ON DELETE CASCADE") for k in cycle if k)
                        + " form a cascade cycle between tables "
                        + ", ".join(dict.fromkeys(k.child for k in cycle if k))
                        + ": MySQL/MariaDB fire no trigger for cascaded deletes and trigger "
                        "capture cannot log a cycle exactly; declare one of them ON DELETE "
                        "RESTRICT (or NO ACTION), or capture from PostgreSQL (logical decoding "
                        "sees cascaded changes)"
                    )
                path.append((key.child, key))
                visit(key.child)
                path.pop()
                if key.child not in order:
                    order.append(key.child)

        visit(root)
        return list(reversed(order))

    # --- SQL pieces ---------------------------------------------------------------------------

    def _match(self, key: ForeignKey, parent_node: str | None, old: dict[str, str]) -> str:
        """``c`` (a child row) references the OLD row (node None; ``old`` maps its columns to
        expressions) or a row of the parent's CTE ``parent_node``."""
        q = self.sql.quote
        if parent_node is None:
            return " AND ".join(
                f"c.{q(c)} = {old[r]}" for c, r in zip(key.columns, key.referenced, strict=True)
            )
        left = ", ".join(f"c.{q(c)}" for c in key.columns)
        right = ", ".join(f"p.{q(r)}" for r in key.referenced)
        if len(key.columns) > 1:
            left = f"({left})"
        return f"{left} IN (SELECT {right} FROM {parent_node} AS p)"

    def _entity_pk(self, entity: Entity, overrides: dict[str, str], alias: str = "c") -> str:
        return self.sql.json_pairs(
            [
                (f.column, overrides.get(f.column) or self.sql.value(f, alias))
                for f in entity.primary_key_fields
            ]
        )

    def _head(self, entity: Entity, op: str) -> str:
        return f"{self.sql.literal(entity.name)} AS entity, '{op}' AS op"

    # --- BEFORE DELETE ------------------------------------------------------------------------

    def _delete_trigger(self, root: str) -> tuple[str, str | None]:
        name = self.trigger_name(root, "cdel")
        if not self.matters(root):
            return name, None
        q = self.sql.quote
        order = self._cascade_order(root)
        reached = set(order)
        # MariaDB loses OLD inside a CTE referenced twice ("Unknown column in 'OLD'"): the
        # trigger copies the OLD values it needs into local variables first
        old = {
            r: f"mostaframe_old_{i}"
            for i, r in enumerate(
                dict.fromkeys(r for k in self.children.get(root, []) for r in k.referenced)
            )
        }
        nodes: dict[str, str] = {}  # table → CTE of its rows the cascade deletes
        ctes: list[str] = []
        self_edges = [
            k for k in self.children.get(root, []) if k.child == root and k.on_delete == "CASCADE"
        ]
        tables = ([root] if self_edges else []) + order
        for table in tables:
            # where the table's deleted rows come from: (edge, parent CTE or None for OLD)
            incoming: list[tuple[ForeignKey, str | None]] = []
            if table == root:
                incoming = [(k, None) for k in self_edges]
            for parent in [root, *order] if table != root else []:
                for key in self.children.get(parent, []):
                    if key.child != table or key.on_delete != "CASCADE" or parent == table:
                        continue
                    if parent == root:
                        incoming.append((key, None))
                    if parent in nodes:
                        incoming.append((key, nodes[parent]))
            columns = self._node_columns(table, reached)
            cte = f"d{len(nodes)}"
            select = ", ".join(f"c.{q(c)}" for c in columns)
            base = f"SELECT {select} FROM {q(table)} AS c WHERE " + " OR ".join(
                f"({self._match(k, n, old)})" for k, n in incoming
            )
            recursive = [
                f"SELECT {select} FROM {q(table)} AS c JOIN {cte} AS p ON "
                + " AND ".join(
                    f"c.{q(c)} = p.{q(r)}" for c, r in zip(k.columns, k.referenced, strict=True)
                )
                for k in self.children.get(table, [])
                if k.child == table and k.on_delete == "CASCADE"
            ]
            ctes.append(f"{cte} AS ({' UNION '.join([base, *recursive])})")
            nodes[table] = cte
        outputs = self._set_null_outputs(root, order, nodes, old)
        for table in tables:
            entity = self.captured.get(table)
            if entity is not None:
                outputs.append(
                    f"SELECT 2 AS ord, {self._head(entity, 'D')}, "
                    f"{self.sql.json_object(entity.primary_key_fields, 'c')} AS pk, "
                    f"NULL AS image FROM {nodes[table]} AS c"
                )
        if not outputs:
            return name, None
        with_clause = f"WITH RECURSIVE {', '.join(ctes)} " if ctes else ""
        body = (
            f"INSERT INTO {self.sql.log} (rule, entity, op, pk, image, changed_at) "
            f"SELECT {self.sql.literal(self.rule)}, x.entity, x.op, x.pk, x.image, "
            f"UTC_TIMESTAMP(6) FROM ({with_clause}{' UNION ALL '.join(outputs)}) AS x "
            "ORDER BY x.ord"
        )
        declare = " ".join(
            f"DECLARE {v} {self.column_types[root, r]} DEFAULT OLD.{q(r)};" for r, v in old.items()
        )
        return name, (
            f"CREATE TRIGGER {q(name)} BEFORE DELETE ON {q(root)} FOR EACH ROW "
            f"BEGIN {declare} {body}; END"
        )

    def _node_columns(self, table: str, reached: set[str]) -> list[str]:
        """Columns a CTE of deleted ``table`` rows carries: its key (captured) and the
        columns its cascading edges reference."""
        columns: dict[str, None] = {}
        if table in self.captured:
            columns.update(dict.fromkeys(f.column for f in self.captured[table].primary_key_fields))
        for key in self.children.get(table, []):
            if (key.on_delete == "CASCADE" and (key.child in reached or key.child == table)) or (
                key.on_delete == "SET NULL" and key.child in self.captured
            ):
                columns.update(dict.fromkeys(key.referenced))
        return list(columns)

    def _set_null_outputs(
        self, root: str, order: list[str], nodes: dict[str, str], old: dict[str, str]
    ) -> list[str]:
        """U entries for captured rows an ON DELETE SET NULL edge changes."""
        by_child: dict[str, list[tuple[ForeignKey, str]]] = {}
        for parent in [root, *order]:
            for key in self.children.get(parent, []):
                if key.on_delete != "SET NULL":
                    continue
                self._refuse_further_updates(key, "ON DELETE SET NULL")
                if key.child not in self.captured:
                    continue
                sources = [None] if parent == root else []
                if parent in nodes:
                    sources.append(nodes[parent])
                condition = " OR ".join(f"({self._match(key, s, old)})" for s in sources)
                by_child.setdefault(key.child, []).append((key, condition))
        outputs = []
        for child, edges in by_child.items():
            entity = self.captured[child]
            overrides = {
                f.column: self._case(f, [(c, "NULL") for k, c in edges if f.column in k.columns])
                for f in entity.fields
                if any(f.column in k.columns for k, _ in edges)
            }
            outputs.append(
                f"SELECT 1 AS ord, {self._head(entity, 'U')}, {self._entity_pk(entity, {})} AS pk, "
                f"{self._image(entity, overrides)} AS image FROM {self.sql.quote(child)} AS c "
                f"WHERE {' OR '.join(f'({c})' for _, c in edges)}"
            )
        return outputs

    def _case(self, field: Field, branches: list[tuple[str, str]]) -> str:
        whens = " ".join(f"WHEN {condition} THEN {value}" for condition, value in branches)
        return f"CASE {whens} ELSE {self.sql.value(field, 'c')} END"

    def _image(self, entity: Entity, overrides: dict[str, str]) -> str:
        return self.sql.json_pairs(
            [(f.column, overrides.get(f.column) or self.sql.value(f, "c")) for f in entity.fields]
        )

    # --- BEFORE UPDATE ------------------------------------------------------------------------

    def _update_trigger(self, root: str) -> tuple[str, str | None]:
        name = self.trigger_name(root, "cupd")
        q = self.sql.quote
        by_child: dict[str, list[tuple[ForeignKey, str]]] = {}
        for key in self.children.get(root, []):
            if key.on_update not in ACTIONS:
                continue
            self._refuse_further_updates(key, "ON UPDATE " + key.on_update)
            if key.child not in self.captured:
                continue
            changed = " AND ".join(
                f"BINARY OLD.{q(r)} <=> BINARY NEW.{q(r)}" for r in key.referenced
            )
            old = {r: f"OLD.{q(r)}" for r in key.referenced}
            condition = f"NOT ({changed}) AND {self._match(key, None, old)}"
            by_child.setdefault(key.child, []).append((key, condition))
        if not by_child:
            return name, None
        selects = []
        for child, edges in by_child.items():
            entity = self.captured[child]
            overrides = {}
            for field in entity.fields:
                branches = []
                for key, condition in edges:
                    if field.column in key.columns:
                        referenced = key.referenced[key.columns.index(field.column)]
                        new = (
                            "NULL"
                            if key.on_update == "SET NULL"
                            else self.sql.expression(field, f"NEW.{q(referenced)}")
                        )
                        branches.append((condition, new))
                if branches:
                    overrides[field.column] = self._case(field, branches)
            keys = {f.column for f in entity.primary_key_fields}
            key_edges = [c for k, c in edges if keys & set(k.columns)]
            old_pk = (
                f"CASE WHEN {' OR '.join(f'({c})' for c in key_edges)} "
                f"THEN {self._entity_pk(entity, {})} END"
                if key_edges
                else "NULL"
            )
            selects.append(
                f"SELECT {self.sql.literal(self.rule)}, {self.sql.literal(entity.name)}, 'U', "
                f"{self._entity_pk(entity, overrides)}, {old_pk}, {self._image(entity, overrides)}, "
                f"UTC_TIMESTAMP(6) FROM {q(child)} AS c "
                f"WHERE {' OR '.join(f'({c})' for _, c in edges)}"
            )
        body = (
            f"INSERT INTO {self.sql.log} (rule, entity, op, pk, old_pk, image, changed_at) "
            + " UNION ALL ".join(selects)
        )
        return name, f"CREATE TRIGGER {q(name)} BEFORE UPDATE ON {q(root)} FOR EACH ROW {body}"

    def trigger_name(self, table: str, suffix: str) -> str:
        limit = self.sql.max_name - len(suffix) - 1
        return object_name(self.rule, table, limit=limit) + "_" + suffix


def plan_cascades(
    sql: MySQLTriggers, cursor: Any, rule: str, entities: list[Entity]
) -> CascadeTriggers:
    """Read the source's foreign keys through ``cursor`` and plan the rule's cascade triggers."""
    cursor.execute(FOREIGN_KEYS_SQL)
    constraints = list(cursor.fetchall())
    cursor.execute(KEY_COLUMNS_SQL)
    foreign_keys = read_foreign_keys(constraints, list(cursor.fetchall()))
    cursor.execute(COLUMN_TYPES_SQL)
    column_types = {
        (table, column): column_type
        + (f" CHARACTER SET {charset} COLLATE {collation}" if charset else "")
        for table, column, column_type, charset, collation in cursor.fetchall()
    }
    return CascadeTriggers(sql, rule, entities, foreign_keys, column_types)


__all__ = ["ACTIONS", "CascadeTriggers", "ForeignKey", "plan_cascades", "read_foreign_keys"]
