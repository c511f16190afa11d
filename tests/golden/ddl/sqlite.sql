CREATE TABLE "accounts" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "email" TEXT NOT NULL,
    "name" TEXT,
    "role" TEXT DEFAULT 'user' NOT NULL,
    "balance" DECIMAL(10, 2) DEFAULT 0 NOT NULL,
    "ratio" DECIMAL_TEXT(65, 30),
    "score" REAL DEFAULT (1.5) NOT NULL,
    "weight" REAL,
    "rank" SMALLINT DEFAULT 0 NOT NULL,
    "visits" BIGINT,
    "active" BOOLEAN DEFAULT true NOT NULL,
    "created_at" DATETIME DEFAULT CURRENT_TIMESTAMP NOT NULL,
    "updated_at" DATETIME NOT NULL,
    "birthday" DATE,
    "opens_at" TIME,
    "settings" TEXT DEFAULT '{}' NOT NULL,
    "avatar" BLOB,
    "external_id" TEXT DEFAULT (lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))) NOT NULL,
    "tags" TEXT DEFAULT '[]' NOT NULL,
    "referrer_id" INTEGER,
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
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "account_id" INTEGER NOT NULL,
    "status" TEXT DEFAULT 'ACTIVE' NOT NULL,
    "code" TEXT NOT NULL,
    "total" DECIMAL(12, 2) NOT NULL,
    CONSTRAINT "orders_account_fk" FOREIGN KEY("account_id") REFERENCES "accounts" ("id") ON DELETE RESTRICT ON UPDATE RESTRICT
);

CREATE UNIQUE INDEX "orders_code_key" ON "orders" ("code");

CREATE INDEX "orders_account_id_status_idx" ON "orders" ("account_id", "status");

CREATE TABLE "order_lines" (
    "order_id" BIGINT NOT NULL,
    "position" INTEGER NOT NULL,
    "product_code" TEXT NOT NULL,
    "quantity" INTEGER DEFAULT 1 NOT NULL,
    CONSTRAINT "order_lines_pk" PRIMARY KEY ("order_id", "position"),
    CONSTRAINT "order_lines_order_id_fkey" FOREIGN KEY("order_id") REFERENCES "orders" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

