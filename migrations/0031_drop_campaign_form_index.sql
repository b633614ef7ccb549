-- No query the bot runs chooses this index: those naming a campaign and a form use records_visit_day_idx or
-- records_visit_target_idx, which begin with the same two columns, or a narrower one. It was one more page written
-- by every record inserted.
DROP INDEX `records_campaign_form_idx`;
