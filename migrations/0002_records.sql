CREATE TABLE `ledger_items` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`record_id` integer,
	`source` text NOT NULL,
	`raised_by` text NOT NULL,
	`text` text NOT NULL,
	`category` text,
	`owner_id` integer NOT NULL,
	`created_by` integer,
	`due_on` text,
	`status` text DEFAULT 'open' NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`record_id`) REFERENCES `records`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`owner_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ledger_owner_idx` ON `ledger_items` (`owner_id`,`status`);--> statement-breakpoint
CREATE INDEX `ledger_campaign_idx` ON `ledger_items` (`campaign_id`,`status`);--> statement-breakpoint
CREATE INDEX `ledger_record_idx` ON `ledger_items` (`record_id`);--> statement-breakpoint
CREATE TABLE `photos` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` integer NOT NULL,
	`record_id` integer,
	`message_id` text NOT NULL,
	`image_key` text NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`sha256` text,
	`path` text,
	`content_type` text,
	`bytes` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`last_error` text,
	`received_at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`record_id`) REFERENCES `records`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `photos_message_uq` ON `photos` (`message_id`,`image_key`);--> statement-breakpoint
CREATE INDEX `photos_record_idx` ON `photos` (`record_id`);--> statement-breakpoint
CREATE TABLE `record_drafts` (
	`person_id` integer NOT NULL,
	`form` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` integer NOT NULL,
	`record_id` integer,
	`opened_at` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `record_drafts_person_uq` ON `record_drafts` (`person_id`);--> statement-breakpoint
CREATE TABLE `record_visitors` (
	`record_id` integer NOT NULL,
	`person_id` integer NOT NULL,
	`role` text NOT NULL,
	FOREIGN KEY (`record_id`) REFERENCES `records`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `record_visitors_uq` ON `record_visitors` (`record_id`,`person_id`);--> statement-breakpoint
CREATE INDEX `record_visitors_person_idx` ON `record_visitors` (`person_id`);--> statement-breakpoint
CREATE TABLE `records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`form` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` integer NOT NULL,
	`period_key` text,
	`author_id` integer NOT NULL,
	`occurred_on` text NOT NULL,
	`data` text NOT NULL,
	`submitted_at` integer NOT NULL,
	`late` integer NOT NULL,
	`revision` integer DEFAULT 1 NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`author_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `records_period_uq` ON `records` (`campaign_id`,`form`,`subject_type`,`subject_id`,`period_key`) WHERE period_key IS NOT NULL;--> statement-breakpoint
CREATE INDEX `records_author_idx` ON `records` (`author_id`,`form`);--> statement-breakpoint
CREATE INDEX `records_subject_idx` ON `records` (`subject_type`,`subject_id`);--> statement-breakpoint
CREATE INDEX `outbox_feishu_message_idx` ON `outbox` (`feishu_message_id`);