"""Differential tests: mostaframe's Prisma importer against Prisma's own parser (the DMMF).

Every schema under tests/data/prisma (and FitZoneGym) is imported by mostaframe and run through
Prisma's schema engine (``tests/oracle/dmmf.mjs``, the ``@prisma/prisma-schema-wasm`` package).
Both results are brought to one comparable shape — model by model, field by field — and must agree
exactly. The few places where the entity model says something on purpose differently from the
DMMF are normalised here, each with its reason:

* a scalar list is ``required=False`` in the model (Prisma creates the array column nullable), the
  DMMF says ``isRequired: true`` (its client never returns null);
* a relation's ``required`` is "every foreign-key field is required" on the owning side and False
  elsewhere (the entity model's definition), computed here from the DMMF's scalar fields;
* ``isUnique`` is true in the DMMF for any single-column unique; the model keeps a plain one on the
  field and one with options (sort, length, a client name) as a unique index;
* the DMMF leaves out ``@ignore`` fields, ``@@ignore`` models and ``Unsupported`` fields; the model
  keeps them (flagged ignored), so they are compared only for being there;
* exact types (kind, length, precision, scale, time zone) do not exist in the DMMF: they are derived
  here from its type and native type with an independent table (:func:`_expected_exact`).

Invalid schemas (tests/data/prisma/invalid) must be rejected by both.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from mostaframe.errors import MostaframeError
from mostaframe.schema.model import Entity, Schema
from mostaframe.schema.prisma import import_prisma, parse_prisma

ROOT = Path(__file__).resolve().parent.parent
ORACLE = ROOT / "tests" / "oracle" / "dmmf.mjs"
DATA = ROOT / "tests" / "data" / "prisma"
FITZONE = ROOT / "data" / "fitzonegym" / "schema.prisma"

_MISSING = (
    "node is not installed"
    if shutil.which("node") is None
    else "tests/oracle/node_modules is missing (run `cd tests/oracle && npm ci`)"
    if not (ROOT / "tests" / "oracle" / "node_modules" / "@prisma" / "prisma-schema-wasm").exists()
    else None
)
pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(_MISSING is not None, reason=f"Prisma oracle: {_MISSING}"),
]

VALID = sorted(
    [p for p in DATA.glob("*.prisma")]
    + [p for p in DATA.iterdir() if p.is_dir() and p.name != "invalid"]
)
INVALID = sorted((DATA / "invalid").glob("*.prisma"))


# ----------------------------------------------------------------------------------------------
# the oracle


def run_oracle(path: Path) -> tuple[int, str]:
    """Run dmmf.mjs on a file or folder (recursively, like import_prisma): (exit code, output)."""
    files = sorted(str(p) for p in path.rglob("*.prisma")) if path.is_dir() else [str(path)]
    done = subprocess.run(
        ["node", str(ORACLE), *files], capture_output=True, text=True, timeout=60, check=False
    )
    return done.returncode, done.stdout if done.returncode == 0 else done.stderr


def dmmf(path: Path) -> dict[str, Any]:
    """The DMMF datamodel of a valid schema."""
    code, output = run_oracle(path)
    assert code == 0, f"Prisma rejects {path.name}:\n{output}"
    return json.loads(output)["datamodel"]


# Many small schemas in one node process: ~0.2 s of start-up per schema otherwise.
_BATCH = r"""
globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message() {} };
const wasm = require(process.argv[1]);
const schemas = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const keep = process.argv[2] === 'datamodel';
const results = schemas.map((text) => {
  try {
    const dmmf = JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: text })));
    return { datamodel: keep ? dmmf.datamodel : null, error: null };
  } catch (e) {
    let error; try { error = JSON.parse(e.message).message; } catch { error = String(e); }
    return { datamodel: null, error };
  }
});
process.stdout.write(JSON.stringify(results));
"""


def oracle_batch(texts: list[str], datamodel: bool = False) -> list[dict[str, Any]]:
    """Prisma on each single-file schema, in one node run: ``{"datamodel", "error"}`` each."""
    wasm = ROOT / "tests" / "oracle" / "node_modules" / "@prisma" / "prisma-schema-wasm"
    done = subprocess.run(
        ["node", "-e", _BATCH, str(wasm), "datamodel" if datamodel else "errors"],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(done.stdout)


def oracle_errors(texts: list[str]) -> list[str | None]:
    """Prisma's validation error for each single-file schema (None = valid)."""
    return [result["error"] for result in oracle_batch(texts)]


def provider_of(path: Path) -> str:
    files = sorted(path.rglob("*.prisma")) if path.is_dir() else [path]
    for file in files:
        for line in file.read_text().splitlines():
            if line.strip().startswith("provider") and '"' in line:
                value = line.split('"')[1]
                if not value.startswith("prisma-client"):
                    return {"postgres": "postgresql"}.get(value, value)
    return "postgresql"


# ----------------------------------------------------------------------------------------------
# exact types the DMMF implies (an independent restatement of Prisma's type rules)

_KIND = {
    "String": "string",
    "Int": "int",
    "BigInt": "bigint",
    "Float": "float",
    "Decimal": "decimal",
    "Boolean": "boolean",
    "DateTime": "datetime",
    "Json": "json",
    "Bytes": "bytes",
}
_NATIVE_KIND = {
    "postgresql": {"Uuid": "uuid", "SmallInt": "smallint", "Oid": "bigint", "Real": "real", "Date": "date",
                   "Time": "time", "Timetz": "time"},
    "cockroachdb": {"Uuid": "uuid", "Int2": "smallint", "Oid": "bigint", "Float4": "real", "Date": "date",
                    "Time": "time", "Timetz": "time"},
    "mysql": {"SmallInt": "smallint", "TinyInt": "smallint", "UnsignedTinyInt": "smallint",
              "UnsignedInt": "bigint", "UnsignedBigInt": "decimal", "Float": "real", "Date": "date", "Time": "time"},
    "sqlserver": {"UniqueIdentifier": "uuid", "SmallInt": "smallint", "TinyInt": "smallint",
                  "Real": "real", "Date": "date", "Time": "time", "Money": "decimal", "SmallMoney": "decimal"},
}  # fmt: skip
_TIMEZONE = {"Timestamptz", "Timetz", "DateTimeOffset"}
_NO_NATIVE = {  # Prisma Migrate's column types when no @db.* is given
    "postgresql": {"DateTime": {"precision": 3}, "Decimal": {"precision": 65, "scale": 30}},
    "cockroachdb": {"DateTime": {"precision": 3}, "Decimal": {"precision": 65, "scale": 30}},
    "mysql": {
        "String": {"length": 191},
        "DateTime": {"precision": 3},
        "Decimal": {"precision": 65, "scale": 30},
    },
    "sqlite": {"DateTime": {"precision": 3}},
    "sqlserver": {"String": {"length": 1000}, "Decimal": {"precision": 32, "scale": 16}},
}
_FIXED = {  # native types that imply a precision and scale
    ("postgresql", "Money"): (19, 2),
    ("sqlserver", "Money"): (19, 4),
    ("sqlserver", "SmallMoney"): (10, 4),
    ("mysql", "UnsignedBigInt"): (20, 0),
}


def _expected_exact(field: dict[str, Any], provider: str, enums: set[str]) -> dict[str, Any]:
    type_name = field["type"]
    exact: dict[str, Any] = {"kind": "enum" if type_name in enums else _KIND[type_name], "length": None,
                             "precision": None, "scale": None, "timezone": False}  # fmt: skip
    native = field.get("nativeType")
    if native is None:
        exact.update(_NO_NATIVE.get(provider, {}).get(type_name, {}))
        return exact
    name, args = native
    if type_name != "Boolean":
        exact["kind"] = _NATIVE_KIND.get(provider, {}).get(name, exact["kind"])
    exact["timezone"] = name in _TIMEZONE
    numbers = [int(a) for a in args if a.isdigit()]
    if (provider, name) in _FIXED:
        exact["precision"], exact["scale"] = _FIXED[(provider, name)]
    elif type_name == "Decimal" and len(numbers) == 2:
        exact["precision"], exact["scale"] = numbers
    elif type_name in ("String", "Bytes") and numbers:
        exact["length"] = numbers[0]
    elif type_name == "DateTime" and numbers:
        exact["precision"] = numbers[0]
    return exact


# ----------------------------------------------------------------------------------------------
# both sides in one shape


def _default_from_dmmf(value: Any, field: dict[str, Any]) -> tuple[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        name, args = value["name"], value["args"]
        if name in ("uuid", "cuid"):
            return (name, args[0] if args else {"uuid": 4, "cuid": 1}[name])
        if name in ("nanoid", "dbgenerated"):
            return (name, args[0] if args else None)
        return (name, None)
    kind = "enum" if field["kind"] == "enum" else "literal"
    return (kind, _normal_literal(value, field["type"]))


def _normal_literal(value: Any, type_name: str) -> Any:
    if isinstance(value, list):
        return [_normal_literal(v, type_name) for v in value]
    if type_name in ("Int", "BigInt"):
        return int(value)
    if type_name == "Float":
        return float(value)
    if type_name == "Decimal":
        return _Approx(float(value))
    return value


class _Approx(float):
    """A Decimal default as the DMMF shows it: converted through a 64-bit float by Prisma
    (``19.99`` comes out as ``19.990000000000002``), so equal within float rounding."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Decimal | float) and math.isclose(
            self, float(other), rel_tol=1e-12
        )

    __hash__ = float.__hash__


def _expected_model(
    model: dict[str, Any], datamodel: dict[str, Any], provider: str
) -> dict[str, Any]:
    enums = {e["name"] for e in datamodel["enums"]}
    scalars = {f["name"]: f for f in model["fields"] if f["kind"] != "object"}
    unique_columns = [
        [c["name"] for c in i["fields"]]
        for i in datamodel["indexes"]
        if i["model"] == model["name"] and i["type"] == "unique"
    ]
    fields: dict[str, Any] = {}
    relations: dict[str, Any] = {}
    for f in model["fields"]:
        if f["kind"] == "object":
            relations[f["name"]] = _expected_relation(model, f, datamodel, scalars)
            continue
        fields[f["name"]] = {
            "column": f.get("dbName") or f["name"],
            "required": f["isRequired"] and not f["isList"],
            "list": f["isList"],
            # any single-column unique; the DMMF's isUnique is false on an @id that is @unique too
            "unique": f["isUnique"] or [f["name"]] in unique_columns,
            "default": _default_from_dmmf(f.get("default"), f),
            "updatedAt": f["isUpdatedAt"],
            "native": f.get("nativeType"),
            "enum": f["type"] if f["kind"] == "enum" else None,
            "doc": f.get("documentation"),
            **_expected_exact(f, provider, enums),
        }
    indexes = [i for i in datamodel["indexes"] if i["model"] == model["name"]]
    primary = next((i for i in indexes if i["type"] == "id"), None)
    return {
        "table": model["dbName"] or model["name"],
        "schema": model["schema"],
        "doc": model.get("documentation"),
        "primaryKey": [f["name"] for f in primary["fields"]] if primary else [],
        "primaryKeyName": primary.get("dbName") if primary else None,
        "fields": fields,
        "relations": relations,
        "indexes": sorted(_index_key(i) for i in indexes if i["type"] != "id"),
    }


def _expected_relation(
    model: dict[str, Any], field: dict[str, Any], datamodel: dict[str, Any], scalars: dict[str, Any]
) -> dict[str, Any]:
    target = next(m for m in datamodel["models"] if m["name"] == field["type"])
    opposite = next(
        f
        for f in target["fields"]
        if f.get("relationName") == field["relationName"]
        and f["type"] == model["name"]
        and (f["name"] != field["name"] or target["name"] != model["name"])
    )
    owning = bool(field["relationFromFields"])
    if field["isList"] and opposite["isList"]:
        kind = "many-to-many"
    elif field["isList"]:
        kind = "one-to-many"
    elif owning:
        kind = "one-to-one" if not opposite["isList"] else "many-to-one"
    else:
        kind = "one-to-one"
    return {
        "target": field["type"],
        "type": kind,
        "relationName": field["relationName"],
        "fields": field["relationFromFields"],
        "references": field["relationToFields"],
        "onDelete": field.get("relationOnDelete"),
        "onUpdate": field.get("relationOnUpdate"),
        "required": owning
        and all(
            scalars[name]["isRequired"]
            for name in field["relationFromFields"]
            if name in scalars  # an @ignore'd foreign-key field is not in the DMMF
        ),
        "through": f"_{field['relationName']}" if kind == "many-to-many" else None,
    }


def _index_key(index: dict[str, Any]) -> str:
    key = {
        "type": index["type"],
        "fields": [
            [f["name"], f.get("sortOrder"), f.get("length"), _sql_ops(f.get("operatorClass"))]
            for f in index["fields"]
        ],
        "dbName": index.get("dbName"),
        "name": index.get("name"),
        "algorithm": index.get("algorithm"),
        "clustered": index.get("clustered"),
    }
    return json.dumps(key, sort_keys=True)


_PRISMA_OPS = {"JsonbPathOps": "jsonb_path_ops", "JsonbOps": "jsonb_ops", "ArrayOps": "array_ops",
               "InetOps": "inet_ops", "TextOps": "text_ops", "Int4MinMaxOps": "int4_minmax_ops",
               "TimestampTzMinMaxMultiOps": "timestamptz_minmax_multi_ops"}  # fmt: skip


def _sql_ops(name: str | None) -> str | None:
    return _PRISMA_OPS.get(name, name) if name else None


def _actual_model(entity: Entity, schema: Schema) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    single_uniques = {i.fields[0] for i in entity.indexes if i.unique and len(i.columns) == 1}
    for f in entity.fields:
        if f.ignored:
            continue
        default = None
        if f.default is not None:
            value = f.default.value
            if f.default.kind == "literal" and f.kind == "decimal":
                value = [Decimal(v) for v in value] if f.list else Decimal(value)
            default = (f.default.kind, value)
        fields[f.name] = {
            "column": f.column,
            "required": f.required,
            "list": f.list,
            "unique": f.unique or f.name in single_uniques,
            "default": default,
            "updatedAt": f.updated_at,
            "native": [f.native.name, f.native.args] if f.native else None,
            "enum": f.enum,
            "doc": f.doc,
            "kind": f.kind,
            "length": f.length,
            "precision": f.precision,
            "scale": f.scale,
            "timezone": f.timezone,
        }
    indexes = [
        json.dumps(
            {"type": "unique", "fields": [[f.name, None, None, None]], "dbName": f.unique_name,
             "name": None, "algorithm": None, "clustered": None},
            sort_keys=True,
        )
        for f in entity.fields
        if f.unique and not f.ignored
    ]  # fmt: skip
    for index in entity.indexes:
        indexes.append(
            json.dumps(
                {
                    "type": "unique"
                    if index.unique
                    else "fulltext"
                    if index.fulltext
                    else "normal",
                    "fields": [[c.field, c.order, c.length, c.ops] for c in index.columns],
                    "dbName": index.name,
                    "name": index.model_name,
                    "algorithm": index.type,
                    "clustered": index.clustered,
                },
                sort_keys=True,
            )
        )
    relations = {
        r.name: {
            "target": r.target,
            "type": r.type,
            "relationName": r.relation_name,
            "fields": r.fields,
            "references": r.references,
            "onDelete": r.on_delete,
            "onUpdate": r.on_update,
            "required": r.required,
            "through": r.through,
        }
        for r in entity.relations
        if not r.ignored
    }
    return {
        "table": entity.table,
        "schema": entity.db_schema,
        "doc": entity.doc,
        "primaryKey": entity.primary_key,
        "primaryKeyName": entity.primary_key_name,
        "fields": fields,
        "relations": relations,
        "indexes": sorted(indexes),
    }


def _differences(expected: Any, actual: Any, where: str) -> list[str]:
    if isinstance(expected, dict) and isinstance(actual, dict):
        out = []
        for key in sorted(set(expected) | set(actual)):
            if key not in actual:
                out.append(f"{where}.{key}: missing in mostaframe (Prisma: {expected[key]!r})")
            elif key not in expected:
                out.append(f"{where}.{key}: extra in mostaframe ({actual[key]!r})")
            else:
                out += _differences(expected[key], actual[key], f"{where}.{key}")
        return out
    return [] if expected == actual else [f"{where}: Prisma {expected!r}, mostaframe {actual!r}"]


def compare(path: Path) -> list[str]:
    """Every disagreement between Prisma's DMMF and mostaframe's import of ``path``."""
    schema = import_prisma(path)
    schema.validate()  # the entity model's own cross-reference check
    return compare_datamodel(dmmf(path), schema, provider_of(path))


def compare_datamodel(datamodel: dict[str, Any], schema: Schema, provider: str) -> list[str]:
    """Every disagreement between a DMMF datamodel and mostaframe's schema of the same text."""
    problems: list[str] = []
    if schema.provider != provider:
        problems.append(f"provider: expected {provider}, mostaframe {schema.provider}")
    entities = {e.name: e for e in schema.entities}
    for model in datamodel["models"]:
        if model["name"] not in entities:
            problems.append(f"model {model['name']}: missing in mostaframe")
            continue
        problems += _differences(
            _expected_model(model, datamodel, provider),
            _actual_model(entities[model["name"]], schema),
            model["name"],
        )
    prisma_models = {m["name"] for m in datamodel["models"]}
    for entity in schema.entities:
        if entity.name not in prisma_models and not (entity.ignored or entity.join_table):
            problems.append(f"entity {entity.name}: not a model for Prisma")
    expected_enums = {
        e["name"]: {
            "values": [v["name"] for v in e["values"]],
            "dbName": e["dbName"],
            "mapped": {v["name"]: v["dbName"] for v in e["values"] if v["dbName"]},
            "doc": e.get("documentation"),
        }
        for e in datamodel["enums"]
    }
    actual_enums = {
        e.name: {"values": e.values, "dbName": e.db_name, "mapped": e.mapped, "doc": e.doc}
        for e in schema.enums.values()
    }
    problems += _differences(expected_enums, actual_enums, "enums")
    problems += _check_join_tables(schema, datamodel, provider)
    return problems


def _check_join_tables(schema: Schema, datamodel: dict[str, Any], provider: str) -> list[str]:
    """Each implicit many-to-many relation has the join entity Prisma Migrate would create."""
    problems = []
    models = {m["name"]: m for m in datamodel["models"]}
    expected: dict[str, tuple[str, str]] = {}
    for model in datamodel["models"]:
        for f in model["fields"]:
            if f["kind"] == "object" and f["isList"]:
                target = models[f["type"]]
                if any(
                    g.get("relationName") == f["relationName"]
                    and g["isList"]
                    and g["type"] == model["name"]
                    and g is not f
                    for g in target["fields"]
                ) or (
                    target is model
                    and sum(g.get("relationName") == f["relationName"] for g in model["fields"])
                    == 2
                    and all(
                        g["isList"]
                        for g in model["fields"]
                        if g.get("relationName") == f["relationName"]
                    )
                ):
                    expected[f"_{f['relationName']}"] = tuple(sorted((model["name"], f["type"])))  # type: ignore[assignment]
    actual = {e.name: e for e in schema.entities if e.join_table}
    if set(expected) != set(actual):
        return [f"join tables: Prisma implies {sorted(expected)}, mostaframe has {sorted(actual)}"]
    for name, (first, second) in expected.items():
        join = actual[name]
        ids = []
        for model_name in (first, second):
            id_field = next(f for f in models[model_name]["fields"] if f.get("isId"))
            ids.append(id_field)
        shape = {
            "table": join.table,
            "columns": [(f.name, f.kind, f.required, f.native.name if f.native else None) for f in join.fields],
            "primaryKey": (join.primary_key, join.primary_key_name),
            "indexes": [(i.fields, i.unique, i.name) for i in join.indexes],
            "fks": [(r.fields, r.target, r.references, r.on_delete, r.on_update, r.constraint_name)
                    for r in join.relations],
        }  # fmt: skip
        enums = {e["name"] for e in datamodel["enums"]}
        pkey = provider == "postgresql"
        want = {
            "table": name,
            "columns": [
                (column, _expected_exact(id_field, provider, enums)["kind"], True,
                 id_field["nativeType"][0] if id_field.get("nativeType") else None)
                for column, id_field in zip("AB", ids, strict=True)
            ],
            "primaryKey": (["A", "B"], f"{name}_AB_pkey") if pkey else ([], None),
            "indexes": ([] if pkey else [(["A", "B"], True, f"{name}_AB_unique")]) + [(["B"], False, f"{name}_B_index")],
            "fks": [([column], model_name, [id_field["name"]], "Cascade", "Cascade", f"{name}_{column}_fkey")
                    for column, model_name, id_field in zip("AB", (first, second), ids, strict=True)],
        }  # fmt: skip
        problems += _differences(want, shape, f"join {name}")
    return problems


# ----------------------------------------------------------------------------------------------
# the tests


def test_oracle_schemas_exist() -> None:
    assert len(VALID) >= 8 and len(INVALID) >= 10


@pytest.mark.parametrize(
    "path", [FITZONE, *VALID], ids=lambda p: p.stem if p != FITZONE else "fitzonegym"
)
def test_import_agrees_with_prisma(path: Path) -> None:
    problems = compare(path)
    assert not problems, f"{len(problems)} disagreements with Prisma:\n" + "\n".join(problems)


def test_windows_line_endings_agree_with_prisma(tmp_path: Path) -> None:
    text = (DATA / "comments.prisma").read_text().replace("\n", "\r\n")
    path = tmp_path / "crlf.prisma"
    path.write_bytes(text.encode())
    problems = compare(path)
    assert not problems, "\n".join(problems)
    assert "\r\n" in (import_prisma(path).entity("Thing").doc or "")  # kept as Prisma keeps it


@pytest.fixture(scope="module")
def prisma_on_invalid() -> dict[str, str | None]:
    texts = [p.read_text() for p in INVALID]
    return dict(zip([p.stem for p in INVALID], oracle_errors(texts), strict=True))


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_schema_rejected_by_both(
    path: Path, prisma_on_invalid: dict[str, str | None]
) -> None:
    assert prisma_on_invalid[path.stem] is not None, (
        f"Prisma accepts {path.name}: the example is wrong"
    )
    with pytest.raises(MostaframeError):
        import_prisma(path)


def _native_cases() -> list[tuple[str, str, str, int, bool]]:
    """(provider, scalar, native type, argument count, valid?) around every known native type."""
    from mostaframe.schema.prisma import _NATIVE_TYPES

    cases = []
    for provider, table in _NATIVE_TYPES.items():
        for name, spec in table.items():
            for scalar in _KIND:
                for count in sorted({*spec.arity, max(spec.arity) + 1}):
                    valid = scalar in spec.scalars and count in spec.arity
                    if valid or count in spec.arity or scalar in spec.scalars:
                        cases.append((provider, scalar, name, count, valid))
    return cases


def _native_schema(provider: str, scalar: str, name: str, count: int) -> str:
    args = ["1", "1"][:count] if scalar == "Decimal" else ["1"] * count
    if name == "Bit" and scalar == "Boolean":
        args = ["1"] * count
    native = f"@db.{name}({', '.join(args)})" if args else f"@db.{name}"
    return (
        f'datasource db {{\n  provider = "{provider}"\n  url = env("U")\n}}\n'
        f"model A {{\n  id Int @id\n  f {scalar} {native}\n}}\n"
    )


def test_native_type_table_agrees_with_prisma() -> None:
    """Each @db.* type is accepted on exactly the scalar types and argument counts Prisma accepts."""
    cases = _native_cases()
    texts = [_native_schema(*case[:4]) for case in cases]
    problems = []
    for case, text, prisma_error in zip(cases, texts, oracle_errors(texts), strict=True):
        try:
            parse_prisma(text)
            ours = None
        except MostaframeError as exc:
            ours = str(exc)
        if (prisma_error is None) != (ours is None):
            problems.append(f"{case[:4]}: Prisma {'accepts' if prisma_error is None else 'rejects'}, "
                            f"mostaframe: {ours or 'accepts'}")  # fmt: skip
    assert not problems, f"{len(problems)} of {len(cases)} disagree:\n" + "\n".join(problems)


# ----------------------------------------------------------------------------------------------
# random schemas: many shapes nobody thought of writing by hand


_NATIVES_PG = {
    "String": [
        "",
        "@db.Text",
        "@db.VarChar(40)",
        "@db.Char(3)",
        "@db.Uuid",
        "@db.Citext",
        "@db.VarChar",
    ],
    "Int": ["", "@db.Integer", "@db.SmallInt", "@db.Oid"],
    "BigInt": ["", "@db.BigInt"],
    "Float": ["", "@db.Real", "@db.DoublePrecision"],
    "Decimal": ["", "@db.Decimal(12, 4)", "@db.Money", "@db.Decimal"],
    "Boolean": ["", "@db.Boolean"],
    "DateTime": [
        "",
        "@db.Timestamptz(6)",
        "@db.Timestamp(0)",
        "@db.Date",
        "@db.Time(3)",
        "@db.Timetz",
    ],
    "Json": ["", "@db.Json", "@db.JsonB"],
    "Bytes": ["", "@db.ByteA"],
}
_LITERALS = {
    "String": ['"x"', '"a b"', '""'],
    "Int": ["0", "-5", "42"],
    "BigInt": ["7", "-9007199254740993"],
    "Float": ["0.5", "3", "-1.25"],
    "Decimal": ["1.10", "0", '"2.5"'],
    "Boolean": ["true", "false"],
    "DateTime": ['"2023-05-06T07:08:09Z"', '"2023-05-06T07:08:09.120+05:30"'],
    "Json": ['"{}"', '"[1, 2]"'],
    "Bytes": ['"AQID"'],
}
_FUNCTIONS = {"String": ["uuid()", "cuid()", "nanoid(12)", "ulid()", "uuid(7)"], "DateTime": ["now()"],
              "Int": ["autoincrement()"], "BigInt": ["autoincrement()"]}  # fmt: skip


def _random_schema(rng: random.Random) -> str:
    lines = ['datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n']
    enums = {}
    for e in range(rng.randint(0, 2)):
        values = [f"V{v}" for v in range(rng.randint(1, 4))]
        enums[f"E{e}"] = values
        body = "".join(
            f"  {v}{' @map(' + chr(34) + v.lower() + chr(34) + ')' if rng.random() < 0.3 else ''}\n"
            for v in values
        )
        mapped = f'\n  @@map("enum_{e}")\n' if rng.random() < 0.4 else ""
        doc = "/// An enum.\n" if rng.random() < 0.3 else ""
        lines.append(f"{doc}enum E{e} {{\n{body}{mapped}}}\n")
    models = [f"M{m}" for m in range(rng.randint(2, 5))]
    ids = {name: rng.choice(["Int", "String", "BigInt"]) for name in models}
    bodies: dict[str, list[str]] = {name: [] for name in models}
    blocks: dict[str, list[str]] = {name: [] for name in models}
    for name in models:
        id_type = ids[name]
        default = {"Int": "@default(autoincrement())", "BigInt": "", "String": "@default(uuid())"}[
            id_type
        ]
        native = rng.choice(["", "@db.Uuid"]) if id_type == "String" else ""
        bodies[name].append(f"  id {id_type} @id {default} {native}".rstrip())
        scalars = []
        for n in range(rng.randint(1, 7)):
            type_name = rng.choice([*_NATIVES_PG, *enums])
            is_list = rng.random() < 0.15
            optional = not is_list and rng.random() < 0.3
            attributes = []
            if type_name in _NATIVES_PG:
                native = rng.choice(_NATIVES_PG[type_name])
                if native:
                    attributes.append(native)
            roll = rng.random()
            if (
                roll < 0.3
                and type_name in _LITERALS
                and not (type_name == "String" and "@db.Uuid" in attributes)
            ):
                value = rng.choice(_LITERALS[type_name])
                if type_name == "DateTime" and any(
                    a in attributes for a in ("@db.Date", "@db.Time(3)", "@db.Timetz")
                ):
                    value = "now()"
                attributes.append(f"@default([{value}])" if is_list else f"@default({value})")
            elif roll < 0.45 and type_name in _FUNCTIONS and not is_list:
                function = rng.choice(_FUNCTIONS[type_name])
                if not (
                    function.startswith(("cuid", "nanoid", "ulid")) and "@db.Uuid" in attributes
                ):
                    attributes.append(f"@default({function})")
            elif roll < 0.55 and type_name in enums:
                value = rng.choice(enums[type_name])
                attributes.append(f"@default([{value}])" if is_list else f"@default({value})")
            if (
                type_name == "DateTime"
                and not is_list
                and rng.random() < 0.2
                and not any("@default" in a for a in attributes)
            ):
                attributes.append("@updatedAt")
            if not is_list and type_name not in ("Json",) and rng.random() < 0.15:
                attributes.append("@unique(sort: Desc)" if rng.random() < 0.3 else "@unique")
            if rng.random() < 0.3:
                attributes.append(f'@map("{name.lower()}_f{n}")')
            marker = "[]" if is_list else "?" if optional else ""
            doc = f"  /// Field {n}.\n" if rng.random() < 0.2 else ""
            bodies[name].append(f"{doc}  f{n} {type_name}{marker} {' '.join(attributes)}".rstrip())
            if not is_list and type_name not in ("Json",) and "@unique" not in " ".join(attributes):
                scalars.append(f"f{n}")
        if len(scalars) >= 2 and rng.random() < 0.5:
            a, b = rng.sample(scalars, 2)
            blocks[name].append(f"  @@index([{a}(sort: Desc), {b}])")
        if len(scalars) >= 2 and rng.random() < 0.3:
            a, b = rng.sample(scalars, 2)
            blocks[name].append(f'  @@unique([{a}, {b}], name: "{a}{b.upper()}")')
        if scalars and rng.random() < 0.2:
            blocks[name].append(
                f'  @@index([{scalars[0]}], type: Hash, map: "{name.lower()}_hash")'
            )
        if rng.random() < 0.4:
            blocks[name].append(f'  @@map("{name.lower()}s")')
    for r in range(rng.randint(1, 5)):
        parent, child = rng.choice(models), rng.choice(models)
        kind = rng.choice(["one-to-many", "one-to-one", "many-to-many"])
        label = f"R{r}"
        if kind == "many-to-many":
            bodies[parent].append(f'  l{r}a {child}[] @relation("{label}")')
            bodies[child].append(f'  l{r}b {parent}[] @relation("{label}")')
            continue
        optional = rng.random() < 0.5
        unique = " @unique" if kind == "one-to-one" else ""
        action = rng.choice(
            [
                "",
                ", onDelete: Cascade",
                ", onDelete: SetNull, onUpdate: NoAction",
                ', map: "fk_' + str(r) + '"',
            ]
        )
        if "SetNull" in action:
            optional = True
        mark = "?" if optional else ""
        bodies[child].append(f"  k{r} {ids[parent]}{mark}{unique}")
        bodies[child].append(
            f'  o{r} {parent}{mark} @relation("{label}", fields: [k{r}], references: [id]{action})'
        )
        back = f"{child}?" if kind == "one-to-one" else f"{child}[]"
        bodies[parent].append(f'  b{r} {back} @relation("{label}")')
    for name in models:
        doc = f"/// Model {name}.\n" if rng.random() < 0.3 else ""
        extra = "\n\n" + "\n".join(blocks[name]) if blocks[name] else ""
        lines.append(f"{doc}model {name} {{\n" + "\n".join(bodies[name]) + extra + "\n}\n")
    return "\n".join(lines)


RANDOM_SCHEMAS = 120


def test_random_schemas_agree_with_prisma() -> None:
    """Seeded random schemas: where Prisma accepts one, the import matches its DMMF; where Prisma
    rejects one, mostaframe rejects it too."""
    rng = random.Random(20240601)
    texts = [_random_schema(rng) for _ in range(RANDOM_SCHEMAS)]
    results = oracle_batch(texts, datamodel=True)
    problems: list[str] = []
    valid = 0
    for number, (text, result) in enumerate(zip(texts, results, strict=True)):
        try:
            schema = parse_prisma(text, f"random{number}.prisma")
        except MostaframeError as exc:
            if result["error"] is None:
                problems.append(
                    f"random schema #{number}: Prisma accepts, mostaframe: {exc}\n{text}"
                )
            continue
        if result["error"] is not None:
            first = result["error"].splitlines()[0]
            problems.append(
                f"random schema #{number}: Prisma rejects ({first}), mostaframe accepts\n{text}"
            )
            continue
        valid += 1
        for problem in compare_datamodel(result["datamodel"], schema, "postgresql"):
            problems.append(f"random schema #{number}: {problem}")
    assert not problems, f"{len(problems)} disagreements:\n" + "\n".join(problems[:10])
    assert valid >= RANDOM_SCHEMAS // 2, (
        f"only {valid} of {RANDOM_SCHEMAS} random schemas are valid"
    )
