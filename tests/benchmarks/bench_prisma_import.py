"""Benchmark: import a generated 300-model Prisma schema, against Prisma's own parser.

Run from the repository root::

    python tests/benchmarks/bench_prisma_import.py [--models 300] [--runs 7]

It writes the schema to a temporary file, times ``import_prisma`` (best and median of ``--runs``
after one warm-up), then times Prisma's ``get_dmmf`` through node on the same file (the wasm
module loaded once, ``get_dmmf`` called ``--runs`` times, then ``validate`` — parse and validate only, the work
closest to ``import_prisma`` — plus one cold ``node dmmf.mjs`` run including start-up) and prints
them with the ratios. Not a pytest test: numbers go to
docs/prisma.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from mostaframe.schema.prisma import import_prisma  # noqa: E402

WASM = ROOT / "tests" / "oracle" / "node_modules" / "@prisma" / "prisma-schema-wasm"
ORACLE = ROOT / "tests" / "oracle" / "dmmf.mjs"

_NODE_TIMER = r"""
globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message() {} };
const wasm = require(process.argv[1]);
const text = require('fs').readFileSync(process.argv[2], 'utf8');
const runs = Number(process.argv[3]);
const params = JSON.stringify({ prismaSchema: [[process.argv[2], text]] });
wasm.get_dmmf(params);  // warm-up
const times = [];
for (let i = 0; i < runs; i++) {
  const start = process.hrtime.bigint();
  const out = wasm.get_dmmf(params);
  JSON.parse(out);  // the caller gets an object, as import_prisma's caller does
  times.push(Number(process.hrtime.bigint() - start) / 1e9);
}
const checks = [];
for (let i = 0; i < runs; i++) {  // parse + validate only, no DMMF: the closest to import_prisma
  const start = process.hrtime.bigint();
  wasm.validate(JSON.stringify({ prismaSchema: [[process.argv[2], text]], noColor: true }));
  checks.push(Number(process.hrtime.bigint() - start) / 1e9);
}
process.stdout.write(JSON.stringify({ dmmf: times, validate: checks }));
"""


def generate(models: int) -> str:
    """A PostgreSQL schema of ``models`` models shaped like an application's: ids, a dozen typed
    columns with native types and defaults, a parent relation, indexes, enums, some many-to-many."""
    parts = [
        'datasource db {\n  provider = "postgresql"\n  url      = env("DATABASE_URL")\n}\n',
        'generator client {\n  provider = "prisma-client-js"\n}\n',
    ]
    for e in range(10):
        values = "\n".join(f'  VALUE_{v} @map("value_{v}")' for v in range(5))
        parts.append(f'/// Enum {e}.\nenum Kind{e} {{\n{values}\n\n  @@map("kind_{e}")\n}}\n')
    for n in range(models):
        lines = [
            "  id          Int       @id @default(autoincrement())",
            '  publicId    String    @unique @default(uuid()) @map("public_id") @db.Uuid',
            "  name        String    @db.VarChar(120)",
            "  description String?   @db.Text",
            f"  kind        Kind{n % 10}     @default(VALUE_0)",
            "  amount      Decimal   @default(0) @db.Decimal(12, 2)",
            "  ratio       Float?",
            "  counter     BigInt    @default(0)",
            "  active      Boolean   @default(true)",
            "  tags        String[]",
            "  payload     Json?     @db.JsonB",
            '  createdAt   DateTime  @default(now()) @map("created_at") @db.Timestamptz(6)',
            '  updatedAt   DateTime  @updatedAt @map("updated_at") @db.Timestamptz(6)',
        ]
        if n:
            lines.append('  parentId    Int?      @map("parent_id")')
            lines.append(
                f"  parent      Model{n - 1}?  @relation(fields: [parentId], references: [id], "
                "onDelete: SetNull)"
            )
        if n + 1 < models:
            lines.append(f"  children    Model{n + 1}[]")
        if n % 10 == 0 and n + 5 < models:
            lines.append(f'  peers       Model{n + 5}[] @relation("Peers{n}")')
        if n % 10 == 5:
            lines.append(f'  peersOf     Model{n - 5}[] @relation("Peers{n - 5}")')
        lines += [
            "",
            "  @@index([name])",
            "  @@index([kind, createdAt(sort: Desc)])",
            f'  @@map("model_{n}")',
        ]
        parts.append(f"/// Model number {n}.\nmodel Model{n} {{\n" + "\n".join(lines) + "\n}\n")
    return "\n".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=300)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "schema.prisma"
        text = generate(args.models)
        path.write_text(text)
        import_prisma(path)  # warm-up: imports, regex compilation
        ours = []
        for _ in range(args.runs):
            start = time.perf_counter()
            schema = import_prisma(path)
            ours.append(time.perf_counter() - start)
        fields = sum(len(e.fields) for e in schema)
        print(
            f"schema: {args.models} models, {len(schema)} entities, {fields} columns, {len(text) / 1024:.0f} KiB"
        )
        print(
            f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}"
        )
        print(
            f"mostaframe import_prisma: best {min(ours) * 1000:.1f} ms, median {statistics.median(ours) * 1000:.1f} ms"
        )
        if not WASM.exists():
            print(
                "Prisma get_dmmf: skipped (tests/oracle/node_modules missing: cd tests/oracle && npm ci)"
            )
            return
        done = subprocess.run(
            ["node", "-e", _NODE_TIMER, str(WASM), str(path), str(args.runs)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        measured = json.loads(done.stdout)
        theirs, checks = measured["dmmf"], measured["validate"]
        print(
            f"Prisma get_dmmf (wasm, in node): best {min(theirs) * 1000:.1f} ms, "
            f"median {statistics.median(theirs) * 1000:.1f} ms"
        )
        print(
            f"Prisma validate (wasm, parse + validate only): best {min(checks) * 1000:.1f} ms, "
            f"median {statistics.median(checks) * 1000:.1f} ms"
        )
        start = time.perf_counter()
        subprocess.run(["node", str(ORACLE), str(path)], capture_output=True, check=True)
        cold = time.perf_counter() - start
        print(
            f"Prisma cold `node dmmf.mjs` (process start + wasm load + get_dmmf): {cold * 1000:.0f} ms"
        )
        ours_median = statistics.median(ours)
        print(
            f"ratio mostaframe / Prisma get_dmmf (median): {ours_median / statistics.median(theirs):.2f}"
        )
        print(
            f"ratio mostaframe / Prisma validate (median): {ours_median / statistics.median(checks):.2f}"
        )


if __name__ == "__main__":
    main()
