ALTER TABLE `people` ADD `class_deputy` text;--> statement-breakpoint
CREATE INDEX `targets_class_idx` ON `targets` (`campaign_id`,`class_name`);