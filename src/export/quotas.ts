import type { Db } from '../db/index.js';
import type { ActiveCampaign } from '../db/repos.js';
import { visitsByPerson } from '../domain/obligations.js';
import { minDate, termOn } from '../domain/periods.js';
import { byChinese, claimedStanding, coverageStanding, quotaApplies, quotaPeriods, quotaStanding } from '../domain/quotas.js';
import { localDate } from '../domain/time.js';
import { firstVisitFacts, ScheduleFacts } from '../features/reminders/facts.js';
import type { FormSheet } from './forms.js';
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
  const spans = def.quotas.flatMap((q) => quotaPeriods(def, q).filter((x) => x.end >= from && x.start <= to));
  const facts = await new ScheduleFacts(db).everyone(campaign, { spans, claimsTerm: termOn(def, to) });
  const visitsOf = visitsByPerson(facts.visits);
  const cells = new Map<number, QuotaCell[]>();
  for (const p of facts.people) {
    const visits = visitsOf.get(p.id) ?? [];
    const mine: QuotaCell[] = [];
    for (const q of def.quotas) {
      if (!quotaApplies(q, p)) continue;
      for (const period of quotaPeriods(def, q).filter((x) => x.end >= from && x.start <= to)) {
        const s = quotaStanding(def, q, period, p, visits, today);
        mine.push({
          header: `${q.name} ${period.label}（≥${q.min}）`,
          value: s.state === 'excused' ? '请假' : `${s.done}/${s.required}`,
          met: s.state === 'met',
        });
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

/**
 * 汇总（班级）: seed 002 per class — students visited this term, and those
 * visited in person against 上门家访每班至少2位学生 — so the classes short of
 * it are in the archive, not only in the group's digest.
 */
export async function classSheet(db: Db, campaign: ActiveCampaign, now: Date): Promise<FormSheet | undefined> {
  const { def } = campaign;
  const every = def.coverage.find((r) => r.rule === 'every-target-once' && def.targetKinds.find((k) => k.key === r.targetKind)?.student);
  const inPerson = def.coverage.find((r) => r.rule === 'in-person-per-class');
  if (!every && !inPerson) return undefined;
  const today = minDate(localDate(now, def.timezone), def.window.end);
  const facts = new ScheduleFacts(db);
  const term = termOn(def, today);
  const kinds = [every, inPerson].flatMap((r) => (r ? [r.targetKind] : []));
  const targets = await facts.targetsOf(def.id, kinds);
  const visits = firstVisitFacts(
    facts.aggregates.targetFirsts(def.id, { start: term.start, end: minDate(term.end, today) }),
    new Map(targets.map((t) => [t.id, t])),
  );
  const visited = new Map((every ? (coverageStanding(def, every, targets, visits, today).byClass ?? []) : []).map((c) => [c.className, c]));
  const met = new Map((inPerson ? (coverageStanding(def, inPerson, targets, visits, today).byClass ?? []) : []).map((c) => [c.className, c]));
  const min = inPerson?.rule === 'in-person-per-class' ? inPerson.min : 0;
  const names = [...new Set([...visited.keys(), ...met.keys()])].sort(byChinese);
  return {
    key: 'by-class',
    name: '汇总（班级）',
    title: `家访完成情况汇总（按班级，${termOn(def, today).label}）`,
    landscape: false,
    columns: [
      { header: '班级' },
      { header: '学生数', kind: 'number' },
      { header: '本学期已走访', kind: 'number' },
      { header: '上门家访', kind: 'number' },
      { header: '上门家访要求' },
    ],
    rows: names.map((n) => {
      const v = visited.get(n);
      const p = met.get(n);
      const inPersonCount = p?.covered ?? 0;
      return [
        n,
        v?.total ?? p?.total ?? 0,
        v?.covered ?? 0,
        inPersonCount,
        min ? (inPersonCount >= min ? `达标（≥${min}）` : `不足：还差 ${min - inPersonCount} 位`) : '',
      ];
    }),
  };
}
