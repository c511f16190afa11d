// Prisma 6.19 runs its migration engine as WebAssembly (@prisma/schema-engine-wasm, bundled in the
// `prisma` package) when the config names a driver adapter and `engine: "js"`: nothing is
// downloaded from binaries.prisma.sh. `migrate diff --from-empty --to-schema-datamodel` does not
// change the database, but the engine connects once (PostgreSQL: ORACLE_DATABASE_URL). See README.md.
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaLibSQL } from "@prisma/adapter-libsql";

const provider = process.env.ORACLE_PROVIDER ?? "postgresql";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: process.env.ORACLE_SCHEMA,
  adapter: async () =>
    provider === "sqlite"
      ? new PrismaLibSQL({ url: "file::memory:" })
      : new PrismaPg({
          connectionString: process.env.ORACLE_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres",
          // the pool would otherwise keep node alive 10 s after the diff is printed
          idleTimeoutMillis: 10,
        }),
});
