CREATE TABLE `ledger_events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`item_id` integer NOT NULL,
	`at` integer NOT NULL,
	`actor_id` integer,
	`kind` text NOT NULL,
	`from_status` text,
	`to_status` text,
	`from_owner_id` integer,
	`to_owner_id` integer,
	`note` text,
	FOREIGN KEY (`item_id`) REFERENCES `ledger_items`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`actor_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`from_owner_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`to_owner_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `ledger_events_item_idx` ON `ledger_events` (`item_id`,`at`);--> statement-breakpoint
ALTER TABLE `ledger_items` ADD `resolution` text;--> statement-breakpoint
ALTER TABLE `ledger_items` ADD `resolved_at` integer;--> statement-breakpoint
ALTER TABLE `ledger_items` ADD `closed_at` integer;--> statement-breakpoint
ALTER TABLE `ledger_items` ADD `escalated_at` integer;