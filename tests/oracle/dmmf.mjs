#!/usr/bin/env node
// Prisma's own schema parser as a test oracle for mostaframe's Prisma importer.
//
//   node tests/oracle/dmmf.mjs SCHEMA.prisma [MORE.prisma ...]   one schema, possibly split over files
//   node tests/oracle/dmmf.mjs SCHEMA_DIR/                        every *.prisma file in it (multi-file schema)
//   node tests/oracle/dmmf.mjs --full ...                         the whole get_dmmf result (also `schema`, `mappings`)
//
// Prints {"datamodel": {...}} (or the full DMMF with --full) as JSON on stdout and exits 0.
// On a validation error prints Prisma's message (ANSI colours stripped) on stderr and exits 1;
// on a usage or I/O error exits 2. See README.md beside this file for the DMMF shape.
//
// All files are handed to the wasm as a multi-file schema: `prismaSchema` is an array of
// [fileName, content] pairs (accepted since Prisma 5.15; a plain string also works for one file).
// Semantically that is the same as concatenating them, but errors name the right file and line.
import { createRequire } from 'node:module';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
// The wasm reports a Rust panic through this global before throwing; without it a panic
// surfaces as an unrelated TypeError.
let lastPanic = null;
globalThis.PRISMA_WASM_PANIC_REGISTRY = { set_message: (m) => { lastPanic = m; } };
const wasm = require('@prisma/prisma-schema-wasm');

const stripAnsi = (s) => String(s).replace(/\x1b\[[0-9;]*m/g, '');

function collectFiles(args) {
  const files = [];
  for (const arg of args) {
    const st = statSync(arg);
    if (st.isDirectory()) {
      const names = readdirSync(arg).filter((n) => n.endsWith('.prisma')).sort();
      for (const n of names) files.push(join(arg, n));
    } else {
      files.push(arg);
    }
  }
  return files;
}

function main(argv) {
  const full = argv.includes('--full');
  const paths = argv.filter((a) => a !== '--full');
  if (paths.length === 0) {
    process.stderr.write('usage: node dmmf.mjs [--full] FILE.prisma|DIR [...]\n');
    return 2;
  }
  let files;
  try {
    files = collectFiles(paths);
  } catch (e) {
    process.stderr.write(`dmmf.mjs: ${e.message}\n`);
    return 2;
  }
  if (files.length === 0) {
    process.stderr.write('dmmf.mjs: no .prisma files found\n');
    return 2;
  }
  const prismaSchema = files.map((f) => [f, readFileSync(f, 'utf8')]);

  let raw;
  try {
    raw = wasm.get_dmmf(JSON.stringify({ prismaSchema }));
  } catch (e) {
    // The wasm throws an Error whose message is JSON: {"error_code":"P1012","message":"..."}
    let msg = e && e.message !== undefined ? e.message : String(e);
    if (lastPanic) msg = `prisma-schema-wasm panicked: ${lastPanic}`;
    try {
      const parsed = JSON.parse(msg);
      msg = `${parsed.error_code || 'error'}: ${parsed.message}`;
    } catch {
      /* not JSON: keep as is */
    }
    process.stderr.write(stripAnsi(msg) + '\n');
    return 1;
  }
  if (full) {
    process.stdout.write(raw + '\n');
  } else {
    const dmmf = JSON.parse(raw);
    process.stdout.write(JSON.stringify({ datamodel: dmmf.datamodel }) + '\n');
  }
  return 0;
}

process.exitCode = main(process.argv.slice(2));
