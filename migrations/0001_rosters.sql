CREATE TABLE `assignments` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` integer NOT NULL,
	`person_id` integer NOT NULL,
	`via` text NOT NULL,
	`assigned_by` integer,
	`started_at` integer NOT NULL,
	`ended_at` integer,
	`end_reason` text,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`assigned_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `assignments_single_owner_uq` ON `assignments` (`subject_type`,`subject_id`) WHERE ended_at IS NULL AND subject_type <> 'dorm';--> statement-breakpoint
CREATE UNIQUE INDEX `assignments_current_uq` ON `assignments` (`subject_type`,`subject_id`,`person_id`) WHERE ended_at IS NULL;--> statement-breakpoint
CREATE INDEX `assignments_person_idx` ON `assignments` (`person_id`,`subject_type`);--> statement-breakpoint
CREATE TABLE `dorms` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`building` text NOT NULL,
	`room` text NOT NULL,
	`head_name` text,
	`head_class` text,
	`headcount` integer,
	`members` text DEFAULT '[]' NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dorms_campaign_room_uq` ON `dorms` (`campaign_id`,`building`,`room`);--> statement-breakpoint
CREATE TABLE `school_classes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`name` text NOT NULL,
	`grade` integer,
	`student_count` integer,
	`interning` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `school_classes_campaign_name_uq` ON `school_classes` (`campaign_id`,`name`);--> statement-breakpoint
CREATE TABLE `targets` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`natural_key` text NOT NULL,
	`kind` text NOT NULL,
	`name` text NOT NULL,
	`class_name` text,
	`parent_name` text,
	`phone` text,
	`address` text,
	`enterprise` text,
	`category` text,
	`sub_kind` text,
	`reason` text,
	`note` text,
	`status` text DEFAULT 'open' NOT NULL,
	`nominated_by` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`nominated_by`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `targets_campaign_key_uq` ON `targets` (`campaign_id`,`natural_key`);--> statement-breakpoint
CREATE INDEX `targets_status_idx` ON `targets` (`campaign_id`,`status`);--> statement-breakpoint
-- Zone owners move to assignments, which keep the history of reassignments.
INSERT INTO `assignments`("campaign_id", "subject_type", "subject_id", "person_id", "via", "started_at") SELECT "campaign_id", 'zone', "id", "owner_id", 'import', "created_at" FROM `zones` WHERE "owner_id" IS NOT NULL;--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_zones` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`campaign_id` text NOT NULL,
	`name` text NOT NULL,
	`linked_class` text,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`campaign_id`) REFERENCES `campaigns`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_zones`("id", "campaign_id", "name", "linked_class", "created_at") SELECT "id", "campaign_id", "name", "linked_class", "created_at" FROM `zones`;--> statement-breakpoint
DROP TABLE `zones`;--> statement-breakpoint
ALTER TABLE `__new_zones` RENAME TO `zones`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE UNIQUE INDEX `zones_campaign_name_uq` ON `zones` (`campaign_id`,`name`);--> statement-breakpoint
ALTER TABLE `people` ADD `classes_taught` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `people` ADD `class_led` text;--> statement-breakpoint
CREATE UNIQUE INDEX `people_mobile_uq` ON `people` (`mobile`);--> statement-breakpoint
CREATE UNIQUE INDEX `people_email_uq` ON `people` (`email`);