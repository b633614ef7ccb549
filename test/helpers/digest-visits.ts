import { campaignDigest, digestQuotaPeriod, type DigestInput, type DigestVisits } from '../../src/domain/digest.js';
import { happenedIn } from '../../src/domain/periods.js';
import { countsToward, distinctPeople, quotaApplies } from '../../src/domain/quotas.js';

/**
 * The aggregates the database takes for a digest (src/db/visit-aggregates.ts),
 * worked out from a fixture's visits in memory, so a digest's numbers are
 * checked against visits written out by hand.
 */
export function digestVisits(i: Omit<DigestInput, 'visits'>): DigestVisits {
  const { def, period, asOf } = i;
  const upTo = i.facts.visits.filter((v) => v.occurredOn <= asOf);
  const inPeriod = upTo.filter((v) => happenedIn(period, asOf)(v.occurredOn));
  const perTeacher = new Map<number, number>();
  for (const v of inPeriod) for (const id of v.visitorIds) perTeacher.set(id, (perTeacher.get(id) ?? 0) + 1);
  const members = (q: (typeof def.quotas)[number]) => new Set(i.facts.people.filter((p) => quotaApplies(q, p)).map((p) => p.id));
  return {
    inPeriod: inPeriod.length,
    perTeacher,
    perQuota: new Map(
      def.quotas.map((q) => {
        const who = members(q);
        return [q.key, inPeriod.filter((v) => q.targetKinds.includes(v.targetKind) && v.visitorIds.some((id) => who.has(id))).length];
      }),
    ),
    reached: new Map(
      def.quotas.map((q) => {
        const qp = digestQuotaPeriod(def, q, period, asOf);
        return [q.key, new Map(i.facts.people.map((p) => [p.id, qp ? distinctPeople(upTo.filter(countsToward(q, p.id, qp))) : 0]))];
      }),
    ),
    // The rules read raw visits as they read first visits: the first of each target is among them.
    termFirsts: upTo,
    quotaFirsts: new Map(def.quotas.map((q) => [q.key, upTo])),
  };
}

/** A digest of a fixture's visits. */
export const digestOf = (i: Omit<DigestInput, 'visits'>) => campaignDigest({ ...i, visits: digestVisits(i) });
