CREATE TABLE `data_versions` (
	`name` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 0 NOT NULL
);--> statement-breakpoint
INSERT INTO `data_versions` (`name`, `version`) VALUES ('campaigns', 0), ('people', 0);--> statement-breakpoint
CREATE TRIGGER `campaigns_insert_version` AFTER INSERT ON `campaigns` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'campaigns'; END;--> statement-breakpoint
CREATE TRIGGER `campaigns_update_version` AFTER UPDATE ON `campaigns` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'campaigns'; END;--> statement-breakpoint
CREATE TRIGGER `campaigns_delete_version` AFTER DELETE ON `campaigns` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'campaigns'; END;--> statement-breakpoint
CREATE TRIGGER `calendar_years_insert_version` AFTER INSERT ON `calendar_years` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'campaigns'; END;--> statement-breakpoint
CREATE TRIGGER `calendar_years_update_version` AFTER UPDATE ON `calendar_years` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'campaigns'; END;--> statement-breakpoint
CREATE TRIGGER `calendar_years_delete_version` AFTER DELETE ON `calendar_years` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'campaigns'; END;--> statement-breakpoint
CREATE TRIGGER `people_insert_version` AFTER INSERT ON `people` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'people'; END;--> statement-breakpoint
CREATE TRIGGER `people_update_version` AFTER UPDATE ON `people` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'people'; END;--> statement-breakpoint
CREATE TRIGGER `people_delete_version` AFTER DELETE ON `people` BEGIN UPDATE `data_versions` SET `version` = `version` + 1 WHERE `name` = 'people'; END;