import { eq, or, sql } from 'drizzle-orm';
import type { Db } from './index.js';
import { calendarYears, campaigns, people, type Campaign, type Person } from './schema.js';
import { withLoadedYears } from '../domain/calendar.js';
import type { CalendarYear } from '../domain/calendar-file.js';
import { parseCampaignDefinition, type CampaignDefinition } from '../domain/campaign.js';
import { VersionedCache } from './versioned-cache.js';

/** Queries shared by every feature. Async at the surface, as a PostgreSQL driver's would be (docs/beyond-one-machine.md). */

export class PeopleRepo {
  /** Every event starts by finding who sent it: prepared once. */
  private readonly withOpenId;

  constructor(private readonly db: Db) {
    this.withOpenId = db
      .select()
      .from(people)
      .where(eq(people.openId, sql.placeholder('openId')))
      .prepare();
  }

  async byOpenId(openId: string): Promise<Person | null> {
    return this.withOpenId.get({ openId }) ?? null;
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

/** The campaign as the rules read it: its definition with the loaded holiday years merged in. */
const activeCampaign = (row: Campaign, loaded: CalendarYear[]): ActiveCampaign => ({
  row,
  def: withLoadedYears(parseCampaignDefinition(row.definition, `campaign ${row.id}`), loaded),
});

export class CampaignRepo {
  /**
   * Campaigns as last read, kept until a campaign or a calendar year changes:
   * every card click reads its campaign, and reading and validating the
   * definition again each time was a tenth of a visit submit's cost. The same
   * objects come back while nothing changes, so the caches keyed on a
   * definition (working days, quota periods) last across requests.
   */
  private readonly cache: VersionedCache<'all', ActiveCampaign[]>;

  constructor(private readonly db: Db) {
    this.cache = new VersionedCache(db, 'campaigns');
  }

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
    return (await this.all()).find((c) => c.row.id === id) ?? null;
  }

  /** Every campaign (a school runs one or two at a time), read again only after one or a calendar year changed. */
  async all(): Promise<ActiveCampaign[]> {
    const all = this.cache.get('all', () => {
      const loaded = this.loadedYears();
      return this.db
        .select()
        .from(campaigns)
        .all()
        .map((row) => activeCampaign(row, loaded));
    });
    return [...all];
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
