CREATE TABLE `leaves` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` integer NOT NULL,
	`start_on` text NOT NULL,
	`end_on` text NOT NULL,
	`substitute_id` integer,
	`created_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`substitute_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`created_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `leaves_person_idx` ON `leaves` (`person_id`,`start_on`);--> statement-breakpoint
CREATE TABLE `reminder_snoozes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`person_id` integer NOT NULL,
	`campaign_id` text NOT NULL,
	`reminder_key` text NOT NULL,
	`snoozed_at` integer NOT NULL,
	`until` integer NOT NULL,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reminder_snoozes_uq` ON `reminder_snoozes` (`person_id`,`reminder_key`);--> statement-breakpoint
CREATE INDEX `reminder_snoozes_until_idx` ON `reminder_snoozes` (`until`);--> statement-breakpoint
ALTER TABLE `people` ADD `joined_on` text;