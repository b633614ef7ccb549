CREATE TABLE `export_audits` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor_id` integer,
	`channel` text NOT NULL,
	`kind` text NOT NULL,
	`campaign_id` text,
	`from_on` text,
	`to_on` text,
	`teacher_id` integer,
	`row_counts` text,
	`files` text,
	`outcome` text NOT NULL,
	`error` text,
	`requested_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE INDEX `export_audits_requested_idx` ON `export_audits` (`requested_at`);