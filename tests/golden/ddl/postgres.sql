CREATE TYPE "role" AS ENUM ('user', 'admin');

CREATE TYPE "Status" AS ENUM ('ACTIVE', 'PAUSED');

CREATE TABLE "accounts" (
    "id" SERIAL NOT NULL,
    "email" VARCHAR(120) NOT NULL,
    "name" TEXT,
    "role" "role" DEFAULT 'user' NOT NULL,
    "balance" DECIMAL(10, 2) DEFAULT 0 NOT NULL,
    "ratio" DECIMAL(65, 30),
    "score" DOUBLE PRECISION DEFAULT 1.5 NOT NULL,
    "weight" REAL,
    "rank" SMALLINT DEFAULT 0 NOT NULL,
    "visits" BIGINT,
    "active" BOOLEAN DEFAULT true NOT NULL,
    "created_at" TIMESTAMP(3) WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP(6) WITH TIME ZONE NOT NULL,
    "birthday" DATE,
    "opens_at" TIME(0) WITHOUT TIME ZONE,
    "settings" JSONB DEFAULT '{}' NOT NULL,
    "avatar" BYTEA,
    "external_id" UUID DEFAULT gen_random_uuid() NOT NULL,
    "tags" TEXT[] DEFAULT ARRAY[]::TEXT[] NOT NULL,
    "referrer_id" INTEGER,
    CONSTRAINT "accounts_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "accounts_referrer_id_fkey" FOREIGN KEY("referrer_id") REFERENCES "accounts" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);

CREATE UNIQUE INDEX "accounts_email_key" ON "accounts" ("email");

CREATE UNIQUE INDEX "accounts_name_birthday_uq" ON "accounts" ("name", "birthday");

CREATE INDEX "accounts_created_at_name_idx" ON "accounts" ("created_at" DESC, "name");

CREATE TABLE "profiles" (
    "account_id" INTEGER NOT NULL,
    "bio" TEXT,
    CONSTRAINT "profiles_pkey" PRIMARY KEY ("account_id"),
    CONSTRAINT "profiles_account_id_fkey" FOREIGN KEY("account_id") REFERENCES "accounts" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE TABLE "orders" (
    "id" BIGSERIAL NOT NULL,
    "account_id" INTEGER NOT NULL,
    "status" "Status" DEFAULT 'ACTIVE' NOT NULL,
    "code" UUID NOT NULL,
    "total" DECIMAL(12, 2) NOT NULL,
    CONSTRAINT "orders_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "orders_account_fk" FOREIGN KEY("account_id") REFERENCES "accounts" ("id") ON DELETE RESTRICT ON UPDATE RESTRICT
);

CREATE UNIQUE INDEX "orders_code_key" ON "orders" ("code");

CREATE INDEX "orders_account_id_status_idx" ON "orders" ("account_id", "status");

CREATE TABLE "order_lines" (
    "order_id" BIGINT NOT NULL,
    "position" INTEGER NOT NULL,
    "product_code" VARCHAR(40) NOT NULL,
    "quantity" INTEGER DEFAULT 1 NOT NULL,
    CONSTRAINT "order_lines_pk" PRIMARY KEY ("order_id", "position"),
    CONSTRAINT "order_lines_order_id_fkey" FOREIGN KEY("order_id") REFERENCES "orders" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

