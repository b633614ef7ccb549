ALTER TABLE `outbox` ADD `receiver_key` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `outbox` ADD `priority` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
UPDATE `outbox` SET `receiver_key` = coalesce(`receive_id`, 'msg:' || `target_message_id`);--> statement-breakpoint
CREATE INDEX `outbox_claim_idx` ON `outbox` (`priority`,`id`) WHERE status in ('pending', 'sending');--> statement-breakpoint
CREATE INDEX `outbox_receiver_open_idx` ON `outbox` (`receiver_key`,`id`) WHERE status in ('pending', 'sending');