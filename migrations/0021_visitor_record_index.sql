DROP INDEX `record_visitors_person_idx`;--> statement-breakpoint
CREATE INDEX `record_visitors_person_idx` ON `record_visitors` (`person_id`,`record_id`);