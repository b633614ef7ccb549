ALTER TABLE `records` ADD `visit_mode` text;--> statement-breakpoint
ALTER TABLE `records` ADD `visit_place` text;--> statement-breakpoint
CREATE INDEX `records_campaign_form_idx` ON `records` (`campaign_id`,`form`);--> statement-breakpoint
-- Visits filed before these columns existed: copy mode and place out of the stored form data.
UPDATE `records` SET `visit_mode` = json_extract(`data`, '$.mode'), `visit_place` = json_extract(`data`, '$.place') WHERE `form` = 'visit';
