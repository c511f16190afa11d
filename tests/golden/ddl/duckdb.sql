CREATE TYPE "role" AS ENUM ('user', 'admin');

CREATE TYPE "Status" AS ENUM ('ACTIVE', 'PAUSED');

CREATE SEQUENCE "accounts_id_seq";

CREATE TABLE "accounts" (
    "id" INTEGER DEFAULT nextval('"accounts_id_seq"') NOT NULL,
    "email" VARCHAR NOT NULL,
    "name" VARCHAR,
    "role" "role" DEFAULT 'user' NOT NULL,
    "balance" DECIMAL(10, 2) DEFAULT 0 NOT NULL,
    "ratio" VARCHAR,
    "score" DOUBLE DEFAULT 1.5 NOT NULL,
    "weight" REAL,
    "rank" SMALLINT DEFAULT 0 NOT NULL,
    "visits" BIGINT,
    "active" BOOLEAN DEFAULT true NOT NULL,
    "created_at" TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "birthday" DATE,
    "opens_at" TIME,
    "settings" JSON DEFAULT '{}' NOT NULL,
    "avatar" BLOB,
    "external_id" UUID DEFAULT gen_random_uuid() NOT NULL,
    "tags" VARCHAR[] DEFAULT '[]' NOT NULL,
    "referrer_id" INTEGER,
    PRIMARY KEY ("id"),
    CONSTRAINT "accounts_email_key" UNIQUE ("email"),
    CONSTRAINT "accounts_name_birthday_uq" UNIQUE ("name", "birthday"),
    CONSTRAINT "accounts_referrer_id_fkey" FOREIGN KEY("referrer_id") REFERENCES "accounts" ("id")
);

CREATE INDEX "accounts_created_at_name_idx" ON "accounts" ("created_at" DESC, "name");

CREATE TABLE "profiles" (
    "account_id" INTEGER NOT NULL,
    "bio" VARCHAR,
    PRIMARY KEY ("account_id"),
    CONSTRAINT "profiles_account_id_fkey" FOREIGN KEY("account_id") REFERENCES "accounts" ("id")
);

CREATE SEQUENCE "orders_id_seq";

CREATE TABLE "orders" (
    "id" BIGINT DEFAULT nextval('"orders_id_seq"') NOT NULL,
    "account_id" INTEGER NOT NULL,
    "status" "Status" DEFAULT 'ACTIVE' NOT NULL,
    "code" UUID NOT NULL,
    "total" DECIMAL(12, 2) NOT NULL,
    PRIMARY KEY ("id"),
    CONSTRAINT "orders_code_key" UNIQUE ("code"),
    CONSTRAINT "orders_account_fk" FOREIGN KEY("account_id") REFERENCES "accounts" ("id") ON DELETE RESTRICT ON UPDATE RESTRICT
);

CREATE INDEX "orders_account_id_status_idx" ON "orders" ("account_id", "status");

CREATE TABLE "order_lines" (
    "order_id" BIGINT NOT NULL,
    "position" INTEGER NOT NULL,
    "product_code" VARCHAR NOT NULL,
    "quantity" INTEGER DEFAULT 1 NOT NULL,
    PRIMARY KEY ("order_id", "position"),
    CONSTRAINT "order_lines_order_id_fkey" FOREIGN KEY("order_id") REFERENCES "orders" ("id")
);

