CREATE TABLE `calendar_years` (
	`year` integer PRIMARY KEY NOT NULL,
	`holidays` text NOT NULL,
	`workdays` text NOT NULL,
	`source` text NOT NULL,
	`loaded_at` integer NOT NULL
);
