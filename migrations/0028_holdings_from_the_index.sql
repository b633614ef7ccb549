DROP INDEX `assignments_person_idx`;--> statement-breakpoint
CREATE INDEX `assignments_person_idx` ON `assignments` (`person_id`,`subject_type`,`ended_at`,`campaign_id`,`started_at`,`subject_id`);