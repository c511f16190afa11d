"""entities.json: the @mostajs shape loads, our files round-trip byte for byte, errors name the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mostaframe.errors import SchemaError
from mostaframe.schema import (
    Default,
    Entity,
    Enum,
    Field,
    Index,
    IndexColumn,
    NativeType,
    Relation,
    Schema,
    dumps,
    read_schema,
    schema_from_json,
    write_schema,
)

DATA = Path(__file__).parent / "data"


def rich_schema() -> Schema:
    member = Entity(
        "Member",
        "members",
        fields=[
            Field("id", "int", default=Default("autoincrement")),
            Field(
                "email",
                "string",
                column="email_address",
                unique=True,
                length=255,
                native=NativeType("VarChar", ["255"]),
            ),
            Field(
                "balance",
                "decimal",
                precision=10,
                scale=2,
                required=False,
                default=Default("literal", "0"),
            ),
            Field("status", "enum", enum="MemberStatus", default=Default("enum", "ACTIVE")),
            Field("tags", "string", list=True, required=False),
            Field("token", "uuid", default=Default("uuid", 4)),
            Field(
                "joinedAt",
                "datetime",
                column="joined_at",
                timezone=True,
                precision=6,
                default=Default("now"),
            ),
            Field("updatedAt", "datetime", column="updated_at", updated_at=True),
            Field("referrerId", "int", column="referrer_id", required=False),
            Field("photo", "bytes", required=False, doc="thumbnail"),
        ],
        primary_key=["id"],
        relations=[
            Relation(
                "referrer",
                "Member",
                "many-to-one",
                ["referrerId"],
                ["id"],
                relation_name="Referrals",
                on_delete="SetNull",
                constraint_name="members_referrer_fk",
            ),
            Relation("referrals", "Member", "one-to-many", relation_name="Referrals"),
        ],
        indexes=[
            Index(
                [IndexColumn("joinedAt", "desc"), IndexColumn("email", length=10)],
                name="members_joined_idx",
                type="BTree",
            )
        ],
        timestamps=True,
        doc="A gym member.",
    )
    schema = Schema(
        entities=[member],
        enums={
            "MemberStatus": Enum(
                "MemberStatus",
                ["ACTIVE", "FROZEN"],
                db_name="member_status",
                mapped={"FROZEN": "frozen"},
            )
        },
    )
    schema.validate()
    return schema


def test_round_trip_is_byte_identical(tmp_path: Path) -> None:
    schema = rich_schema()
    schema.provider = "postgresql"
    path = write_schema(schema, tmp_path / "entities.json")
    text = path.read_text()
    assert text == dumps(schema)
    again = read_schema(path)
    assert dumps(again) == text
    assert again == schema


def test_written_file_keeps_the_mostajs_meaning() -> None:
    data = json.loads(dumps(rich_schema()))
    member = data[0]
    assert member["name"] == "Member" and member["collection"] == "members"
    fields = member["fields"]
    assert fields["email"] == {
        "type": "string",
        "required": True,
        "unique": True,
        "mostaframe": {
            "kind": "string",
            "column": "email_address",
            "length": 255,
            "native": {"name": "VarChar", "args": ["255"]},
        },
    }
    assert fields["status"]["enum"] == ["ACTIVE", "FROZEN"]
    assert fields["status"]["default"] == "ACTIVE"
    assert fields["joinedAt"]["default"] == "__MOSTA_NOW__"
    assert fields["tags"]["type"] == "array" and fields["tags"]["arrayOf"] == "string"
    assert member["relations"]["referrer"]["joinColumn"] == "referrer_id"
    assert member["relations"]["referrer"]["onDelete"] == "set-null"
    assert member["relations"]["referrals"]["mappedBy"] == "referrer"
    assert member["indexes"][0]["fields"] == {"joinedAt": "desc", "email": "asc"}
    assert member["mostaframe"]["primaryKey"] == ["id"]


def test_a_file_written_by_the_mostajs_tools_loads() -> None:
    schema = read_schema(DATA / "mostajs-entities.json")
    user = schema.entity("users")
    assert user.name == "User"
    assert user.primary_key == ["id"]
    assert [f.name for f in user.fields] == [
        "id",
        "email",
        "name",
        "role",
        "tags",
        "bio",
        "active",
        "createdAt",
        "updatedAt",
    ]
    assert user.field("role").kind == "enum"
    assert schema.enums[user.field("role").enum].values == ["admin", "member"]
    assert user.field("role").default == Default("enum", "member")
    assert user.field("tags").list and user.field("tags").kind == "string"
    assert user.field("bio").native == NativeType("Text")
    assert user.field("updatedAt").updated_at
    assert user.field("email").extra == {"lowercase": True, "trim": True}
    project = schema.entity("Project")
    owner = next(r for r in project.relations if r.name == "owner")
    assert (owner.fields, owner.references, owner.on_delete, owner.required) == (
        ["owner"],
        ["id"],
        "Cascade",
        True,
    )
    assert project.field("owner").required and project.field("owner").kind == "string"
    assert project.field("startsAt").default == Default("now")
    assert project.indexes[0].columns == [
        IndexColumn("owner", "asc"),
        IndexColumn("createdAt", "desc"),
    ]
    assert project.extra == {"softDelete": True}
    assert schema.dependency_order()[0] == [user, project]


def test_unknown_keys_are_kept_on_save(tmp_path: Path) -> None:
    schema = read_schema(DATA / "mostajs-entities.json")
    saved = json.loads(dumps(schema))
    assert saved[1]["softDelete"] is True
    assert saved[0]["fields"]["email"]["lowercase"] is True
    assert saved[0]["relations"]["projects"]["fetch"] == "lazy"
    # and a second load/save is stable
    assert dumps(schema_from_json(saved)) == dumps(schema)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d[0].__setitem__("fields", 3),
            "entity User: key 'fields' must be dict, found 3",
        ),
        (
            lambda d: d[0]["fields"]["email"].__setitem__("type", "strin"),
            "entity User, field email: key 'type' has unknown type 'strin'",
        ),
        (
            lambda d: d[1]["relations"]["owner"].__setitem__("type", "belongs-to"),
            "entity Project, relation owner: key 'type' must be one of one-to-one, many-to-one, one-to-many, "
            "many-to-many, found 'belongs-to'",
        ),
        (
            lambda d: d[1]["relations"]["owner"].__setitem__("target", "Usr"),
            "entity Project, relation owner: unknown entity 'Usr'; did you mean User?",
        ),
        (
            lambda d: d[0].__setitem__("name", ""),
            "entity #1: key 'name' must be a non-empty string",
        ),
        (
            lambda d: d[0]["fields"]["email"].__setitem__("required", "yes"),
            "entity User, field email: key 'required' must be bool, found \"yes\"",
        ),
        (
            lambda d: d[1]["relations"]["owner"].__setitem__("onDelete", "explode"),
            "entity Project, relation owner: key 'onDelete' has unknown action 'explode'",
        ),
    ],
)
def test_malformed_files_name_the_entity_and_the_key(tmp_path: Path, mutate, message: str) -> None:
    data = json.loads((DATA / "mostajs-entities.json").read_text())
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SchemaError) as info:
        read_schema(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_missing_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"does not exist.*mostaframe schema import"):
        read_schema(tmp_path / "nope.json")
    (tmp_path / "broken.json").write_text('[{"name": "A",}]')
    with pytest.raises(SchemaError, match=r"broken.json:1:15: not valid JSON"):
        read_schema(tmp_path / "broken.json")
