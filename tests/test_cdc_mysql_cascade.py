"""MariaDB trigger capture of rows changed by foreign-key actions, and TRUNCATE / re-creation
detection (issue #4): a real MariaDB source replicated into SQLite and PostgreSQL.

InnoDB fires no trigger for rows an ON DELETE CASCADE / SET NULL or ON UPDATE CASCADE changes,
nor for TRUNCATE; the capture's cascade triggers log them and every read checks the InnoDB
table ids. Every test compares the replica with the source row by row (count and per-row hash).
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path
from typing import Any

import pytest

from mostaframe.errors import ReplicationError
from mostaframe.replication.rule import add_replication_rule
from mostaframe.secrets import parse_uri

#: authors ← posts ← comments (a tree) ← likes (SET NULL); memberships key on the author code
DDL = [
    "CREATE TABLE authors (id INT PRIMARY KEY, code VARCHAR(20) NOT NULL UNIQUE, name VARCHAR(50))",
    "CREATE TABLE posts (id INT PRIMARY KEY, author_code VARCHAR(20), title VARCHAR(50), "
    "CONSTRAINT posts_author FOREIGN KEY (author_code) REFERENCES authors (code) "
    "ON DELETE CASCADE ON UPDATE CASCADE)",
    "CREATE TABLE comments (id INT PRIMARY KEY, post_id INT, parent_id INT, body VARCHAR(50), "
    "CONSTRAINT comments_post FOREIGN KEY (post_id) REFERENCES posts (id) ON DELETE CASCADE, "
    "CONSTRAINT comments_parent FOREIGN KEY (parent_id) REFERENCES comments (id) "
    "ON DELETE CASCADE)",
    "CREATE TABLE likes (id INT PRIMARY KEY, comment_id INT, who VARCHAR(20), "
    "CONSTRAINT likes_comment FOREIGN KEY (comment_id) REFERENCES comments (id) "
    "ON DELETE SET NULL)",
    "CREATE TABLE memberships (author_code VARCHAR(20) NOT NULL, club INT NOT NULL, "
    "role VARCHAR(20), PRIMARY KEY (author_code, club), CONSTRAINT memberships_author "
    "FOREIGN KEY (author_code) REFERENCES authors (code) ON DELETE CASCADE ON UPDATE CASCADE)",
]
TABLES = ["authors", "posts", "comments", "likes", "memberships"]
KEYS = {"memberships": "author_code, club"}


class Source:
    """A pymysql connection to the test database (autocommit)."""

    def __init__(self, url: str) -> None:
        import pymysql
        from sqlalchemy.engine import make_url

        u = make_url(parse_uri(url).sqlalchemy_url())
        self.connection = pymysql.connect(
            host=u.host, port=u.port or 3306, user=u.username, password=u.password or "",
            database=u.database, autocommit=True,
        )  # fmt: skip

    def run(self, sql: str, params: tuple = ()) -> list[tuple]:
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params or None)
            return list(cursor.fetchall())

    def log_rows(self) -> int:
        return self.run("SELECT COUNT(*) FROM _mostaframe_changes")[0][0]


def seed(source: Source, authors: int = 4) -> None:
    """Authors with posts, comment trees three levels deep, likes and memberships."""
    for statement in DDL:
        source.run(statement)
    comment = like = 0
    for a in range(1, authors + 1):
        source.run("INSERT INTO authors VALUES (%s, %s, %s)", (a, f"a{a}", f"author {a}"))
        source.run(
            "INSERT INTO memberships VALUES (%s, 1, 'member'), (%s, 2, 'chair')", (f"a{a}",) * 2
        )
        for p in range(2):
            post = a * 10 + p
            source.run("INSERT INTO posts VALUES (%s, %s, %s)", (post, f"a{a}", f"post {post}"))
            parents: list[int | None] = [None]
            for level in range(3):
                children = []
                for parent in parents:
                    for _ in range(2 if level < 2 else 1):
                        comment += 1
                        source.run(
                            "INSERT INTO comments VALUES (%s, %s, %s, %s)",
                            (comment, post, parent, f"c{comment}"),
                        )
                        like += 1
                        source.run(
                            "INSERT INTO likes VALUES (%s, %s, %s)", (like, comment, f"w{like}")
                        )
                        children.append(comment)
                parents = children


def row_hashes(url: str, table: str) -> dict[str, str]:
    """``key → md5 of the row's values as text`` for every row of ``table``."""
    import sqlalchemy

    engine = sqlalchemy.create_engine(parse_uri(url).sqlalchemy_url())
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sqlalchemy.text(f"SELECT * FROM {table} ORDER BY {KEYS.get(table, 'id')}")
            )
            out = {}
            for row in rows:
                values = ["\\N" if v is None else str(v) for v in row]
                key = "|".join(values[:2] if table == "memberships" else values[:1])
                out[key] = hashlib.md5("\x1f".join(values).encode()).hexdigest()
            return out
    finally:
        engine.dispose()


def assert_replica_equals_source(source_url: str, target_url: str) -> None:
    for table in TABLES:
        expected, got = row_hashes(source_url, table), row_hashes(target_url, table)
        assert len(got) == len(expected), f"{table}: {len(got)} rows, source has {len(expected)}"
        assert got == expected, f"{table}: rows differ"


@pytest.fixture(params=["sqlite", "postgres"])
def target_url(request: pytest.FixtureRequest) -> str:
    return request.getfixturevalue({"sqlite": "sqlite_url", "postgres": "pg_url"}[request.param])


def make_rule(source_url: str, target_url: str, tmp_path: Path, name: str = "blog") -> Any:
    return add_replication_rule(
        name, source_url, target_url, status_dir=tmp_path, capture="triggers"
    )


def test_cascades_are_replicated(mysql_url: str, target_url: str, tmp_path: Path) -> None:
    source = Source(mysql_url)
    seed(source)
    rule = make_rule(mysql_url, target_url, tmp_path)
    try:
        assert rule.sync().kind == "snapshot"
        # a comment in the middle of a tree: its subtree goes, the likes of all of it are nulled
        source.run("DELETE FROM comments WHERE id = 2")
        # an author: posts → comment trees (3 levels, self-reference) → likes nulled, memberships
        source.run("DELETE FROM authors WHERE id = 1")
        # a post of another author: its comments go, likes nulled
        source.run("DELETE FROM posts WHERE id = 21")
        # ON UPDATE CASCADE of a parent key: posts follow, memberships change their primary key
        source.run("UPDATE authors SET code = 'A3-new' WHERE id = 3")
        # a case-only key change is a change (BINARY compare), as InnoDB cascades it
        source.run("UPDATE authors SET code = 'A4' WHERE id = 4")
        source.run("UPDATE authors SET code = 'a4' WHERE id = 4")
        assert source.run("SELECT COUNT(*) FROM likes WHERE comment_id IS NULL")[0][0] == 30
        assert (
            source.run("SELECT COUNT(*) FROM memberships WHERE author_code = 'A3-new'")[0][0] == 2
        )
        result = rule.sync()
        assert result.kind == "changes" and result.error is None
        assert_replica_equals_source(mysql_url, target_url)
        assert row_hashes(target_url, "comments").keys().isdisjoint({"1", "2", "3", "5", "12"})
    finally:
        rule.drop()
        source.connection.close()


def test_failed_statement_leaves_no_entries_and_refusals(mysql_url: str, tmp_path: Path) -> None:
    source = Source(mysql_url)
    seed(source, authors=2)
    source.run(
        "CREATE TABLE pins (id INT PRIMARY KEY, comment_id INT, CONSTRAINT pins_comment "
        "FOREIGN KEY (comment_id) REFERENCES comments (id) ON DELETE RESTRICT)"
    )
    source.run("INSERT INTO pins VALUES (1, 7)")  # a grandchild of post 10: blocks its cascade
    rule = make_rule(mysql_url, str(tmp_path / "replica.sqlite"), tmp_path)
    try:
        rule.sync()
        before = source.log_rows()
        with pytest.raises(Exception, match="foreign key constraint fails"):
            source.run("DELETE FROM authors WHERE id = 1")
        # InnoDB rolled the statement back, with the rows its BEFORE trigger logged
        assert source.log_rows() == before
        assert source.run("SELECT COUNT(*) FROM comments")[0][0] == 40
        rule.sync()
        assert_replica_equals_source(mysql_url, str(tmp_path / "replica.sqlite"))
    finally:
        rule.drop()
    # an update cascade whose changed columns another ON UPDATE CASCADE key references
    source.run(
        "CREATE TABLE badges (id INT PRIMARY KEY, code VARCHAR(20), UNIQUE KEY (code), "
        "CONSTRAINT badges_author FOREIGN KEY (code) REFERENCES authors (code) ON UPDATE CASCADE)"
    )
    source.run(
        "CREATE TABLE awards (id INT PRIMARY KEY, badge VARCHAR(20), CONSTRAINT awards_badge "
        "FOREIGN KEY (badge) REFERENCES badges (code) ON UPDATE CASCADE)"
    )
    chain = make_rule(mysql_url, str(tmp_path / "chain.sqlite"), tmp_path, name="chain")
    with pytest.raises(ReplicationError) as refused:
        chain.sync()
    assert refused.value.message == (
        "rule chain: foreign key badges_author (badges.code → authors.code, ON UPDATE CASCADE) "
        "changes badges.code, which foreign key awards_badge (awards.badge → badges.code, "
        "ON UPDATE CASCADE) cascades further: MySQL/MariaDB fire no trigger for cascaded "
        "changes and trigger capture cannot log such a chain exactly; declare awards_badge ON "
        "UPDATE RESTRICT (or NO ACTION), or capture from PostgreSQL (logical decoding sees "
        "cascaded changes)"
    )
    chain.drop()
    source.run("DROP TABLE awards, badges")
    # a cascade cycle between two tables
    source.run("CREATE TABLE xs (id INT PRIMARY KEY, y_id INT)")
    source.run(
        "CREATE TABLE ys (id INT PRIMARY KEY, x_id INT, CONSTRAINT ys_x FOREIGN KEY (x_id) "
        "REFERENCES xs (id) ON DELETE CASCADE)"
    )
    source.run(
        "ALTER TABLE xs ADD CONSTRAINT xs_y FOREIGN KEY (y_id) REFERENCES ys (id) ON DELETE CASCADE"
    )
    cycle = make_rule(mysql_url, str(tmp_path / "cycle.sqlite"), tmp_path, name="cycle")
    with pytest.raises(ReplicationError) as refused:
        cycle.sync()
    assert refused.value.message == (
        "rule cycle: foreign keys ys_x (ys.x_id → xs.id, ON DELETE CASCADE), xs_y (xs.y_id → "
        "ys.id, ON DELETE CASCADE) form a cascade cycle between tables ys, xs: MySQL/MariaDB "
        "fire no trigger for cascaded deletes and trigger capture cannot log a cycle exactly; "
        "declare one of them ON DELETE RESTRICT (or NO ACTION), or capture from PostgreSQL "
        "(logical decoding sees cascaded changes)"
    )
    cycle.drop()
    source.connection.close()


def test_truncate_and_recreation_are_detected(mysql_url: str, tmp_path: Path) -> None:
    source = Source(mysql_url)
    seed(source, authors=2)
    target = str(tmp_path / "replica.sqlite")
    rule = make_rule(mysql_url, target, tmp_path)
    try:
        rule.sync()
        source.run("INSERT INTO likes VALUES (500, NULL, 'late')")
        assert rule.sync().error is None
        source.run("TRUNCATE TABLE likes")
        with pytest.raises(ReplicationError) as truncated:
            rule.sync()
        masked = rule.capture.source_text
        assert truncated.value.message.startswith(
            f"table likes (entity likes) on {masked} was truncated or re-created after the "
            "checkpoint; TRUNCATE fires no trigger in MariaDB/MySQL, so the rows it removed are "
            "not in the change log (InnoDB table id "
        )
        assert truncated.value.message.endswith("now): re-snapshot with rule.resync()")
        with pytest.raises(ReplicationError, match="was truncated"):
            rule.sync()  # never skipped: the next pass says it again
        rule.resync()
        source.run("INSERT INTO likes VALUES (501, NULL, 'after')")
        assert rule.sync().error is None
        assert_replica_equals_source(mysql_url, target)
        # DROP + CREATE: the triggers went with the old table
        source.run("DROP TABLE likes")
        source.run("CREATE TABLE likes (id INT PRIMARY KEY, comment_id INT, who VARCHAR(20))")
        with pytest.raises(ReplicationError) as recreated:
            rule.sync()
        assert recreated.value.message.startswith(
            f"table likes (entity likes) on {masked} was dropped and re-created (its capture "
            "triggers are gone) (InnoDB table id "
        )
    finally:
        rule.drop()
        source.connection.close()


def test_randomized_workload_with_cascades(mysql_url: str, target_url: str, tmp_path: Path) -> None:
    rng = random.Random(4242)
    source = Source(mysql_url)
    seed(source, authors=6)
    rule = make_rule(mysql_url, target_url, tmp_path)
    next_id = 10_000
    try:
        rule.sync()
        for round_ in range(4):
            for _ in range(40):
                next_id += 1
                authors = [r[0] for r in source.run("SELECT code FROM authors")]
                posts = [r[0] for r in source.run("SELECT id FROM posts")]
                comments = [r[0] for r in source.run("SELECT id FROM comments")]
                choice = rng.random()
                if choice < 0.15 or not authors:
                    source.run(
                        "INSERT INTO authors VALUES (%s, %s, 'new')", (next_id, f"n{next_id}")
                    )
                elif choice < 0.3 and authors:
                    source.run(
                        "INSERT INTO posts VALUES (%s, %s, 'p')", (next_id, rng.choice(authors))
                    )
                elif choice < 0.5 and posts:
                    parent = rng.choice(comments) if comments and rng.random() < 0.6 else None
                    post = (
                        source.run("SELECT post_id FROM comments WHERE id = %s", (parent,))[0][0]
                        if parent
                        else rng.choice(posts)
                    )
                    source.run(
                        "INSERT INTO comments VALUES (%s, %s, %s, 'c')", (next_id, post, parent)
                    )
                    source.run("INSERT INTO likes VALUES (%s, %s, 'w')", (next_id, next_id))
                elif choice < 0.6 and comments:
                    source.run(
                        "UPDATE comments SET body = %s WHERE id = %s",
                        (f"e{next_id}", rng.choice(comments)),
                    )
                elif choice < 0.7 and authors:
                    source.run(
                        "UPDATE authors SET code = %s WHERE code = %s",
                        (f"k{next_id}", rng.choice(authors)),
                    )
                elif choice < 0.8 and comments:
                    source.run("DELETE FROM comments WHERE id = %s", (rng.choice(comments),))
                elif choice < 0.9 and posts:
                    source.run("DELETE FROM posts WHERE id = %s", (rng.choice(posts),))
                elif authors:
                    source.run("DELETE FROM authors WHERE code = %s", (rng.choice(authors),))
            if round_ % 2:
                assert rule.sync().error is None
        assert rule.sync().error is None
        assert_replica_equals_source(mysql_url, target_url)
        assert row_hashes(mysql_url, "likes")  # the workload left rows to compare
    finally:
        rule.drop()
        source.connection.close()
