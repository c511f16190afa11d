"""The fixtures give each test a real, empty database of its own."""

import sqlalchemy as sa

from mostaframe.secrets import parse_uri


def test_each_dialect_gives_an_empty_database(db_url: str) -> None:
    engine = sa.create_engine(parse_uri(db_url).sqlalchemy_url())
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
