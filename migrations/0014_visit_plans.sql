CREATE TABLE `visit_plans` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`target_id` integer NOT NULL,
	`visitor_id` integer NOT NULL,
	`co_visitor_ids` text NOT NULL,
	`mode` text NOT NULL,
	`starts_at` integer NOT NULL,
	`note` text,
	`submission_key` text,
	`status` text DEFAULT 'planned' NOT NULL,
	`revision` integer DEFAULT 1 NOT NULL,
	`record_id` integer,
	`calendar_id` text,
	`event_id` text,
	`calendar_revision` integer DEFAULT 0 NOT NULL,
	`calendar_error` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`target_id`) REFERENCES `targets`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`visitor_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`record_id`) REFERENCES `records`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `visit_plans_submission_key_unique` ON `visit_plans` (`submission_key`);--> statement-breakpoint
CREATE INDEX `visit_plans_campaign_idx` ON `visit_plans` (`campaign_id`,`status`,`starts_at`);--> statement-breakpoint
CREATE INDEX `visit_plans_visitor_idx` ON `visit_plans` (`visitor_id`,`status`);