ALTER TABLE `visit_firsts` ADD `seq` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `visit_firsts_seq_idx` ON `visit_firsts` (`campaign_id`,`span_start`,`span_end`,`seq`);--> statement-breakpoint
INSERT OR IGNORE INTO `data_versions` (`name`, `version`) VALUES ('firsts:dropped', 0);--> statement-breakpoint
DROP TRIGGER `visit_firsts_insert_version`;--> statement-breakpoint
CREATE TRIGGER `visit_firsts_insert_version` AFTER INSERT ON `visit_firsts` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'firsts'; UPDATE `visit_firsts` SET `seq` = (SELECT `version` FROM `data_versions` WHERE `name` = 'firsts') WHERE rowid = NEW.rowid; END;--> statement-breakpoint
DROP TRIGGER `visit_firsts_update_version`;--> statement-breakpoint
CREATE TRIGGER `visit_firsts_update_version` AFTER UPDATE OF `campaign_id`, `span_start`, `span_end`, `target_id`, `first_on`, `in_person_on`, `enterprise_on` ON `visit_firsts` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'firsts'; UPDATE `visit_firsts` SET `seq` = (SELECT `version` FROM `data_versions` WHERE `name` = 'firsts') WHERE rowid = NEW.rowid; END;--> statement-breakpoint
DROP TRIGGER `visit_firsts_delete_version`;--> statement-breakpoint
CREATE TRIGGER `visit_firsts_delete_version` AFTER DELETE ON `visit_firsts` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` IN ('firsts', 'firsts:dropped'); END;
