CREATE TABLE `accounts` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `email` VARCHAR(120) NOT NULL,
    `name` VARCHAR(191),
    `role` ENUM('user','admin') NOT NULL DEFAULT 'user',
    `balance` DECIMAL(10, 2) NOT NULL DEFAULT 0,
    `ratio` DECIMAL(65, 30),
    `score` DOUBLE NOT NULL DEFAULT (1.5),
    `weight` FLOAT,
    `rank` SMALLINT NOT NULL DEFAULT 0,
    `visits` BIGINT,
    `active` TINYINT(1) NOT NULL DEFAULT 1,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    `updated_at` DATETIME(6) NOT NULL,
    `birthday` DATE,
    `opens_at` TIME,
    `settings` JSON NOT NULL DEFAULT ('{}'),
    `avatar` LONGBLOB,
    `external_id` CHAR(36) NOT NULL DEFAULT (uuid()),
    `tags` JSON NOT NULL DEFAULT ('[]'),
    `referrer_id` INTEGER,
    PRIMARY KEY (`id`),
    CONSTRAINT `accounts_referrer_id_fkey` FOREIGN KEY(`referrer_id`) REFERENCES `accounts` (`id`) ON DELETE SET NULL ON UPDATE CASCADE
)DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE UNIQUE INDEX `accounts_email_key` ON `accounts` (`email`);

CREATE UNIQUE INDEX `accounts_name_birthday_uq` ON `accounts` (`name`, `birthday`);

CREATE INDEX `accounts_created_at_name_idx` ON `accounts` (`created_at` DESC, `name`);

CREATE TABLE `profiles` (
    `account_id` INTEGER NOT NULL,
    `bio` LONGTEXT,
    PRIMARY KEY (`account_id`),
    CONSTRAINT `profiles_account_id_fkey` FOREIGN KEY(`account_id`) REFERENCES `accounts` (`id`) ON DELETE CASCADE ON UPDATE CASCADE
)DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE TABLE `orders` (
    `id` BIGINT NOT NULL AUTO_INCREMENT,
    `account_id` INTEGER NOT NULL,
    `status` ENUM('ACTIVE','PAUSED') NOT NULL DEFAULT 'ACTIVE',
    `code` CHAR(36) NOT NULL,
    `total` DECIMAL(12, 2) NOT NULL,
    PRIMARY KEY (`id`),
    CONSTRAINT `orders_account_fk` FOREIGN KEY(`account_id`) REFERENCES `accounts` (`id`) ON DELETE RESTRICT ON UPDATE RESTRICT
)DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin;

CREATE UNIQUE INDEX `orders_code_key` ON `orders` (`code`);

CREATE INDEX `orders_account_id_status_idx` ON `orders` (`account_id`, `status`);

CREATE TABLE `order_lines` (
    `order_id` BIGINT NOT NULL,
    `position` INTEGER NOT NULL,
    `product_code` VARCHAR(40) NOT NULL,
    `quantity` INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (`order_id`, `position`),
    CONSTRAINT `order_lines_order_id_fkey` FOREIGN KEY(`order_id`) REFERENCES `orders` (`id`) ON DELETE CASCADE ON UPDATE CASCADE
)DEFAULT CHARSET=utf8mb4 COLLATE utf8mb4_bin;

