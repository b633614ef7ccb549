-- The weekly zone report (附件二) becomes a record like every other form: one record per zone and
-- campaign week (period `w<week>`), its fields in `data` under the card's input names, its history in
-- record_revisions, and the ledger items its problems raised linked to it.
--
-- occurred_on is the local day of the first submission. SQLite knows no named time zones: China
-- Standard Time (every campaign's zone so far) is UTC+8 all year, UTC is UTC.
INSERT INTO `records` (`campaign_id`, `form`, `subject_type`, `subject_id`, `period_key`, `author_id`, `occurred_on`, `data`, `submitted_at`, `late`, `revision`, `updated_at`)
SELECT z.`campaign_id`, 'zone-report', 'zone', r.`zone_id`, 'w' || r.`week_no`, r.`reporter_id`,
  date(r.`submitted_at` / 1000, 'unixepoch', CASE c.`timezone` WHEN 'UTC' THEN '+0 hours' ELSE '+8 hours' END),
  json_object('overall_state', r.`overall_state`, 'student_talks', r.`student_talks`, 'problems', r.`problems`, 'remarks', r.`remarks`),
  r.`submitted_at`, r.`late`, r.`revision`, r.`updated_at`
FROM `zone_reports` r
JOIN `zones` z ON z.`id` = r.`zone_id`
JOIN `campaigns` c ON c.`id` = z.`campaign_id`
ORDER BY r.`id`;--> statement-breakpoint
INSERT INTO `record_visitors` (`record_id`, `person_id`, `role`)
SELECT `id`, `author_id`, 'author' FROM `records` WHERE `form` = 'zone-report';--> statement-breakpoint
-- Every earlier version moves along: re-keyed to the new record, its fields named as the record's are.
UPDATE `record_revisions` SET
  `record_id` = (
    SELECT n.`id` FROM `zone_reports` r
    JOIN `records` n ON n.`form` = 'zone-report' AND n.`subject_type` = 'zone' AND n.`subject_id` = r.`zone_id` AND n.`period_key` = 'w' || r.`week_no`
    WHERE r.`id` = `record_revisions`.`record_id`
  ),
  `data` = json_object(
    'occurredOn', (
      SELECT n.`occurred_on` FROM `zone_reports` r
      JOIN `records` n ON n.`form` = 'zone-report' AND n.`subject_type` = 'zone' AND n.`subject_id` = r.`zone_id` AND n.`period_key` = 'w' || r.`week_no`
      WHERE r.`id` = `record_revisions`.`record_id`
    ),
    'overall_state', json_extract(`data`, '$.overallState'),
    'student_talks', json_extract(`data`, '$.studentTalks'),
    'problems', json_extract(`data`, '$.problems'),
    'remarks', json_extract(`data`, '$.remarks'),
    'coVisitorIds', json('[]')
  ),
  `record_type` = 'zone-report'
WHERE `record_type` = 'zone_report' AND `record_id` IN (SELECT `id` FROM `zone_reports`);--> statement-breakpoint
-- The items a report's problems raised named only their zone and week in their text ("田径场（第3周）：…");
-- linked to the report, a re-submission with the same problem finds them instead of opening a second one.
UPDATE `ledger_items` SET `record_id` = (
  SELECT n.`id` FROM `records` n JOIN `zones` z ON z.`id` = n.`subject_id`
  WHERE n.`form` = 'zone-report' AND n.`subject_type` = 'zone' AND n.`campaign_id` = `ledger_items`.`campaign_id`
    AND substr(`ledger_items`.`text`, 1, length(z.`name` || '（第' || substr(n.`period_key`, 2) || '周）：')) = z.`name` || '（第' || substr(n.`period_key`, 2) || '周）：'
  ORDER BY length(z.`name`) DESC
  LIMIT 1
)
WHERE `source` = 'zone-report' AND `record_id` IS NULL;--> statement-breakpoint
DROP TABLE `zone_reports`;
