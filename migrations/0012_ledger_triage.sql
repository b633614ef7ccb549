PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_ledger_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`record_id` integer,
	`source` text NOT NULL,
	`raised_by` text NOT NULL,
	`text` text NOT NULL,
	`category` text,
	`owner_id` integer,
	`created_by` integer,
	`due_on` text,
	`status` text DEFAULT 'open' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`resolution` text,
	`resolved_at` integer,
	`closed_at` integer,
	`escalated_at` integer,
	`overdue_noticed` text,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`record_id`) REFERENCES `records`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`owner_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_ledger_items`("id", "campaign_id", "record_id", "source", "raised_by", "text", "category", "owner_id", "created_by", "due_on", "status", "created_at", "updated_at", "resolution", "resolved_at", "closed_at", "escalated_at") SELECT "id", "campaign_id", "record_id", "source", "raised_by", "text", "category", "owner_id", "created_by", "due_on", "status", "created_at", "updated_at", "resolution", "resolved_at", "closed_at", "escalated_at" FROM `ledger_items`;--> statement-breakpoint
DROP TABLE `ledger_items`;--> statement-breakpoint
ALTER TABLE `__new_ledger_items` RENAME TO `ledger_items`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `ledger_owner_idx` ON `ledger_items` (`owner_id`,`status`);--> statement-breakpoint
CREATE INDEX `ledger_campaign_idx` ON `ledger_items` (`campaign_id`,`status`);--> statement-breakpoint
CREATE INDEX `ledger_record_idx` ON `ledger_items` (`record_id`);--> statement-breakpoint
ALTER TABLE `records` ADD `card_message_id` text;