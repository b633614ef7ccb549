import type { Db } from '../db/index.js';
import type { ActiveCampaign } from '../db/repos.js';
import { visitsByPerson } from '../domain/obligations.js';
import { minDate, termOn } from '../domain/periods.js';
import { claimedStanding, quotaApplies, quotaPeriods, quotaStanding } from '../domain/quotas.js';
import { localDate } from '../domain/time.js';
import { ScheduleFacts } from '../features/reminders/facts.js';
import type { QuotaCell, QuotaStatus } from './summary.js';

/**
 * The summary's quota columns, judged by the same rules as the reminders and
 * digests: each quota per period inside the range (done / required, prorated
 * for leave), and seed 000's claimed targets visited in the term.
 */
export async function quotaColumns(db: Db, campaign: ActiveCampaign, range: { from?: string; to?: string }, now: Date): Promise<QuotaStatus> {
  const { def } = campaign;
  const today = minDate(localDate(now, def.timezone), def.window.end);
  const from = range.from ?? def.window.start;
  const to = minDate(range.to ?? def.window.end, today);
  const facts = await new ScheduleFacts(db).load(campaign);
  const visitsOf = visitsByPerson(facts.visits);
  const cells = new Map<number, QuotaCell[]>();
  for (const p of facts.people) {
    const visits = visitsOf.get(p.id) ?? [];
    const mine: QuotaCell[] = [];
    for (const q of def.quotas) {
      if (!quotaApplies(q, p)) continue;
      for (const period of quotaPeriods(def, q).filter((x) => x.end >= from && x.start <= to)) {
        const s = quotaStanding(def, q, period, p, visits, today);
        mine.push({ header: `${q.name} ${period.label}（≥${q.min}）`, value: s.state === 'excused' ? '请假' : `${s.done}/${s.required}`, met: s.state === 'met' });
      }
    }
    const claimed = facts.claims.get(p.id) ?? [];
    if (def.claiming.enabled && (claimed.length || p.roles.includes(def.claiming.role))) {
      const term = termOn(def, to);
      const s = claimedStanding(def, term, claimed, p, visits, today, facts.claimable);
      mine.push({ header: `认领对象已走访（${term.label}）`, value: `${s.visited}/${s.required}`, met: s.state === 'met' });
    }
    cells.set(p.id, mine);
  }
  return (personId) => cells.get(personId) ?? [];
}
