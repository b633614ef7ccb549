import { sql } from 'drizzle-orm';
import { integer, primaryKey, sqliteTable, text, uniqueIndex, index } from 'drizzle-orm/sqlite-core';

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
    /** Classes the person teaches, the class they lead as head teacher (班主任), and the one they deputise for (副班主任). */
    classesTaught: text('classes_taught', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    classLed: text('class_led'),
    classDeputy: text('class_deputy'),
    /** The day they joined the campaign (local date); quotas for the month they join are prorated from it. Null: from the start. */
    joinedOn: text('joined_on'),
    createdAt: createdAt(),
  },
  // Mobile and email are the roster's natural keys (normalised before storing).
  (t) => [index('people_name_idx').on(t.name), uniqueIndex('people_mobile_uq').on(t.mobile), uniqueIndex('people_email_uq').on(t.email)],
);

export const schoolClasses = sqliteTable(
  'school_classes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    grade: integer('grade'),
    studentCount: integer('student_count'),
    /** Seed 000: third-year classes are out on internships and are visited at their enterprise. */
    interning: integer('interning', { mode: 'boolean' }).notNull().default(false),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('school_classes_campaign_name_uq').on(t.campaignId, t.name)],
);

export interface DormMember {
  name: string;
  className: string;
}

/** A dorm room (宿舍) and what 附件一 records about its residents. */
export const dorms = sqliteTable(
  'dorms',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    building: text('building').notNull(),
    room: text('room').notNull(),
    headName: text('head_name'),
    headClass: text('head_class'),
    headcount: integer('headcount'),
    members: text('members', { mode: 'json' }).$type<DormMember[]>().notNull().default(sql`'[]'`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('dorms_campaign_room_uq').on(t.campaignId, t.building, t.room)],
);

export const zones = sqliteTable(
  'zones',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    linkedClass: text('linked_class'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('zones_campaign_name_uq').on(t.campaignId, t.name)],
);

export const TARGET_STATUSES = ['proposed', 'open', 'withdrawn'] as const;
export type TargetStatus = (typeof TARGET_STATUSES)[number];

/**
 * A visit target (走访对象). Family details (parent, phone, address, the category's
 * reason) are private: only the assigned visitor and admins ever see them.
 */
export const targets = sqliteTable(
  'targets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    /** `student:<class>:<name>` for students, `<kind>:<name>` otherwise: the roster's upsert key. */
    naturalKey: text('natural_key').notNull(),
    kind: text('kind').notNull(),
    name: text('name').notNull(),
    className: text('class_name'),
    parentName: text('parent_name'),
    phone: text('phone'),
    address: text('address'),
    enterprise: text('enterprise'),
    category: text('category'),
    subKind: text('sub_kind'),
    reason: text('reason'),
    note: text('note'),
    /** Nominations wait as `proposed` until an admin confirms them; only `open` targets can be claimed. */
    status: text('status', { enum: TARGET_STATUSES }).notNull().default('open'),
    nominatedBy: integer('nominated_by').references(() => people.id),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('targets_campaign_key_uq').on(t.campaignId, t.naturalKey),
    index('targets_status_idx').on(t.campaignId, t.status),
    // A class's students, for its head teacher's /进度 and its teachers' /走访 (seed 002's shared targets).
    index('targets_class_idx').on(t.campaignId, t.className),
  ],
);

export const SUBJECT_TYPES = ['dorm', 'zone', 'target'] as const;
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/**
 * Who is responsible for a dorm, zone or target, with history: a reassignment
 * (leave, substitution) ends the current row and starts a new one. Zones and
 * targets have one current owner; a dorm may have several teachers.
 */
export const assignments = sqliteTable(
  'assignments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    subjectType: text('subject_type', { enum: SUBJECT_TYPES }).notNull(),
    subjectId: integer('subject_id').notNull(),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    via: text('via', { enum: ['import', 'claim', 'admin'] }).notNull(),
    assignedBy: integer('assigned_by').references(() => people.id),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    endedAt: integer('ended_at', { mode: 'timestamp_ms' }),
    endReason: text('end_reason'),
  },
  (t) => [
    // The database itself refuses a second current owner, so two simultaneous claims cannot both win.
    uniqueIndex('assignments_single_owner_uq').on(t.subjectType, t.subjectId).where(sql`ended_at IS NULL AND subject_type <> 'dorm'`),
    uniqueIndex('assignments_current_uq').on(t.subjectType, t.subjectId, t.personId).where(sql`ended_at IS NULL`),
    // What a person holds now, in the order taken, from the index alone: every /进度 asks it (dorms, targets), and a
    // teacher's assignment rows lie wherever the import or the claim put them, a page read each.
    index('assignments_person_idx').on(t.personId, t.subjectType, t.endedAt, t.campaignId, t.startedAt, t.subjectId),
  ],
);

/** The forms of the campaigns (附件一, 二, 三, 五, 心得, 故事, 献一计, and the dorm checklist). */
export const RECORD_FORMS = ['dorm-check', 'dorm-record', 'zone-report', 'student-day', 'visit', 'reflection', 'story', 'suggestion'] as const;
export type RecordForm = (typeof RECORD_FORMS)[number];

/** What a record is about: a dorm, a zone (its weekly report), a visit target, or the teacher themself (student day, reflection, story, suggestion). */
export const RECORD_SUBJECTS = ['dorm', 'zone', 'target', 'person'] as const;
export type RecordSubject = (typeof RECORD_SUBJECTS)[number];

/**
 * One filed form. `data` holds the form's fields as its zod schema outputs them
 * (the form's fields, src/records/fields.ts); columns hold what schedules, quotas and exports query on.
 * Edits bump `revision` and keep every version in record_revisions.
 */
export const records = sqliteTable(
  'records',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    form: text('form', { enum: RECORD_FORMS }).notNull(),
    subjectType: text('subject_type', { enum: RECORD_SUBJECTS }).notNull(),
    subjectId: integer('subject_id').notNull(),
    /**
     * The period a record answers: `wk-2026-11-16` for a dorm check (the week's Monday), `w3` for the
     * zone report of campaign week 3 (时间：第 3 周), `day-2` for a teacher's second student day, a term's key
     * (`term-1`) for the other once-per-term forms; null where
     * records repeat freely (visits, suggestions).
     */
    periodKey: text('period_key'),
    authorId: integer('author_id')
      .notNull()
      .references(() => people.id),
    /** The day it happened (visit date, student day, check day), local 'YYYY-MM-DD'. */
    occurredOn: text('occurred_on').notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    submittedAt: integer('submitted_at', { mode: 'timestamp_ms' }).notNull(),
    late: integer('late', { mode: 'boolean' }).notNull(),
    revision: integer('revision').notNull().default(1),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    /** The opened form a freely repeating record (a visit) came from, so submitting that form twice files it once. */
    submissionKey: text('submission_key'),
    /** A visit's mode and place, copied out of `data`: quotas and coverage read them for every visit of a district. */
    visitMode: text('visit_mode'),
    visitPlace: text('visit_place'),
    /** The Feishu message showing this record's card to its author, updated in place when a photo attaches; cleared while it shows an edit form. */
    cardMessageId: text('card_message_id'),
  },
  (t) => [
    // A periodic form is filed once per subject and period; a double submit edits, never duplicates.
    uniqueIndex('records_period_uq').on(t.campaignId, t.form, t.subjectType, t.subjectId, t.periodKey).where(sql`period_key IS NOT NULL`),
    uniqueIndex('records_submission_uq').on(t.submissionKey).where(sql`submission_key IS NOT NULL`),
    index('records_author_idx').on(t.authorId, t.form),
    index('records_subject_idx').on(t.subjectType, t.subjectId),
    // A campaign's records of a form are found by the two below, which begin with (campaign_id, form); an index of
    // those two columns alone (dropped by migration 0031) was one more page written by every card submit, in no plan.
    // A campaign's visits by day with what the schedule's aggregates read, so a period's GROUP BY never touches the rows (and their form data).
    index('records_visit_day_idx').on(t.campaignId, t.form, t.occurredOn, t.subjectId, t.submittedAt, t.visitMode, t.visitPlace, t.authorId),
    // The same by target: a term's first visit to each target read a page of targets at a time, each page its own rows only, no sort.
    index('records_visit_target_idx').on(t.campaignId, t.form, t.subjectId, t.occurredOn, t.submittedAt, t.visitMode, t.visitPlace),
    // In-person visits by author: the photos they still lack, counted for a district without reading its other visits
    // (and listed for one author, their targets too, without reading the rows).
    index('records_in_person_idx')
      .on(t.campaignId, t.authorId, t.occurredOn, t.submittedAt, t.subjectId)
      .where(sql`form = 'visit' AND visit_mode = 'in-person'`),
    // A visit by its id with what a visitor's first visits read (/进度 reads one teacher's through record_visitors):
    // the columns after the form data in the row, read from the row itself, cost a read of its overflow pages.
    index('records_visit_row_idx').on(t.id, t.campaignId, t.form, t.occurredOn, t.subjectId, t.submittedAt).where(sql`form = 'visit'`),
  ],
);

/** Everyone a visit counts for: the author and the co-visitors they named. */
export const recordVisitors = sqliteTable(
  'record_visitors',
  {
    recordId: integer('record_id')
      .notNull()
      .references(() => records.id, { onDelete: 'cascade' }),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    role: text('role', { enum: ['author', 'co-visitor'] }).notNull(),
    /** The record's occurred_on, kept by the triggers of migrations 0025 and 0026: a person's visits of a span found by day. */
    occurredOn: text('occurred_on'),
    /** A visit's target (its record's subject_id; null for the other forms), kept by the triggers of migration 0026. */
    targetId: integer('target_id'),
  },
  (t) => [
    uniqueIndex('record_visitors_uq').on(t.recordId, t.personId),
    // A person's visits of a span by the index alone: /进度 reads a teacher's month (a dozen), not their year (~150).
    index('record_visitors_person_day_idx').on(t.personId, t.occurredOn, t.recordId),
    // Who visited a student this term, a run of the index: a head teacher's /进度 reads a class's ~450 visitor rows so,
    // not each looked up by its record in the whole table (a page read apiece once other asks have left the cache).
    index('record_visitors_target_day_idx').on(t.targetId, t.occurredOn, t.personId).where(sql`target_id IS NOT NULL`),
  ],
);

export const PHOTO_STATUSES = ['pending', 'stored', 'failed'] as const;

/**
 * A photo a teacher sent the bot for a record. Downloaded through the message
 * resource API and kept on disk by content hash; `recordId` is null while it
 * waits for the record being filled.
 */
export const photos = sqliteTable(
  'photos',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    recordId: integer('record_id').references(() => records.id, { onDelete: 'set null' }),
    messageId: text('message_id').notNull(),
    imageKey: text('image_key').notNull(),
    status: text('status', { enum: PHOTO_STATUSES }).notNull().default('pending'),
    sha256: text('sha256'),
    /** Relative to the photo directory. */
    path: text('path'),
    contentType: text('content_type'),
    bytes: integer('bytes'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at', { mode: 'timestamp_ms' }),
    lastError: text('last_error'),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('photos_message_uq').on(t.messageId, t.imageKey), index('photos_record_idx').on(t.recordId)],
);

/** The form a teacher opened last and has not submitted yet: photos sent meanwhile belong to it. */
export const recordDrafts = sqliteTable(
  'record_drafts',
  {
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    form: text('form', { enum: RECORD_FORMS }).notNull(),
    subjectType: text('subject_type', { enum: RECORD_SUBJECTS }).notNull(),
    subjectId: integer('subject_id').notNull(),
    /** Set when the open form edits an existing record. */
    recordId: integer('record_id'),
    openedAt: integer('opened_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('record_drafts_person_uq').on(t.personId)],
);

export const LEDGER_STATUSES = ['open', 'accepted', 'in-progress', 'resolved', 'closed'] as const;
export type LedgerStatus = (typeof LEDGER_STATUSES)[number];
export const LEDGER_RAISERS = ['parent', 'enterprise', 'teacher', 'student'] as const;
export type LedgerRaiser = (typeof LEDGER_RAISERS)[number];

/**
 * 走访台账 (附件六): an opinion, suggestion or problem that stays open until it is
 * solved and closed out (销号). The text may carry a parent's words, so it is
 * shown only to its owner and admins, never in a group.
 */
export const ledgerItems = sqliteTable(
  'ledger_items',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    /** The record it came from (null when opened by hand). */
    recordId: integer('record_id').references(() => records.id, { onDelete: 'set null' }),
    source: text('source', { enum: [...RECORD_FORMS, 'manual'] }).notNull(),
    raisedBy: text('raised_by', { enum: LEDGER_RAISERS }).notNull(),
    text: text('text').notNull(),
    category: text('category'),
    /** Null while the item waits in the admins' triage queue (待分派) for someone to be made responsible. */
    ownerId: integer('owner_id').references(() => people.id),
    createdBy: integer('created_by').references(() => people.id),
    dueOn: text('due_on'),
    status: text('status', { enum: LEDGER_STATUSES }).notNull().default('open'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    /** The owner's note when resolving; cleared when an admin sends it back or reopens it (history keeps every note). */
    resolution: text('resolution'),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    /** When it was closed out (销号): days to close are counted to here. */
    closedAt: integer('closed_at', { mode: 'timestamp_ms' }),
    /** When the admins were told it is overdue, so they are told once per due date. */
    escalatedAt: integer('escalated_at', { mode: 'timestamp_ms' }),
    /** `<owner id>:<due date>` the owner was last told is overdue, so each owner hears once per due date. */
    overdueNoticed: text('overdue_noticed'),
    /** The older item this one repeated and was merged into (并入): closed with it, its source listed on the older item. */
    mergedIntoId: integer('merged_into_id'),
  },
  (t) => [
    index('ledger_owner_idx').on(t.ownerId, t.status),
    index('ledger_campaign_idx').on(t.campaignId, t.status),
    index('ledger_record_idx').on(t.recordId),
    index('ledger_merged_idx').on(t.mergedIntoId),
  ],
);

export const LEDGER_EVENT_KINDS = [
  'assigned',
  'accepted',
  'started',
  'resolved',
  'transferred',
  'closed',
  'sent-back',
  'reopened',
  'escalated',
  'reworded',
  'merged',
] as const;
export type LedgerEventKind = (typeof LEDGER_EVENT_KINDS)[number];

/** A ledger item's history: every change of state or owner, with who made it and why. */
export const ledgerEvents = sqliteTable(
  'ledger_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    itemId: integer('item_id')
      .notNull()
      .references(() => ledgerItems.id, { onDelete: 'cascade' }),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    /** Null when the bot itself acted (an overdue item escalated to the admins). */
    actorId: integer('actor_id').references(() => people.id),
    kind: text('kind', { enum: LEDGER_EVENT_KINDS }).notNull(),
    fromStatus: text('from_status', { enum: LEDGER_STATUSES }),
    toStatus: text('to_status', { enum: LEDGER_STATUSES }),
    fromOwnerId: integer('from_owner_id').references(() => people.id),
    toOwnerId: integer('to_owner_id').references(() => people.id),
    /** A resolution note or a reason; may quote a parent, so shown to the owner and admins only. */
    note: text('note'),
  },
  (t) => [index('ledger_events_item_idx').on(t.itemId, t.at)],
);

export type LedgerEvent = typeof ledgerEvents.$inferSelect;

/**
 * A person away (sick leave, training, maternity leave …). No reminders reach
 * them on those days, quotas are prorated, and a substitute, when named,
 * receives and may file what they would have. The reason is not stored: it is
 * nobody's business but the admin who entered it.
 */
export const leaves = sqliteTable(
  'leaves',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    /** Local dates, inclusive. */
    startOn: text('start_on').notNull(),
    endOn: text('end_on').notNull(),
    substituteId: integer('substitute_id').references(() => people.id),
    createdBy: integer('created_by').references(() => people.id),
    createdAt: createdAt(),
  },
  (t) => [index('leaves_person_idx').on(t.personId, t.startOn)],
);

/** A reminder its recipient asked to hear again later — once per reminder. */
export const reminderSnoozes = sqliteTable(
  'reminder_snoozes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    personId: integer('person_id')
      .notNull()
      .references(() => people.id),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    /** The obligation and stage the reminder was about (`once:reflection:term-1:p12@before-7`). */
    reminderKey: text('reminder_key').notNull(),
    snoozedAt: integer('snoozed_at', { mode: 'timestamp_ms' }).notNull(),
    until: integer('until', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('reminder_snoozes_uq').on(t.personId, t.reminderKey), index('reminder_snoozes_until_idx').on(t.until)],
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

/** `unconfirmed`: held, an earlier attempt may have arrived too long ago for Feishu to de-duplicate a resend. */
export const OUTBOX_STATUSES = ['pending', 'sending', 'sent', 'failed', 'unconfirmed'] as const;
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
    /** Who receives a send or a reply (for a reply, the person of the direct chat or the group); null for a card update. */
    receiveId: text('receive_id'),
    /**
     * Whom Feishu's per-receiver limit counts this against and whose messages go
     * one at a time, in order: the receiver of a send or reply, `msg:<id>` for a card update.
     */
    receiverKey: text('receiver_key').notNull().default(''),
    /** 0: an answer to a person's own command or click, sent before 1: reminders, digests and other bulk. */
    priority: integer('priority').notNull().default(1),
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
    /** Business time of the first attempt that may have reached Feishu without our hearing back (a timeout, a 5xx). */
    uncertainSince: integer('uncertain_since', { mode: 'timestamp_ms' }),
    feishuMessageId: text('feishu_message_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    sentAt: integer('sent_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('outbox_due_idx').on(t.status, t.nextAttemptAt),
    index('outbox_feishu_message_idx').on(t.feishuMessageId),
    // Only the rows still to send: the claim walks them by priority, and looks up a receiver's earlier ones.
    index('outbox_claim_idx').on(t.priority, t.id).where(sql`status in ('pending', 'sending')`),
    index('outbox_receiver_open_idx').on(t.receiverKey, t.id).where(sql`status in ('pending', 'sending')`),
    // The digest's "reminded": a few purposes' sends over some weeks, not every message a term has sent. Status leads
    // so that SQLite, which keeps no statistics here, prefers it to outbox_due_idx (status alone).
    index('outbox_sent_idx').on(t.status, t.purpose, t.sentAt).where(sql`status = 'sent'`),
  ],
);

export type Campaign = typeof campaigns.$inferSelect;
export type Person = typeof people.$inferSelect;
export type Zone = typeof zones.$inferSelect;
export type SchoolClass = typeof schoolClasses.$inferSelect;
export type Dorm = typeof dorms.$inferSelect;
export type Target = typeof targets.$inferSelect;
export type Assignment = typeof assignments.$inferSelect;
export type OutboxRow = typeof outbox.$inferSelect;
export type RecordRow = typeof records.$inferSelect;
export type Photo = typeof photos.$inferSelect;
export type LedgerItem = typeof ledgerItems.$inferSelect;
export type Leave = typeof leaves.$inferSelect;

export const EXPORT_KINDS = ['school', 'district'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const EXPORT_OUTCOMES = ['running', 'done', 'failed', 'too-large'] as const;
export type ExportOutcome = (typeof EXPORT_OUTCOMES)[number];

/**
 * Every export asked for, who asked and what range it covered: the workbook
 * holds families' details, so the branch must be able to say where copies went.
 * Written when the export starts and completed when it ends, so a crash leaves a
 * `running` row rather than no trace. No foreign keys: the log outlives campaigns and people.
 */
export const exportAudits = sqliteTable(
  'export_audits',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The admin who asked; null when run from the command line. */
    actorId: integer('actor_id'),
    channel: text('channel', { enum: ['chat', 'cli'] }).notNull(),
    kind: text('kind', { enum: EXPORT_KINDS }).notNull(),
    /** Null for a district roll-up over every campaign. */
    campaignId: text('campaign_id'),
    /** The range asked for, local dates inclusive; null means unbounded. */
    fromOn: text('from_on'),
    toOn: text('to_on'),
    teacherId: integer('teacher_id'),
    /** Rows written per sheet name. */
    rowCounts: text('row_counts', { mode: 'json' }).$type<Record<string, number>>(),
    /** Files produced, with their size in bytes. */
    files: text('files', { mode: 'json' }).$type<{ name: string; bytes: number }[]>(),
    outcome: text('outcome', { enum: EXPORT_OUTCOMES }).notNull(),
    error: text('error'),
    requestedAt: integer('requested_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('export_audits_requested_idx').on(t.requestedAt)],
);

export type ExportAudit = typeof exportAudits.$inferSelect;

/**
 * A year's public holidays and 调休 loaded with `zoufang calendar load`, for a
 * year the holiday dataset does not know yet. Read with every campaign, under
 * the campaign's own dates.
 */
export const calendarYears = sqliteTable('calendar_years', {
  year: integer('year').primaryKey(),
  holidays: text('holidays', { mode: 'json' }).notNull().$type<{ date: string; name: string }[]>(),
  workdays: text('workdays', { mode: 'json' }).notNull().$type<{ date: string; name: string }[]>(),
  /** The file it came from, for the record. */
  source: text('source').notNull(),
  loadedAt: integer('loaded_at', { mode: 'timestamp_ms' }).notNull(),
});

export const VISIT_PLAN_STATUSES = ['planned', 'cancelled', 'done'] as const;
export type VisitPlanStatus = (typeof VISIT_PLAN_STATUSES)[number];

/**
 * A visit planned ahead (/约访): who goes, when and how. It counts toward no
 * quota; the record filed for it closes it (`done`). Its Feishu Calendar event
 * follows the plan: `calendarRevision` is the plan revision the event shows, so
 * a plan whose event lags behind (a failed call) is brought up to date later.
 */
export const visitPlans = sqliteTable(
  'visit_plans',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    campaignId: text('campaign_id')
      .notNull()
      .references(() => campaigns.id, { onDelete: 'cascade' }),
    targetId: integer('target_id')
      .notNull()
      .references(() => targets.id, { onDelete: 'cascade' }),
    visitorId: integer('visitor_id')
      .notNull()
      .references(() => people.id),
    coVisitorIds: text('co_visitor_ids', { mode: 'json' }).notNull().$type<number[]>(),
    /** A visit mode of the visit record: in-person, phone, invited. */
    mode: text('mode').notNull(),
    startsAt: integer('starts_at', { mode: 'timestamp_ms' }).notNull(),
    note: text('note'),
    /** The plan card's own key: the same card saved twice (a double click, a callback retried) is one plan. */
    submissionKey: text('submission_key').unique(),
    status: text('status', { enum: VISIT_PLAN_STATUSES }).notNull().default('planned'),
    /** Rises with every change a calendar event must follow (a new time, a cancellation). */
    revision: integer('revision').notNull().default(1),
    recordId: integer('record_id').references(() => records.id, { onDelete: 'set null' }),
    calendarId: text('calendar_id'),
    eventId: text('event_id'),
    calendarRevision: integer('calendar_revision').notNull().default(0),
    /** Feishu's code and message of the last calendar call that failed; null once the event is up to date. */
    calendarError: text('calendar_error'),
    createdAt: createdAt(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('visit_plans_campaign_idx').on(t.campaignId, t.status, t.startsAt),
    index('visit_plans_visitor_idx').on(t.visitorId, t.status),
    // Every visit submit closes the target's open plans (PlanRepo.closeWith).
    index('visit_plans_target_idx').on(t.targetId, t.status),
  ],
);

export type VisitPlan = typeof visitPlans.$inferSelect;

/**
 * Who each visit plan is for — its visitor and each co-visitor — kept by
 * triggers on visit_plans (migration 0030). /进度 lists the asker's open plans
 * from their own rows here; read from the plans, it went through every open
 * plan of the campaign and each one's co-visitor list. No key to people: a
 * co-visitor is named in the plan's list, which has none either.
 */
export const visitPlanPeople = sqliteTable(
  'visit_plan_people',
  {
    personId: integer('person_id').notNull(),
    planId: integer('plan_id')
      .notNull()
      .references(() => visitPlans.id, { onDelete: 'cascade' }),
  },
  (t) => [primaryKey({ columns: [t.personId, t.planId] }), index('visit_plan_people_plan_idx').on(t.planId)],
);

/**
 * What a cache of slowly changing tables checks before it trusts itself: one
 * counter per group of tables, raised by triggers (migration 0016) on every
 * insert, update and delete — by the bot, the CLI or a restore alike — so a
 * cached campaign definition or roster is never read stale.
 */
export const dataVersions = sqliteTable('data_versions', {
  name: text('name').primaryKey(),
  version: integer('version').notNull().default(0),
  /** The latest filing time (submitted_at, a photo's received_at) the counted rows carry: a cut-off past it sees them all. */
  latest: integer('latest'),
});

/**
 * The spans (a campaign's terms) whose first visit to each target is kept in
 * visit_firsts. Migration 0019 registers the terms of the campaigns it finds;
 * a span asked for later is registered when first asked, and its insert
 * fills it from the visits already filed.
 */
export const visitFirstSpans = sqliteTable(
  'visit_first_spans',
  {
    campaignId: text('campaign_id').notNull(),
    start: text('start').notNull(),
    end: text('end').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.start, t.end] })],
);

/**
 * Each target's first visit in a span (at all, in person, at the enterprise),
 * over every visit filed so far: kept by triggers on records (migration 0019)
 * through every insert, edit, re-dating, re-targeting and delete — by the bot,
 * an import or a restore alike — so that coverage reads a row per target, not
 * every visit of the term.
 */
export const visitFirsts = sqliteTable(
  'visit_firsts',
  {
    campaignId: text('campaign_id').notNull(),
    spanStart: text('span_start').notNull(),
    spanEnd: text('span_end').notNull(),
    targetId: integer('target_id').notNull(),
    firstOn: text('first_on').notNull(),
    inPersonOn: text('in_person_on'),
    enterpriseOn: text('enterprise_on'),
    /**
     * The `firsts` counter (data_versions) when the row was last written (migration 0024): what moved since a
     * digest last read is the rows past the counter it read then. A row deleted leaves nothing to find, so
     * deletes raise `firsts:dropped` as well.
     */
    seq: integer('seq').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.spanStart, t.spanEnd, t.targetId] }),
    index('visit_firsts_seq_idx').on(t.campaignId, t.spanStart, t.spanEnd, t.seq),
  ],
);

/**
 * Each in-person visit without a photo received or on its way (访问时的记录、拍照),
 * kept by triggers on records and photos (migration 0019) through a visit's
 * filing, edit and delete and a photo's arrival, failure and removal. With
 * the visit's day, filing time and target (migration 0027), so that an
 * author's oldest gaps, which /进度 names, are the first rows of their own
 * stretch of photo_gaps_author_order_idx: not a walk through the author's
 * in-person visits that looks up each one's photos until five are found.
 */
export const photoGaps = sqliteTable(
  'photo_gaps',
  {
    recordId: integer('record_id').primaryKey(),
    campaignId: text('campaign_id').notNull(),
    authorId: integer('author_id').notNull(),
    occurredOn: text('occurred_on').notNull(),
    submittedAt: integer('submitted_at').notNull(),
    subjectId: integer('subject_id').notNull(),
  },
  (t) => [index('photo_gaps_author_order_idx').on(t.campaignId, t.authorId, t.occurredOn, t.submittedAt, t.subjectId, t.recordId)],
);

/** photo_gaps counted per author (its triggers keep them; an author whose gaps are all filled stays, at 0). */
export const photoGapCounts = sqliteTable(
  'photo_gap_counts',
  {
    campaignId: text('campaign_id').notNull(),
    authorId: integer('author_id').notNull(),
    gaps: integer('gaps').notNull(),
  },
  (t) => [primaryKey({ columns: [t.campaignId, t.authorId] })],
);
