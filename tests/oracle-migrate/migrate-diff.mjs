#!/usr/bin/env node
// Prisma's own DDL for a schema: `prisma migrate diff --from-empty --to-schema-datamodel S --script`
// run through the wasm schema engine (no network, no engine binaries).
//
//   node tests/oracle-migrate/migrate-diff.mjs SCHEMA.prisma [postgresql|sqlite]   → SQL on stdout
//
// Exit 0 with the script on stdout; otherwise Prisma's exit code and message on stderr.
// MySQL is not offered: this wasm build panics ("unreachable") on the mysql connector.
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [schemaArg, provider = 'postgresql'] = process.argv.slice(2);
if (!schemaArg) {
  process.stderr.write('usage: migrate-diff.mjs SCHEMA.prisma [postgresql|sqlite]\n');
  process.exit(2);
}
const schema = resolve(schemaArg);
// The CLI checks for its native engines before running any command; point it at empty
// placeholder files so it does not try to download them (the wasm engine does the work).
const fake = mkdtempSync(join(tmpdir(), 'mf-prisma-'));
for (const name of ['libquery_engine.so.node', 'schema-engine']) writeFileSync(join(fake, name), '');
const result = spawnSync(
  process.execPath,
  [join(here, 'node_modules', 'prisma', 'build', 'index.js'), 'migrate', 'diff', '--from-empty',
    '--to-schema-datamodel', schema, '--script'],
  {
    cwd: here,
    encoding: 'utf8',
    env: {
      ...process.env,
      ORACLE_SCHEMA: schema,
      ORACLE_PROVIDER: provider,
      PRISMA_QUERY_ENGINE_LIBRARY: join(fake, 'libquery_engine.so.node'),
      PRISMA_SCHEMA_ENGINE_BINARY: join(fake, 'schema-engine'),
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
      CHECKPOINT_DISABLE: '1',
    },
  },
);
if (result.status !== 0) {
  process.stderr.write(result.stderr || result.stdout);
  process.exit(result.status ?? 1);
}
// drop the "Loaded Prisma config" banner the CLI prints before the script
process.stdout.write(result.stdout.replace(/^Loaded Prisma config[^\n]*\n+/, ''));
