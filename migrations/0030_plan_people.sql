-- Who each visit plan is for (its visitor and co-visitors), kept by triggers, so that /进度 finds a person's open plans
-- by the person rather than through every open plan of the campaign and each one's co-visitor list.
CREATE TABLE `visit_plan_people` (
	`person_id` integer NOT NULL,
	`plan_id` integer NOT NULL,
	PRIMARY KEY(`person_id`, `plan_id`),
	FOREIGN KEY (`plan_id`) REFERENCES `visit_plans`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `visit_plan_people_plan_idx` ON `visit_plan_people` (`plan_id`);--> statement-breakpoint
CREATE TRIGGER `visit_plans_insert_people` AFTER INSERT ON `visit_plans` BEGIN INSERT OR IGNORE INTO `visit_plan_people` (`person_id`, `plan_id`) SELECT NEW.`visitor_id`, NEW.`id` UNION SELECT j.`value`, NEW.`id` FROM json_each(NEW.`co_visitor_ids`) j; END;--> statement-breakpoint
CREATE TRIGGER `visit_plans_update_people` AFTER UPDATE OF `id`, `visitor_id`, `co_visitor_ids` ON `visit_plans` BEGIN DELETE FROM `visit_plan_people` WHERE `plan_id` IN (OLD.`id`, NEW.`id`); INSERT OR IGNORE INTO `visit_plan_people` (`person_id`, `plan_id`) SELECT NEW.`visitor_id`, NEW.`id` UNION SELECT j.`value`, NEW.`id` FROM json_each(NEW.`co_visitor_ids`) j; END;--> statement-breakpoint
INSERT OR IGNORE INTO `visit_plan_people` (`person_id`, `plan_id`) SELECT p.`visitor_id`, p.`id` FROM `visit_plans` p UNION SELECT j.`value`, p.`id` FROM `visit_plans` p, json_each(p.`co_visitor_ids`) j;
