"""MariaDB trigger capture: a parent DELETE cascading to N children without / with the rule's
triggers, and the time of a no-op ``rule.sync()`` (docs/cdc.md).

    python tests/benchmarks/bench_mysql_cascade.py --children 10000

Needs MariaDB at 127.0.0.1:3306 (root, empty password); makes and drops its own database.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
import uuid

import pymysql

from mostaframe.replication.rule import add_replication_rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--children", type=int, default=10_000, help="children per parent")
    parser.add_argument("--rounds", type=int, default=5, help="parents deleted (median)")
    args = parser.parse_args()
    name = "bench_" + uuid.uuid4().hex[:8]
    admin = pymysql.connect(host="127.0.0.1", user="root", autocommit=True)
    cursor = admin.cursor()
    cursor.execute(f"CREATE DATABASE {name}")
    cursor.execute(f"USE {name}")
    cursor.execute("CREATE TABLE parents (id INT PRIMARY KEY, name VARCHAR(20))")
    cursor.execute(
        "CREATE TABLE children (id INT PRIMARY KEY, parent_id INT, v VARCHAR(40), "
        "FOREIGN KEY (parent_id) REFERENCES parents (id) ON DELETE CASCADE)"
    )
    rounds, n = args.rounds, args.children

    def fill() -> None:
        cursor.execute(f"INSERT INTO parents SELECT seq, 'p' FROM seq_1_to_{rounds}")
        cursor.execute(
            f"INSERT INTO children SELECT seq, 1 + seq % {rounds}, 'xxxxxxxxxxxxxxxxxxxx' "
            f"FROM seq_1_to_{n * rounds}"
        )

    def delete_ms() -> float:
        times = []
        for parent in range(1, rounds + 1):
            started = time.perf_counter()
            cursor.execute("DELETE FROM parents WHERE id = %s", (parent,))
            times.append(time.perf_counter() - started)
        return statistics.median(times) * 1000

    tmp = tempfile.mkdtemp()
    try:
        print("load average", os.getloadavg())
        fill()
        print(f"DELETE of a parent with {n} children, no triggers: {delete_ms():.1f} ms")
        url = f"mysql://root@127.0.0.1:3306/{name}"
        rule = add_replication_rule(
            "bench", url, os.path.join(tmp, "r.sqlite"), status_dir=tmp, capture="triggers"
        )
        rule.sync()
        fill()
        print(f"DELETE of a parent with {n} children, rule's triggers: {delete_ms():.1f} ms")
        rule.sync()
        times = []
        for _ in range(20):
            started = time.perf_counter()
            rule.sync()
            times.append(time.perf_counter() - started)
        print(f"no-op sync: median {statistics.median(times) * 1000:.1f} ms (20 runs)")
        rule.drop()
        print("load average", os.getloadavg())
    finally:
        cursor.execute(f"DROP DATABASE {name}")


if __name__ == "__main__":
    main()
