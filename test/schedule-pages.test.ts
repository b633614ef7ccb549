import { afterEach, expect, it } from 'vitest';
import { setHolders } from '../src/db/assignments.js';
import { CampaignRepo } from '../src/db/repos.js';
import { dorms, people } from '../src/db/schema.js';
import { obligationSpans, obligationsOf, type Obligation } from '../src/domain/obligations.js';
import { termOn } from '../src/domain/periods.js';
import { ScheduleFacts } from '../src/features/reminders/facts.js';
import { cst } from './helpers/harness.js';
import { routerHarness, type RouterSeam } from './helpers/router-harness.js';

/**
 * The reminders, /催办 and /谁没交 judge a page of people at a time, so a
 * district never sits in memory at once. Paged or whole, the obligations must
 * be the same, in the same order: a dorm's holders may be on other pages, and
 * each page must still name them.
 */

let seam: RouterSeam;
afterEach(() => seam?.close());

it('judges a page of people at a time exactly as the whole school at once, naming dorm holders from other pages', async () => {
  seam = await routerHarness({ at: cst('2026-12-28T10:00:00') });
  const seeded = (await new CampaignRepo(seam.db).all())[0]!;
  // With 附件一, each dorm's record is an obligation of its holders together.
  const c = { ...seeded, def: { ...seeded.def, tasks: { ...seeded.def.tasks, dormRecord: { enabled: true } } } };
  // A dorm cared for by the first and the last teacher: on the first page and the last.
  const ids = seam.db
    .select({ id: people.id })
    .from(people)
    .orderBy(people.id)
    .all()
    .map((p) => p.id);
  const dorm = seam.db.insert(dorms).values({ campaignId: c.row.id, building: '7号楼', room: '203' }).returning().get();
  setHolders(seam.db, c.row.id, 'dorm', dorm.id, [ids[0]!, ids.at(-1)!], { via: 'admin', at: cst('2026-11-10T09:00:00') });
  const today = '2026-12-28';
  const scope = { spans: obligationSpans(c.def, today), claimsTerm: termOn(c.def, today) };
  const facts = new ScheduleFacts(seam.db);
  const whole = await facts.everyone(c, scope);

  const paged: Obligation[] = [];
  let pages = 0;
  for await (const f of facts.pages(c, scope, 2)) {
    pages++;
    const mine = obligationsOf(c.def, f, today);
    paged.push(...mine);
    // Whoever a page's obligations remind is known to the page: their name, their Feishu id, whether they are away.
    for (const id of mine.flatMap((o) => o.personIds)) {
      expect(f.persons.get(id)?.name).toBeTruthy();
      expect(f.availability.has(id)).toBe(true);
    }
  }
  expect(pages).toBeGreaterThanOrEqual(3);
  expect(whole.dorms).toEqual([{ id: dorm.id, label: '7号楼203', holderIds: [ids[0], ids.at(-1)] }]);
  expect(paged.filter((o) => o.kind === 'once' && o.task === 'dormRecord')).toHaveLength(1);
  expect(paged).toEqual(obligationsOf(c.def, whole, today));
});
