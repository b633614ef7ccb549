import { describe, expect, it } from 'vitest';
import { parseCampaignDefinition, type CampaignDefinitionInput } from '../../src/domain/campaign.js';
import { classCoverageOf, coverageOfClasses, type TermFirsts } from '../../src/domain/digest.js';
import { presetDefinition } from '../../src/domain/presets.js';
import { coverageStanding, type TargetFact, type VisitFact } from '../../src/domain/quotas.js';

/**
 * A coverage rule's standing taken from each class's counts (classCoverageOf,
 * over the first visits the database's triggers keep) is the standing taken
 * from every target and its first visits, whatever the visits and the day.
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
      // In the order of their ids, as targetsOf reads them; now and then one of another kind, which no rule here judges.
      const targets: TargetFact[] = Array.from({ length: 1 + next(12) }, (_, i) => ({
        id: 2 * i + 1 + next(2),
        kind: next(6) ? kind : 'community-figure',
        className: classes[next(classes.length)]!,
      }));
      // Each target's first visits as the triggers keep them: at all, then perhaps in person and at the enterprise, no earlier.
      const firsts = targets.flatMap((t) => {
        if (!next(4)) return [];
        const first = days[next(days.length)]!;
        const later = () => (next(2) ? days.filter((d) => d >= first)[next(days.filter((d) => d >= first).length)]! : null);
        return [{ target: t, first, inPerson: later(), enterprise: later() }];
      });
      const visits: VisitFact[] = firsts.flatMap((f) => [
        { targetId: f.target.id, targetKind: f.target.kind, className: f.target.className, occurredOn: f.first, mode: '', place: '', visitorIds: [] },
        ...(f.inPerson
          ? [
              {
                targetId: f.target.id,
                targetKind: f.target.kind,
                className: f.target.className,
                occurredOn: f.inPerson,
                mode: 'in-person',
                place: '',
                visitorIds: [],
              },
            ]
          : []),
        ...(f.enterprise
          ? [
              {
                targetId: f.target.id,
                targetKind: f.target.kind,
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
      // As the database keeps them: a row per target visited, in the order of their ids.
      const kept: TermFirsts[] = firsts.map((f) => [f.target.id, f.first, f.inPerson, f.enterprise]);
      for (const rule of def.coverage) {
        const counts = classCoverageOf(rule, targets, kept, { today, dueOn: '2026-12-31' });
        expect({ round, rule: rule.key, standing: coverageOfClasses(def, rule, counts, today) }).toEqual({
          round,
          rule: rule.key,
          standing: coverageStanding(def, rule, targets, visits, today),
        });
      }
    }
  });
});
