import type { Clock } from '../clock.js';
import { isRunning } from '../domain/campaign.js';
import type { Db } from '../db/index.js';
import type { ActiveCampaign, CampaignRepo, PeopleRepo } from '../db/repos.js';
import type { LedgerItem, Person } from '../db/schema.js';
import type { CalendarEventBody } from '../feishu/api.js';
import type { OutboundMessage } from '../feishu/outbox.js';
import type { Logger } from '../logger.js';
import type { CoverageStanding } from '../domain/quotas.js';

/** What a feature may use: ports, never the SDK or express. */
export interface FeatureDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  people: PeopleRepo;
  campaigns: CampaignRepo;
  send(messages: OutboundMessage | OutboundMessage[]): Promise<number>;
  /** Fallback branch group when a campaign names none (BRANCH_CHAT_ID). */
  defaultBranchChatId?: string;
  /** Files people send the bot; absent where nothing downloads (the CLI). */
  media?: MediaPort;
  /** Files the bot sends (exports); absent where nothing uploads (the CLI). */
  files?: FilePort;
  /** The app's Feishu Calendar; absent where nothing is scheduled (the CLI). */
  calendar?: CalendarPort;
}

/** Events on the app's own calendar (日历 v4); each call rejects with a FeishuApiError. */
export interface CalendarPort {
  primaryCalendarId(): Promise<string>;
  createEvent(calendarId: string, e: CalendarEventBody, idempotencyKey: string): Promise<string>;
  patchEvent(calendarId: string, eventId: string, e: CalendarEventBody): Promise<void>;
  deleteEvent(calendarId: string, eventId: string): Promise<void>;
  addEventAttendees(calendarId: string, eventId: string, openIds: string[]): Promise<void>;
}

/** Uploads a file through Feishu's file API, to send it as a `file` message. */
export interface FilePort {
  /** Resolves to the file_key; rejects with a FeishuApiError. `type`: `xls` for workbooks, `stream` for anything else (a .zip). */
  upload(fileName: string, bytes: Buffer, type: 'xls' | 'stream'): Promise<string>;
  /** The largest file Feishu takes (30 MB). */
  maxBytes: number;
}

/** Downloads what a user sent through Feishu's message-resource API, and where photos are kept. */
export interface MediaPort {
  /** Rejects with a FeishuApiError (its `retryable` says whether trying again can help). */
  download(messageId: string, key: string, type: 'image' | 'file'): Promise<Buffer>;
  /** The directory photos are stored under, by content hash. */
  photoDir: string;
}

/**
 * A weekly form someone has not filed (a zone report past its deadline, this
 * week's dorm check), for /谁没交 and /催办; the daily reminders job handles
 * the termly forms and the quotas.
 */
export interface WeeklyGap {
  /** Who should file it now: the holder, or their substitute while they are away. */
  person: { id: number; name: string; openId: string | null };
  /** Stable for the gap, part of the chase's dedupe key. */
  key: string;
  /** One line of /谁没交, after the person's name. */
  line: string;
  /** The reminder, with a button that opens the form. */
  card: object;
}

export type WeeklyGaps = (c: ActiveCampaign, now: Date) => Promise<WeeklyGap[]>;

/** Opens the form an obligation is about, pre-filled; supplied by the forms feature. */
export interface Openers {
  zoneReport(campaignId: string, zoneId: number, weekNo: number): object;
  dormRecord(campaignId: string, dormId: number): object;
  studentDay(campaignId: string, n: number): object;
  reflection(campaignId: string): object;
  story(campaignId: string): object;
  visits(campaignId: string): object;
  suggestion(campaignId: string): object;
  suggestionList(campaignId: string): object;
  visitRecord(recordId: number): object;
  /** The visit record of a planned visit, pre-filled from the plan (its day, mode and co-visitors). */
  plannedVisit(campaignId: string, targetId: number, planId: number): object;
}

/**
 * What features give one another, by name. A feature declares what it needs
 * and what it provides (see defineFeature); a need that no feature in the list
 * provides stops the bot at start, and a provider must supply what it declared.
 */
export interface Provided {
  /** Sends each newly opened ledger item's card to its owner (the ledger feature); whoever raises items announces them. */
  announceLedger(items: LedgerItem[]): Promise<unknown>;
  /** Card values that open each form pre-filled (the forms feature). */
  openers: Openers;
  /** The weekly forms' gaps, for /谁没交 and /催办 (the forms feature). */
  weeklyGaps: WeeklyGaps[];
  /** Updates a record's card where its author sees it, once a photo attached to it (the forms feature). */
  refreshRecordCard(recordId: number): Promise<void>;
  /** Planned visits, for /进度 and the claim list (the planning feature). */
  visitPlans: VisitPlans;
  /**
   * Where each of the campaign's coverage rules stands over the term that contains `asOf`, as of that day, with every
   * visit filed so far (the digest feature, which keeps the counts per class between asks).
   */
  termStandings(c: ActiveCampaign, asOf: string): Promise<CoverageStanding[]>;
  /** 家长和师生反映最多的 of the month so far, as a card for an admin; null when nothing was said (the themes feature). */
  familyThemes(c: ActiveCampaign, now: Date): Promise<object | null>;
}

/** What /进度 and the claim list show of planned visits. */
export interface VisitPlans {
  /** The card value of a button that plans a visit to the target. */
  planValue(campaignId: string, targetId: number): object;
  /** /进度's block: the person's coming planned visits, and the way to plan one. */
  progressBlocks(c: ActiveCampaign, person: Person): Promise<object[]>;
}

/** The group a campaign's group messages go to: its own, else BRANCH_CHAT_ID. */
export const branchChatOf = (deps: FeatureDeps, c: ActiveCampaign): string | undefined => c.def.branchChatId ?? deps.defaultBranchChatId;

/** The campaign running at `now` (the first whose window contains it), else the newest one. */
export const currentCampaign = (all: ActiveCampaign[], now: Date): ActiveCampaign | undefined => all.find((c) => isRunning(c.def, now)) ?? all.at(-1);
