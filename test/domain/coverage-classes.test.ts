import { describe, expect, it } from 'vitest';
import { parseCampaignDefinition, type CampaignDefinitionInput } from '../../src/domain/campaign.js';
import { coverageOfClasses, type ClassCoverage } from '../../src/domain/digest.js';
import { presetDefinition } from '../../src/domain/presets.js';
import { coverageStanding, UNCLASSED, type TargetFact, type VisitFact } from '../../src/domain/quotas.js';

/**
 * A coverage rule's standing taken from each class's counts (what the
 * database sums over the first visits its triggers keep) is the standing
 * taken from every target and its first visits, whatever the visits and the day.
 */
describe('coverage from the classes’ counts', () => {
  const sanDa = presetDefinition('三大一实干', { year: 2026 });
  const def = parseCampaignDefinition({
    ...(sanDa as CampaignDefinitionInput),
    coverage: [...sanDa.coverage, { rule: 'interns-at-enterprise', key: 'interns', name: '实习到企业', targetKind: sanDa.coverage[0]!.targetKind }],
  });
  const kind = def.coverage[0]!.targetKind;
  const days = ['2026-09-01', '2026-09-20', '2026-10-08', '2026-11-17', '2026-11-20', '2026-12-30'];

  it('is the same standing for every rule, before and after the deadline', () => {
    let seed = 2;
    const next = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return Math.floor(seed / 65536) % n;
    };
    for (let round = 0; round < 60; round++) {
      const classes = ['一（1）班', '一（2）班', '二（1）班', null].slice(0, 1 + next(4));
      const targets: TargetFact[] = Array.from({ length: 1 + next(12) }, (_, i) => ({ id: i + 1, kind, className: classes[next(classes.length)]! }));
      // Each target's first visits as the triggers keep them: at all, then perhaps in person and at the enterprise, no earlier.
      const firsts = targets.flatMap((t) => {
        if (!next(4)) return [];
        const first = days[next(days.length)]!;
        const later = () => (next(2) ? days.filter((d) => d >= first)[next(days.filter((d) => d >= first).length)]! : null);
        return [{ target: t, first, inPerson: later(), enterprise: later() }];
      });
      const visits: VisitFact[] = firsts.flatMap((f) => [
        { targetId: f.target.id, targetKind: kind, className: f.target.className, occurredOn: f.first, mode: '', place: '', visitorIds: [] },
        ...(f.inPerson
          ? [{ targetId: f.target.id, targetKind: kind, className: f.target.className, occurredOn: f.inPerson, mode: 'in-person', place: '', visitorIds: [] }]
          : []),
        ...(f.enterprise
          ? [
              {
                targetId: f.target.id,
                targetKind: kind,
                className: f.target.className,
                occurredOn: f.enterprise,
                mode: '',
                place: 'enterprise',
                visitorIds: [],
              },
            ]
          : []),
      ]);
      const today = ['2026-11-17', '2026-12-31', '2027-01-05'][next(3)]!;
      for (const rule of def.coverage) {
        const dayOf = (t: TargetFact) => {
          const f = firsts.find((x) => x.target === t);
          const d = rule.rule === 'in-person-per-class' ? f?.inPerson : rule.rule === 'interns-at-enterprise' ? f?.enterprise : f?.first;
          return d && d <= today ? d : null;
        };
        // What the database counts per class.
        const counts: ClassCoverage[] = [...new Set(targets.map((t) => t.className ?? UNCLASSED))].map((className) => {
          const mine = targets.filter((t) => (t.className ?? UNCLASSED) === className);
          const covered = mine
            .map(dayOf)
            .filter((d): d is string => d !== null)
            .sort();
          const min = rule.rule === 'in-person-per-class' ? rule.min : 0;
          return {
            className,
            total: mine.length,
            covered: covered.length,
            lastOn: covered.at(-1) ?? null,
            coveredByDue: covered.filter((d) => d <= '2026-12-31').length,
            reachedOn: min && covered.length >= min ? covered[min - 1]! : null,
          };
        });
        expect({ round, rule: rule.key, standing: coverageOfClasses(def, rule, counts, today) }).toEqual({
          round,
          rule: rule.key,
          standing: coverageStanding(def, rule, targets, visits, today),
        });
      }
    }
  });
});
