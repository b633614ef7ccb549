ALTER TABLE `records` ADD `submission_key` text;--> statement-breakpoint
CREATE UNIQUE INDEX `records_submission_uq` ON `records` (`submission_key`) WHERE submission_key IS NOT NULL;