import { eq, or } from 'drizzle-orm';
import type { Db } from './index.js';
import { calendarYears, campaigns, people, type Campaign, type Person } from './schema.js';
import { withLoadedYears } from '../domain/calendar.js';
import type { CalendarYear } from '../domain/calendar-file.js';
import { parseCampaignDefinition, type CampaignDefinition } from '../domain/campaign.js';

/** Queries shared by every feature. Async at the surface, as a PostgreSQL driver's would be (docs/beyond-one-machine.md). */

export class PeopleRepo {
  constructor(private readonly db: Db) {}

  async byOpenId(openId: string): Promise<Person | null> {
    return this.db.select().from(people).where(eq(people.openId, openId)).get() ?? null;
  }

  async byId(id: number): Promise<Person | null> {
    return this.db.select().from(people).where(eq(people.id, id)).get() ?? null;
  }

  /** Everyone with this name, or with this (normalised) mobile. */
  async byNameOrMobile(name: string, mobile: string): Promise<Person[]> {
    return this.db
      .select()
      .from(people)
      .where(or(eq(people.name, name), eq(people.mobile, mobile)))
      .all();
  }

  async named(name: string): Promise<Person[]> {
    return this.db.select().from(people).where(eq(people.name, name)).all();
  }

  async all(): Promise<Person[]> {
    return this.db.select().from(people).all();
  }

  async admins(): Promise<Person[]> {
    return (await this.all()).filter((p) => p.roles.includes('admin'));
  }
}

export interface ActiveCampaign {
  row: Campaign;
  def: CampaignDefinition;
}

/**
 * Validated definitions by their stored text: every card click reads its
 * campaign, and validating the definition again each time was a tenth of a
 * visit submit's cost. Definitions are few and change rarely.
 */
const parsedDefinitions = new Map<string, CampaignDefinition>();

/**
 * The campaign as the rules read it: its definition with the loaded holiday
 * years merged in. Parsed once per version of both, and the same object
 * returned while neither changes, so the caches keyed on a definition
 * (working days, quota periods) last across requests.
 */
function parsedDefinition(row: { id: string; definition: unknown }, loaded: CalendarYear[]): CampaignDefinition {
  const key = `${JSON.stringify(row.definition)}\u0000${JSON.stringify(loaded)}`;
  let def = parsedDefinitions.get(key);
  if (!def) {
    def = withLoadedYears(parseCampaignDefinition(row.definition, `campaign ${row.id}`), loaded);
    if (parsedDefinitions.size >= 32) parsedDefinitions.clear();
    parsedDefinitions.set(key, def);
  }
  return def;
}

export class CampaignRepo {
  constructor(private readonly db: Db) {}

  async save(def: CampaignDefinition): Promise<void> {
    const values = {
      id: def.id,
      name: def.name,
      timezone: def.timezone,
      startsOn: def.window.start,
      endsOn: def.window.end,
      branchChatId: def.branchChatId ?? null,
      definition: def,
    };
    this.db.insert(campaigns).values(values).onConflictDoUpdate({ target: campaigns.id, set: values }).run();
  }

  async get(id: string): Promise<ActiveCampaign | null> {
    const row = this.db.select().from(campaigns).where(eq(campaigns.id, id)).get();
    return row ? { row, def: parsedDefinition(row, this.loadedYears()) } : null;
  }

  async all(): Promise<ActiveCampaign[]> {
    const loaded = this.loadedYears();
    return this.db
      .select()
      .from(campaigns)
      .all()
      .map((row) => ({ row, def: parsedDefinition(row, loaded) }));
  }

  /** Years loaded with `zoufang calendar load`: every campaign read carries their holidays and 调休. */
  loadedYears(): CalendarYear[] {
    return this.db.select({ year: calendarYears.year, holidays: calendarYears.holidays, workdays: calendarYears.workdays }).from(calendarYears).all();
  }

  /** Stores a year's holidays and 调休, replacing that year's earlier file. */
  async saveYear(y: CalendarYear, source: string, at: Date): Promise<void> {
    const values = { year: y.year, holidays: y.holidays, workdays: y.workdays, source, loadedAt: at };
    this.db.insert(calendarYears).values(values).onConflictDoUpdate({ target: calendarYears.year, set: values }).run();
  }
}
