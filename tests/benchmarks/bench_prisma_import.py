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
import os
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
const files = [[process.argv[2], text]];
// wall time and CPU time (user + system) of one call, in seconds
function timed(call) {
  const wall = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  call();
  const used = process.cpuUsage(cpu);
  return [Number(process.hrtime.bigint() - wall) / 1e9, (used.user + used.system) / 1e6];
}
wasm.get_dmmf(JSON.stringify({ prismaSchema: files }));  // warm-up
const dmmf = [];
const validate = [];
for (let i = 0; i < runs; i++) {
  // an object at the end, like import_prisma's result
  dmmf.push(timed(() => JSON.parse(wasm.get_dmmf(JSON.stringify({ prismaSchema: files })))));
  // parse + validate only, no DMMF: the work closest to import_prisma
  validate.push(timed(() => wasm.validate(JSON.stringify({ prismaSchema: files, noColor: true }))));
}
process.stdout.write(JSON.stringify({ dmmf, validate }));
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
        ours = []  # (wall, CPU) seconds: CPU time is the steadier one on a shared machine
        for _ in range(args.runs):
            wall, cpu = time.perf_counter(), time.process_time()
            schema = import_prisma(path)
            ours.append((time.perf_counter() - wall, time.process_time() - cpu))
        fields = sum(len(e.fields) for e in schema)
        print(
            f"schema: {args.models} models, {len(schema)} entities, {fields} columns, "
            f"{len(text) / 1024:.0f} KiB; Python {platform.python_version()}, "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
        )
        report("mostaframe import_prisma", ours)
        if not WASM.exists():
            print("Prisma: skipped (tests/oracle/node_modules missing: cd tests/oracle && npm ci)")
            return
        done = subprocess.run(
            ["node", "-e", _NODE_TIMER, str(WASM), str(path), str(args.runs)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        measured = json.loads(done.stdout)
        report("Prisma get_dmmf (wasm, in node)", measured["dmmf"])
        report("Prisma validate (wasm, parse + validate only)", measured["validate"])
        start = time.perf_counter()
        subprocess.run(["node", str(ORACLE), str(path)], capture_output=True, check=True)
        print(
            f"Prisma cold `node dmmf.mjs` (start node, load wasm, get_dmmf): wall {(time.perf_counter() - start) * 1000:.0f} ms"
        )
        for label in ("get_dmmf", "validate"):
            reference = measured["dmmf" if label == "get_dmmf" else "validate"]
            wall = statistics.median(t[0] for t in ours) / statistics.median(
                t[0] for t in reference
            )
            cpu = statistics.median(t[1] for t in ours) / statistics.median(t[1] for t in reference)
            print(f"ratio mostaframe / Prisma {label} (medians): wall {wall:.2f}, CPU {cpu:.2f}")


def report(label: str, timings: list[tuple[float, float]]) -> None:
    walls = [wall * 1000 for wall, _ in timings]
    cpus = [cpu * 1000 for _, cpu in timings]
    print(
        f"{label}: wall best {min(walls):.0f} ms, median {statistics.median(walls):.0f} ms; "
        f"CPU best {min(cpus):.0f} ms, median {statistics.median(cpus):.0f} ms"
    )


if __name__ == "__main__":
    main()
