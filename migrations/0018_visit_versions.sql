ALTER TABLE `data_versions` ADD `latest` integer;--> statement-breakpoint
CREATE INDEX `records_visit_target_idx` ON `records` (`campaign_id`,`form`,`subject_id`,`occurred_on`,`submitted_at`,`visit_mode`,`visit_place`);--> statement-breakpoint
INSERT INTO `data_versions` (`name`, `version`, `latest`) VALUES ('visits', 0, max(COALESCE((SELECT MAX(`submitted_at`) FROM `records`), 0), COALESCE((SELECT MAX(`received_at`) FROM `photos`), 0)));--> statement-breakpoint
CREATE TRIGGER `records_insert_visits_version` AFTER INSERT ON `records` BEGIN UPDATE `data_versions` SET `version` = `version` + 1, `latest` = max(COALESCE(`latest`, 0), NEW.`submitted_at`) WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `records_update_visits_version` AFTER UPDATE ON `records` BEGIN UPDATE `data_versions` SET `version` = `version` + 1, `latest` = max(COALESCE(`latest`, 0), NEW.`submitted_at`) WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `records_delete_visits_version` AFTER DELETE ON `records` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `record_visitors_insert_visits_version` AFTER INSERT ON `record_visitors` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `record_visitors_update_visits_version` AFTER UPDATE ON `record_visitors` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `record_visitors_delete_visits_version` AFTER DELETE ON `record_visitors` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `photos_insert_visits_version` AFTER INSERT ON `photos` BEGIN UPDATE `data_versions` SET `version` = `version` + 1, `latest` = max(COALESCE(`latest`, 0), NEW.`received_at`) WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `photos_update_visits_version` AFTER UPDATE ON `photos` BEGIN UPDATE `data_versions` SET `version` = `version` + 1, `latest` = max(COALESCE(`latest`, 0), NEW.`received_at`) WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `photos_delete_visits_version` AFTER DELETE ON `photos` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'visits'; END;--> statement-breakpoint
CREATE TRIGGER `targets_insert_version` AFTER INSERT ON `targets` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` IN ('visits', 'targets'); END;--> statement-breakpoint
CREATE TRIGGER `targets_update_version` AFTER UPDATE ON `targets` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` IN ('visits', 'targets'); END;--> statement-breakpoint
CREATE TRIGGER `targets_delete_version` AFTER DELETE ON `targets` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` IN ('visits', 'targets'); END;--> statement-breakpoint
INSERT INTO `data_versions` (`name`, `version`) VALUES ('ledger', 0), ('targets', 0);--> statement-breakpoint
CREATE TRIGGER `ledger_items_insert_version` AFTER INSERT ON `ledger_items` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'ledger'; END;--> statement-breakpoint
CREATE TRIGGER `ledger_items_update_version` AFTER UPDATE ON `ledger_items` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'ledger'; END;--> statement-breakpoint
CREATE TRIGGER `ledger_items_delete_version` AFTER DELETE ON `ledger_items` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'ledger'; END;
