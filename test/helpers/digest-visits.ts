import { campaignDigest, digestQuotaPeriod, type DigestInput, type DigestVisits } from '../../src/domain/digest.js';
import { happenedIn } from '../../src/domain/periods.js';
import { countsToward, coverageStanding, distinctPeople, quotaApplies } from '../../src/domain/quotas.js';

/** What a digest is given beside the campaign's facts: the aggregates and the coverage rules' standings. */
type Fixture = Omit<DigestInput, 'visits' | 'ruleStandings'>;

/** A fixture's visits up to the digest's day: the rules read raw visits as they read first visits, the first of each target being among them. */
const visitsUpTo = (i: Fixture) => i.facts.visits.filter((v) => v.occurredOn <= i.asOf);

/**
 * The aggregates the database takes for a digest (src/db/visit-aggregates.ts),
 * worked out from a fixture's visits in memory, so a digest's numbers are
 * checked against visits written out by hand.
 */
function digestVisits(i: Fixture): DigestVisits {
  const { def, period, asOf } = i;
  const upTo = visitsUpTo(i);
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
    quotaFirsts: new Map(def.quotas.map((q) => [q.key, upTo])),
  };
}

/** A digest of a fixture's visits, each coverage rule standing as the bot's digest takes it over every target (coverageStanding). */
export const digestOf = (i: Fixture) =>
  campaignDigest({
    ...i,
    visits: digestVisits(i),
    ruleStandings: i.def.coverage.map((r) => coverageStanding(i.def, r, i.targets, visitsUpTo(i), i.asOf)),
  });
