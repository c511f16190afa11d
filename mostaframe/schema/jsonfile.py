"""Read and write ``entities.json``: the @mostajs ``EntitySchema[]`` shape plus a ``mostaframe`` key.

The file is a JSON array of entity objects in the shape the @mostajs tools use (``name``,
``collection``, ``fields`` keyed by field name, ``relations`` keyed by relation name,
``indexes``, ``timestamps``). What that shape cannot say (exact types, column names, real primary
keys, enum definitions, default kinds, native types, …) goes into one extra object per entity,
field and relation under the key ``"mostaframe"``, which @mostajs tools ignore. The meaning of
the @mostajs keys is never changed. Keys this module does not know are kept and written back.

See docs/entity-model.md for the full format.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..errors import SchemaError
from ..fileio import atomic_write_text
from .model import (
    FIELD_KINDS,
    RELATION_TYPES,
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

EXT = "mostaframe"

# exact kind → @mostajs coarse type
_COARSE = {
    "string": "string",
    "int": "number",
    "smallint": "number",
    "bigint": "number",
    "float": "number",
    "real": "number",
    "decimal": "number",
    "boolean": "boolean",
    "datetime": "date",
    "date": "date",
    "time": "string",
    "json": "json",
    "bytes": "string",
    "uuid": "string",
    "enum": "string",
}
# @mostajs coarse type → exact kind, for files written by the @mostajs tools
_FROM_COARSE = {
    "string": "string",
    "text": "string",
    "number": "float",
    "boolean": "boolean",
    "date": "datetime",
    "json": "json",
    "array": "json",
}
# default kinds @mostajs understands as sentinels
_SENTINELS = {"now": "__MOSTA_NOW__", "uuid": "__MOSTA_UUID__"}
_FROM_SENTINEL = {
    "__MOSTA_NOW__": "now",
    "now": "now",
    "__MOSTA_UUID__": "uuid",
    "__MOSTA_OBJECT_ID__": "uuid",
}
# referential actions: Prisma spelling ⇄ @mostajs lower-case spelling
_ACTION_OUT = {
    "Cascade": "cascade",
    "SetNull": "set-null",
    "Restrict": "restrict",
    "NoAction": "no-action",
    "SetDefault": "set-default",
}
_ACTION_IN = (
    {v: k for k, v in _ACTION_OUT.items()}
    | {
        "setnull": "SetNull",
        "set null": "SetNull",
        "noaction": "NoAction",
        "no action": "NoAction",
        "setdefault": "SetDefault",
        "set default": "SetDefault",
    }
    | {k: k for k in _ACTION_OUT}
)

_FIELD_KEYS = {"type", "required", "unique", "default", "enum", "arrayOf", EXT}
_RELATION_KEYS = {
    "target",
    "type",
    "required",
    "onDelete",
    "joinColumn",
    "through",
    "mappedBy",
    EXT,
}
_ENTITY_KEYS = {"name", "collection", "fields", "relations", "indexes", "timestamps", EXT}


# ----------------------------------------------------------------------------------------------
# writing


def schema_to_json(schema: Schema) -> list[dict[str, Any]]:
    """The JSON-ready list of entity objects for ``schema``."""
    return [_entity_out(entity, schema) for entity in schema.entities]


def dumps(schema: Schema) -> str:
    """``entities.json`` text for ``schema`` (deterministic: same model, same bytes)."""
    return json.dumps(schema_to_json(schema), indent=2, ensure_ascii=False) + "\n"


def write_schema(schema: Schema, path: str | os.PathLike[str]) -> Path:
    """Write ``schema`` to ``path`` atomically (temporary file, then rename)."""
    return atomic_write_text(path, dumps(schema))


def _entity_out(entity: Entity, schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {"name": entity.name, "collection": entity.table}
    out["fields"] = {f.name: _field_out(f, schema) for f in entity.fields}
    out["relations"] = {r.name: _relation_out(r, entity, schema) for r in entity.relations}
    out["indexes"] = [_index_out(i) for i in entity.indexes]
    out["timestamps"] = entity.timestamps
    ext: dict[str, Any] = {"primaryKey": list(entity.primary_key)}
    if schema.provider:
        # the file is an array with no top level: each entity says which database it models
        ext["provider"] = schema.provider
    if entity.primary_key_name:
        ext["primaryKeyName"] = entity.primary_key_name
    if entity.view:
        ext["view"] = True
    if entity.ignored:
        ext["ignored"] = True
    if entity.join_table:
        ext["joinTable"] = True
    if entity.db_schema:
        ext["schema"] = entity.db_schema
    if entity.doc:
        ext["doc"] = entity.doc
    out[EXT] = ext
    for key, value in entity.extra.items():
        out.setdefault(key, value)
    return out


def _field_out(f: Field, schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "array" if f.list else ("text" if _is_text(f) else _COARSE[f.kind])
    }
    if f.list:
        out["arrayOf"] = _COARSE[f.kind]
    out["required"] = f.required
    if f.unique:
        out["unique"] = True
    if f.default is not None:
        if f.default.kind in ("literal", "enum"):
            out["default"] = f.default.value
        elif f.default.kind in _SENTINELS:
            out["default"] = _SENTINELS[f.default.kind]
    enum = schema.enums.get(f.enum) if f.enum else None
    if enum is not None:
        out["enum"] = list(enum.values)
    ext: dict[str, Any] = {"kind": f.kind}
    if f.column != f.name:
        ext["column"] = f.column
    for key, value in (("length", f.length), ("precision", f.precision), ("scale", f.scale)):
        if value is not None:
            ext[key] = value
    if f.timezone:
        ext["timezone"] = True
    if f.native is not None:
        ext["native"] = {"name": f.native.name, "args": list(f.native.args)}
    if f.default is not None:
        ext["default"] = {
            "kind": f.default.kind,
            **({"value": f.default.value} if f.default.value is not None else {}),
        }
    if enum is not None:
        ext["enum"] = {"name": enum.name}
        if enum.db_name:
            ext["enum"]["dbName"] = enum.db_name
        if enum.mapped:
            ext["enum"]["map"] = dict(enum.mapped)
        if enum.doc:
            ext["enum"]["doc"] = enum.doc
    if f.updated_at:
        ext["updatedAt"] = True
    if f.ignored:
        ext["ignored"] = True
    if f.unique_name:
        ext["uniqueName"] = f.unique_name
    if f.doc:
        ext["doc"] = f.doc
    out[EXT] = ext
    for key, value in f.extra.items():
        out.setdefault(key, value)
    return out


def _is_text(f: Field) -> bool:
    return (
        f.kind == "string"
        and f.native is not None
        and f.native.name.lower() in ("text", "longtext", "mediumtext")
    )


def _relation_out(r: Relation, entity: Entity, schema: Schema) -> dict[str, Any]:
    out: dict[str, Any] = {"target": r.target, "type": r.type}
    if r.required:
        out["required"] = True
    if r.on_delete:
        out["onDelete"] = _ACTION_OUT[r.on_delete]
    if r.owning and len(r.fields) == 1:
        out["joinColumn"] = entity.field(r.fields[0]).column
    if r.through:
        out["through"] = r.through
    if not r.owning and r.type in ("one-to-many", "one-to-one"):
        back = _back_relation(r, entity, schema)
        if back is not None:
            out["mappedBy"] = back.name
    ext: dict[str, Any] = {}
    if r.fields:
        ext["fields"] = list(r.fields)
        ext["references"] = list(r.references)
    if r.relation_name:
        ext["relationName"] = r.relation_name
    if r.on_delete:
        ext["onDelete"] = r.on_delete
    if r.on_update:
        ext["onUpdate"] = r.on_update
    if r.constraint_name:
        ext["constraintName"] = r.constraint_name
    if r.ignored:
        ext["ignored"] = True
    if ext:
        out[EXT] = ext
    for key, value in r.extra.items():
        out.setdefault(key, value)
    return out


def _back_relation(r: Relation, entity: Entity, schema: Schema) -> Relation | None:
    try:
        target = schema.entity(r.target)
    except SchemaError:
        return None
    for candidate in target.relations:
        if candidate is r or candidate.target != entity.name or not candidate.owning:
            continue
        if candidate.relation_name == r.relation_name:
            return candidate
    return None


def _index_out(index: Index) -> dict[str, Any]:
    out: dict[str, Any] = {"fields": {c.field: c.order or "asc" for c in index.columns}}
    if index.unique:
        out["unique"] = True
    ext: dict[str, Any] = {"columns": []}
    for c in index.columns:
        column: dict[str, Any] = {"field": c.field}
        if c.order:
            column["order"] = c.order
        if c.length is not None:
            column["length"] = c.length
        if c.ops:
            column["ops"] = c.ops
        ext["columns"].append(column)
    for key, value in (
        ("name", index.name),
        ("modelName", index.model_name),
        ("type", index.type),
        ("clustered", index.clustered),
    ):
        if value is not None:
            ext[key] = value
    if index.fulltext:
        ext["fulltext"] = True
    out[EXT] = ext
    for key, value in index.extra.items():
        out.setdefault(key, value)
    return out


# ----------------------------------------------------------------------------------------------
# reading


def read_schema(path: str | os.PathLike[str]) -> Schema:
    """Load ``entities.json`` (written by mostaframe or by the @mostajs tools).

    Raises:
        SchemaError: missing or malformed file; the message names the file, entity and key.
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SchemaError(
            f"schema file {source} does not exist",
            hint="create it with `mostaframe schema import prisma/schema.prisma -o <file>` "
            "or `mostaframe schema reflect <uri> -o <file>`",
        ) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}") from None
    return schema_from_json(data, origin=str(source))


def schema_from_json(data: Any, origin: str = "entities.json") -> Schema:
    """Build a :class:`Schema` from the parsed JSON of an ``entities.json`` file."""
    if isinstance(data, dict) and "entities" in data:
        data = data["entities"]
    if not isinstance(data, list):
        raise SchemaError(
            f"{origin}: expected a JSON array of entities, found {type(data).__name__}"
        )
    schema = Schema()
    for position, item in enumerate(data):
        where = f"{origin}: entity #{position + 1}"
        if not isinstance(item, dict):
            raise SchemaError(f"{where}: expected an object, found {type(item).__name__}")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise SchemaError(f"{where}: key 'name' must be a non-empty string")
        schema.entities.append(_entity_in(item, schema, f"{origin}: entity {name}"))
        provider = item.get(EXT, {}).get("provider") if isinstance(item.get(EXT), dict) else None
        if provider and schema.provider is None:
            schema.provider = provider
    _complete_mostajs_relations(schema, origin)
    try:
        schema.validate()
    except SchemaError as exc:
        raise SchemaError(f"{origin}: {exc.message}", hint=exc.hint) from None
    return schema


def _expect(value: Any, types: type | tuple[type, ...], where: str, key: str) -> Any:
    if not isinstance(value, types):
        wanted = (
            types.__name__ if isinstance(types, type) else " or ".join(t.__name__ for t in types)
        )
        raise SchemaError(f"{where}: key {key!r} must be {wanted}, found {json.dumps(value)[:60]}")
    return value


def _entity_in(item: dict[str, Any], schema: Schema, where: str) -> Entity:
    ext = _expect(item.get(EXT, {}), dict, where, EXT)
    table = _expect(item.get("collection", item["name"]), str, where, "collection")
    entity = Entity(
        name=item["name"],
        table=table,
        timestamps=bool(_expect(item.get("timestamps", False), bool, where, "timestamps")),
        view=bool(ext.get("view", False)),
        ignored=bool(ext.get("ignored", False)),
        join_table=bool(ext.get("joinTable", False)),
        db_schema=ext.get("schema"),
        doc=ext.get("doc"),
        primary_key_name=ext.get("primaryKeyName"),
        extra={k: v for k, v in item.items() if k not in _ENTITY_KEYS},
    )
    fields = item.get("fields", {})
    if isinstance(fields, list):  # tolerate the list form: [{name, type, …}]
        fields = {_expect(f, dict, where, "fields").get("name"): f for f in fields}
    _expect(fields, dict, where, "fields")
    for field_name, spec in fields.items():
        field_where = f"{where}, field {field_name}"
        entity.fields.append(
            _field_in(field_name, _expect(spec, dict, field_where, "fields"), schema, field_where)
        )
    relations = item.get("relations", {})
    if isinstance(relations, list):
        relations = {_expect(r, dict, where, "relations").get("name"): r for r in relations}
    _expect(relations, dict, where, "relations")
    for relation_name, spec in relations.items():
        relation_where = f"{where}, relation {relation_name}"
        entity.relations.append(
            _relation_in(
                relation_name, _expect(spec, dict, relation_where, "relations"), relation_where
            )
        )
    for number, spec in enumerate(_expect(item.get("indexes", []), list, where, "indexes")):
        entity.indexes.append(
            _index_in(_expect(spec, dict, where, "indexes"), f"{where}, index #{number + 1}")
        )
    if "primaryKey" in ext:
        entity.primary_key = list(_expect(ext["primaryKey"], list, where, f"{EXT}.primaryKey"))
    else:
        _complete_mostajs_entity(entity)
    return entity


def _field_in(name: str, spec: dict[str, Any], schema: Schema, where: str) -> Field:
    ext = _expect(spec.get(EXT, {}), dict, where, EXT)
    coarse = spec.get("type", "string")
    if "kind" in ext:
        kind = ext["kind"]
        if kind not in FIELD_KINDS:
            raise SchemaError(
                f"{where}: key '{EXT}.kind' has unknown type {kind!r}; known: {', '.join(FIELD_KINDS)}"
            )
    else:
        if coarse not in _FROM_COARSE:
            raise SchemaError(
                f"{where}: key 'type' has unknown type {coarse!r}; known: {', '.join(_FROM_COARSE)}"
            )
        kind = _FROM_COARSE[coarse]
        if coarse == "array" and spec.get("arrayOf") in _FROM_COARSE:
            kind = _FROM_COARSE[spec["arrayOf"]]
    is_list = coarse == "array" and ("kind" in ext or spec.get("arrayOf") in _FROM_COARSE)
    default = None
    if "default" in ext:
        d = _expect(ext["default"], dict, where, f"{EXT}.default")
        try:
            default = Default(d.get("kind", "literal"), d.get("value"))
        except SchemaError as exc:
            raise SchemaError(f"{where}: key '{EXT}.default': {exc.message}") from None
    elif "default" in spec:
        raw = spec["default"]
        if isinstance(raw, str) and raw in _FROM_SENTINEL:
            default = Default(_FROM_SENTINEL[raw])
        else:
            default = Default("enum" if spec.get("enum") else "literal", raw)
    enum_name = None
    if "enum" in spec or "enum" in ext:
        values = _expect(spec.get("enum", []), list, where, "enum")
        info = _expect(ext.get("enum", {}), dict, where, f"{EXT}.enum")
        enum_name = (
            info.get("name")
            or f"{where.split('entity ')[-1].split(',')[0]}{name[:1].upper()}{name[1:]}"
        )
        known = schema.enums.get(enum_name)
        candidate = Enum(
            name=enum_name,
            values=[str(v) for v in values],
            db_name=info.get("dbName"),
            mapped=dict(info.get("map", {})),
            doc=info.get("doc"),
        )
        if known is None:
            schema.enums[enum_name] = candidate
        elif known.values != candidate.values:
            raise SchemaError(
                f"{where}: enum {enum_name} has values {candidate.values}, elsewhere {known.values}"
            )
        kind = "enum"
    native = None
    if "native" in ext:
        n = _expect(ext["native"], dict, where, f"{EXT}.native")
        native = NativeType(n["name"], [str(a) for a in n.get("args", [])])
    elif coarse == "text":
        native = NativeType("Text")
    known_ext = {
        "kind",
        "column",
        "length",
        "precision",
        "scale",
        "timezone",
        "native",
        "default",
        "enum",
        "updatedAt",
        "ignored",
        "uniqueName",
        "doc",
    }
    extra = {k: v for k, v in spec.items() if k not in _FIELD_KEYS}
    unknown_ext = {k: v for k, v in ext.items() if k not in known_ext}
    if unknown_ext:
        extra[EXT] = unknown_ext
    try:
        return Field(
            name=name,
            kind=kind,
            column=ext.get("column", name),
            required=bool(_expect(spec.get("required", False), bool, where, "required")),
            unique=bool(_expect(spec.get("unique", False), bool, where, "unique")),
            list=is_list,
            length=ext.get("length"),
            precision=ext.get("precision"),
            scale=ext.get("scale"),
            timezone=bool(ext.get("timezone", False)),
            native=native,
            enum=enum_name,
            default=default,
            updated_at=bool(ext.get("updatedAt", False)),
            ignored=bool(ext.get("ignored", False)),
            doc=ext.get("doc"),
            unique_name=ext.get("uniqueName"),
            extra=extra,
        )
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc.message}") from None


def _relation_in(name: str, spec: dict[str, Any], where: str) -> Relation:
    ext = _expect(spec.get(EXT, {}), dict, where, EXT)
    target = _expect(spec.get("target"), str, where, "target")
    rtype = spec.get("type")
    if rtype not in RELATION_TYPES:
        raise SchemaError(
            f"{where}: key 'type' must be one of {', '.join(RELATION_TYPES)}, found {rtype!r}"
        )
    on_delete = ext.get("onDelete")
    if on_delete is None and spec.get("onDelete") is not None:
        raw = str(spec["onDelete"])
        on_delete = _ACTION_IN.get(raw) or _ACTION_IN.get(raw.lower())
        if on_delete is None:
            raise SchemaError(
                f"{where}: key 'onDelete' has unknown action {raw!r}; known: {', '.join(_ACTION_OUT.values())}"
            )
    extra = {k: v for k, v in spec.items() if k not in _RELATION_KEYS}
    if "joinColumn" in spec and "fields" not in ext:
        extra["joinColumn"] = spec[
            "joinColumn"
        ]  # resolved to a field by _complete_mostajs_relations
    if "mappedBy" in spec and "fields" not in ext:
        extra["mappedBy"] = spec["mappedBy"]
    try:
        return Relation(
            name=name,
            target=target,
            type=rtype,
            fields=list(ext.get("fields", [])),
            references=list(ext.get("references", [])),
            relation_name=ext.get("relationName"),
            on_delete=on_delete,
            on_update=ext.get("onUpdate"),
            constraint_name=ext.get("constraintName"),
            through=spec.get("through"),
            required=bool(spec.get("required", False)),
            ignored=bool(ext.get("ignored", False)),
            extra=extra,
        )
    except SchemaError as exc:
        raise SchemaError(f"{where}: {exc.message}") from None


def _index_in(spec: dict[str, Any], where: str) -> Index:
    ext = _expect(spec.get(EXT, {}), dict, where, EXT)
    if "columns" in ext:
        columns = [
            IndexColumn(c["field"], c.get("order"), c.get("length"), c.get("ops"))
            for c in ext["columns"]
        ]
    else:
        fields = spec.get("fields")
        if isinstance(fields, dict):
            columns = [
                IndexColumn(k, str(v).lower() if v is not None else None) for k, v in fields.items()
            ]
        elif isinstance(fields, list):
            columns = [IndexColumn(str(k)) for k in fields]
        else:
            raise SchemaError(f"{where}: key 'fields' must be an object or an array of field names")
    return Index(
        columns=columns,
        unique=bool(spec.get("unique", False)),
        name=ext.get("name"),
        model_name=ext.get("modelName"),
        type=ext.get("type"),
        fulltext=bool(ext.get("fulltext", False)),
        clustered=ext.get("clustered"),
        extra={k: v for k, v in spec.items() if k not in ("fields", "unique", EXT)},
    )


def _complete_mostajs_entity(entity: Entity) -> None:
    """A file from the @mostajs tools has no primary key and implicit timestamps: make them real.

    @mostajs/orm gives every entity a string ``id`` (it normalises MongoDB's ``_id`` to ``id``)
    and ``timestamps: true`` means ``createdAt``/``updatedAt`` columns.
    """
    if not entity.has_field("id"):
        entity.fields.insert(0, Field("id", "string", required=True, default=Default("uuid", 4)))
    entity.primary_key = ["id"]
    if entity.timestamps:
        if not entity.has_field("createdAt"):
            entity.fields.append(Field("createdAt", "datetime", default=Default("now")))
        if not entity.has_field("updatedAt"):
            entity.fields.append(Field("updatedAt", "datetime", updated_at=True))


def _complete_mostajs_relations(schema: Schema, origin: str) -> None:
    """Give @mostajs many-to-one / owning one-to-one relations their foreign-key field."""
    for entity in schema.entities:
        for relation in entity.relations:
            # both keys are derived from the model when the file is written again
            mapped_by = relation.extra.pop("mappedBy", None)
            column = relation.extra.pop("joinColumn", None) or relation.name
            if relation.fields or relation.type not in ("many-to-one", "one-to-one"):
                continue
            if relation.type == "one-to-one" and mapped_by:
                continue  # inverse side of a one-to-one
            try:
                target = schema.entity(relation.target)
            except SchemaError as exc:
                raise SchemaError(
                    f"{origin}: entity {entity.name}, relation {relation.name}: {exc.message}"
                ) from None
            key = target.primary_key_fields[0] if target.primary_key else Field("id", "string")
            if not entity.has_field(column):
                entity.fields.append(
                    Field(
                        column,
                        key.kind,
                        required=relation.required,
                        length=key.length,
                        precision=key.precision,
                        scale=key.scale,
                    )
                )
            relation.fields = [entity.field(column).name]
            relation.references = [key.name]
