import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text, uniqueIndex, index } from 'drizzle-orm/sqlite-core';

/**
 * Storage schema, the single source of stored types. Instants are epoch
 * milliseconds (UTC); calendar dates are 'YYYY-MM-DD' in the campaign's time zone.
 */

const createdAt = () => integer('created_at', { mode: 'timestamp_ms' }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

export const campaigns = sqliteTable('campaigns', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  timezone: text('timezone').notNull(),
  startsOn: text('starts_on').notNull(),
  endsOn: text('ends_on').notNull(),
  branchChatId: text('branch_chat_id'),
  /** The validated campaign definition (JSON), so running jobs never re-read the file. */
  definition: text('definition', { mode: 'json' }).notNull(),
  createdAt: createdAt(),
});

export const people = sqliteTable(
  'people',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    openId: text('open_id').unique(),
    name: text('name').notNull(),
    mobile: text('mobile'),
    email: text('email'),
    roles: text('roles', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    department: text('department'),
    createdAt: createdAt(),
  },
  (t) => [index('people_name_idx').on(t.name)],
);

export const zones = sqliteTable(
  'zones',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id').notNull().references(() => campaigns.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    ownerId: integer('owner_id').references(() => people.id),
    linkedClass: text('linked_class'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('zones_campaign_name_uq').on(t.campaignId, t.name)],
);

/** 附件二 环境责任区报表: one row per zone and campaign week; edits keep history in record_revisions. */
export const zoneReports = sqliteTable(
  'zone_reports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    zoneId: integer('zone_id').notNull().references(() => zones.id, { onDelete: 'cascade' }),
    weekNo: integer('week_no').notNull(),
    reporterId: integer('reporter_id').notNull().references(() => people.id),
    overallState: text('overall_state').notNull(),
    studentTalks: text('student_talks').notNull(),
    problems: text('problems').notNull(),
    remarks: text('remarks').notNull(),
    submittedAt: integer('submitted_at', { mode: 'timestamp_ms' }).notNull(),
    late: integer('late', { mode: 'boolean' }).notNull(),
    revision: integer('revision').notNull().default(1),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('zone_reports_zone_week_uq').on(t.zoneId, t.weekNo)],
);

/** Every saved version of any record, so an edit never loses what was there before. */
export const recordRevisions = sqliteTable(
  'record_revisions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    recordType: text('record_type').notNull(),
    recordId: integer('record_id').notNull(),
    revision: integer('revision').notNull(),
    data: text('data', { mode: 'json' }).notNull(),
    authorId: integer('author_id').references(() => people.id),
    recordedAt: integer('recorded_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('record_revisions_uq').on(t.recordType, t.recordId, t.revision)],
);

/** Feishu re-delivers events for hours; each event_id (or message_id) is handled once. */
export const inboundEvents = sqliteTable('inbound_events', {
  eventKey: text('event_key').primaryKey(),
  eventType: text('event_type').notNull(),
  receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
});

export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/**
 * Every outbound message is written here before it is sent. `dedupeKey` names the
 * business fact ("zone report card for zone 3, week 5"), so deciding twice sends once;
 * `uuid` is Feishu's own idempotency key, so a crash after sending but before
 * marking the row as sent does not send twice either.
 */
export const outbox = sqliteTable(
  'outbox',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    dedupeKey: text('dedupe_key').notNull().unique(),
    operation: text('operation', { enum: ['send', 'reply', 'patch'] }).notNull(),
    receiveIdType: text('receive_id_type', { enum: ['open_id', 'chat_id'] }),
    receiveId: text('receive_id'),
    targetMessageId: text('target_message_id'),
    msgType: text('msg_type').notNull(),
    content: text('content').notNull(),
    uuid: text('uuid').notNull(),
    purpose: text('purpose').notNull(),
    status: text('status', { enum: OUTBOX_STATUSES }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }).notNull(),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    lastError: text('last_error'),
    feishuMessageId: text('feishu_message_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('outbox_due_idx').on(t.status, t.nextAttemptAt)],
);

export type Campaign = typeof campaigns.$inferSelect;
export type Person = typeof people.$inferSelect;
export type Zone = typeof zones.$inferSelect;
export type ZoneReport = typeof zoneReports.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
