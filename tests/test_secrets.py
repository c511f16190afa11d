"""URIs: dialect detection, ${ENV} expansion, and passwords masked whatever they contain."""

from __future__ import annotations

import pytest

from mostaframe.errors import MostaframeError
from mostaframe.secrets import expand_env, mask_text, mask_uri, parse_uri

HOSTILE = "p@ss:w/rd%"
ENCODED = "p%40ss%3Aw%2Frd%25"


@pytest.mark.parametrize(
    ("uri", "masked"),
    [
        (
            "postgresql://devuser:pass@localhost:5432/fitzonedb",
            "postgresql://devuser:***@localhost:5432/fitzonedb",
        ),
        (f"postgresql://devuser:{ENCODED}@db:5432/x", "postgresql://devuser:***@db:5432/x"),
        (f"postgresql://devuser:{HOSTILE}@db:5432/x", "postgresql://devuser:***@db:5432/x"),
        ("mysql://root@127.0.0.1:3306/test", "mysql://root@127.0.0.1:3306/test"),
        ("./backups/daily.sqlite", "./backups/daily.sqlite"),
        ("host=db user=u password=secret dbname=x", "host=db user=u password=*** dbname=x"),
    ],
)
def test_mask_uri(uri: str, masked: str) -> None:
    assert mask_uri(uri) == masked
    assert "pass" not in mask_uri(uri).replace("password=***", "")


def test_mask_text_masks_every_uri_in_a_message() -> None:
    text = f'cannot connect to "postgresql://a:{HOSTILE}@h/db" nor mysql://b:{ENCODED}@h2/db2 today'
    assert (
        mask_text(text)
        == 'cannot connect to "postgresql://a:***@h/db" nor mysql://b:***@h2/db2 today'
    )


@pytest.mark.parametrize(
    ("uri", "dialect", "path"),
    [
        ("postgresql://u:p@h:5432/db", "postgres", None),
        ("postgres://u@h/db", "postgres", None),
        ("mysql://root@127.0.0.1/test", "mysql", None),
        ("mariadb://root@127.0.0.1/test", "mysql", None),
        ("./backups/daily.sqlite", "sqlite", "./backups/daily.sqlite"),
        ("sqlite:///rel/x.db", "sqlite", "rel/x.db"),
        ("sqlite:////abs/x.db", "sqlite", "/abs/x.db"),
        ("warehouse.duckdb", "duckdb", "warehouse.duckdb"),
        ("duckdb:///w.duckdb", "duckdb", "w.duckdb"),
    ],
)
def test_parse_uri(uri: str, dialect: str, path: str | None) -> None:
    parsed = parse_uri(uri)
    assert (parsed.dialect, parsed.path) == (dialect, path)


def test_parse_uri_errors_mask_the_password() -> None:
    with pytest.raises(MostaframeError) as info:
        parse_uri(f"oracle://u:{ENCODED}@h/db")
    assert str(info.value).startswith("unknown database URI scheme 'oracle' in oracle://u:***@h/db")
    with pytest.raises(
        MostaframeError, match=r"URI postgresql://u:\*\*\*@h/db is postgres but dialect mysql"
    ):
        parse_uri("postgresql://u:secret@h/db", dialect="mysql")
    with pytest.raises(
        MostaframeError, match="unknown dialect 'postgress'; did you mean 'postgres'"
    ):
        parse_uri("x.db", dialect="postgress")


def test_repr_never_shows_the_password() -> None:
    parsed = parse_uri(f"postgresql://u:{ENCODED}@h/db")
    assert ENCODED not in repr(parsed) and ENCODED not in str(parsed)
    assert parsed.sqlalchemy_url() == f"postgresql+psycopg://u:{ENCODED}@h/db"


def test_expand_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGPASS", "s3cret")
    assert expand_env("postgresql://u:${PGPASS}@h/db") == "postgresql://u:s3cret@h/db"
    with pytest.raises(
        MostaframeError, match="environment variable NOPE_NOT_SET is referenced but not set"
    ):
        expand_env("${NOPE_NOT_SET}")
