DROP INDEX `records_in_person_idx`;--> statement-breakpoint
CREATE INDEX `records_visit_row_idx` ON `records` (`id`,`campaign_id`,`form`,`occurred_on`,`subject_id`,`submitted_at`) WHERE form = 'visit';--> statement-breakpoint
CREATE INDEX `records_in_person_idx` ON `records` (`campaign_id`,`author_id`,`occurred_on`,`submitted_at`,`subject_id`) WHERE form = 'visit' AND visit_mode = 'in-person';