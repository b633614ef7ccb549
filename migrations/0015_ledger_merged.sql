ALTER TABLE `ledger_items` ADD `merged_into_id` integer;--> statement-breakpoint
CREATE INDEX `ledger_merged_idx` ON `ledger_items` (`merged_into_id`);