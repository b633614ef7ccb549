import { describe, expect, it } from 'vitest';
import { CampaignDefinitionError, parseCampaignDefinition, termsOf, type CampaignDefinitionInput } from '../../src/domain/campaign.js';
import { termPeriods } from '../../src/domain/periods.js';
import { onceTaskDue } from '../../src/domain/reminders.js';
import { PRESETS, UnknownPresetError, findPreset, presetDefinition } from '../../src/domain/presets.js';

/**
 * The two presets against the schools' own documents' numbers: a school that
 * starts from a preset gets exactly what its document says.
 */

describe('preset wei-xingdong (seed 000, 黄埔职校“微”行动)', () => {
  const def = presetDefinition('wei-xingdong', { year: 2027 });

  it('is found by its Chinese alias too', () => {
    expect(presetDefinition('微行动', { year: 2027 })).toEqual(def);
    expect(presetDefinition(' Wei-Xingdong ', { year: 2027 })).toEqual(def);
    expect(findPreset('seed-000')?.name).toBe('wei-xingdong');
  });

  it('runs 3月15日–8月31日 in Asia/Shanghai', () => {
    expect(def.id).toBe('wei-xingdong-2027');
    expect(def.timezone).toBe('Asia/Shanghai');
    expect(def.window).toEqual({ start: '2027-03-15', end: '2027-08-31' });
    expect(termsOf(def)).toEqual([{ name: def.name, start: '2027-03-15', end: '2027-08-31' }]);
  });

  it('has 35 boys’ dorms: 7号楼 20 rooms with two teachers each, 5号楼 15 rooms with one', () => {
    expect(def.dorms.buildings).toEqual([
      { name: '7号楼', rooms: 20, teachersPerRoom: 2, residents: 'male' },
      { name: '5号楼', rooms: 15, teachersPerRoom: 1, residents: 'male' },
    ]);
    expect(def.dorms.buildings.reduce((n, b) => n + b.rooms, 0)).toBe(35);
    expect(def.dorms.buildings.reduce((n, b) => n + b.rooms * b.teachersPerRoom, 0)).toBe(55);
  });

  it('lets each party teacher claim 10 targets nominated by 学生处, in the three categories', () => {
    expect(def.claiming).toEqual({ enabled: true, role: 'party-teacher', quota: 10, nominatorRole: 'nominator' });
    expect(def.targetCategories.map((c) => c.name)).toEqual(['送教上门', '送奖上门', '送爱上门']);
    const sub = Object.fromEntries(def.targetCategories.map((c) => [c.name, c.subKinds]));
    expect(sub['送教上门']).toEqual(['受过处分学生', '反复违纪学生', '监管缺失学生']);
    expect(sub['送奖上门']).toEqual(['进步之星', '服务之星', '管理之星', '特长之星', '学习之星', '奖学金获得者']);
    for (const k of [
      '家庭贫困学生（负担过重）',
      '家庭贫困学生（因病致贫）',
      '离异家庭学生',
      '单亲家庭学生',
      '失亲家庭学生',
      '留守学生',
      '特教学生',
      '外来工家庭学生',
    ]) {
      expect(sub['送爱上门']).toContain(k);
    }
  });

  it('visits third-year interns at their enterprise', () => {
    const rule = def.coverage.find((c) => c.rule === 'interns-at-enterprise');
    expect(rule).toBeDefined();
    const kind = def.targetKinds.find((k) => k.key === rule!.targetKind)!;
    expect(kind).toMatchObject({ name: '实习企业', place: 'enterprise', student: true });
    expect(def.targetKinds.find((k) => k.key === 'student-family')).toMatchObject({ place: 'home', student: true });
  });

  it('has the once-only forms due at the end-of-term meeting when one is given, else at the window’s end', () => {
    for (const t of ['dormRecord', 'studentDay', 'reflection', 'story'] as const) {
      expect(def.tasks[t].enabled, t).toBe(true);
      expect(onceTaskDue(def, t, termPeriods(def)[0]!)).toBe('2027-08-31');
    }
    expect(def.tasks.studentDay.times).toBe(1);
    const withMeeting = presetDefinition('微行动', { year: 2027, termMeeting: '2027-07-05' });
    for (const t of ['dormRecord', 'studentDay', 'reflection', 'story'] as const)
      expect(onceTaskDue(withMeeting, t, termPeriods(withMeeting)[0]!)).toBe('2027-07-05');
    expect(def.tasks.visits).toEqual({ enabled: true, photosRequired: true, recordForm: 'annex-5' });
    expect(def.tasks.ledger.enabled).toBe(true);
    expect(def.tasks.dormCheck.enabled).toBe(true);
  });

  it('has the zone report weekly (附件二：本表每周上报)', () => {
    expect(def.zoneReport).toEqual({ enabled: true, pushAt: { weekday: 5, time: '16:00' }, dueAt: { weekday: 1, time: '09:00' } });
  });

  it('refuses an end-of-term meeting outside the window', () => {
    expect(() => presetDefinition('微行动', { year: 2027, termMeeting: '2027-09-10' })).toThrow(/termMeeting: 不在活动时间内/);
  });
});

describe('preset san-da-yi-shigan (seed 002, 庙桥小学“三大一实干”)', () => {
  const def = presetDefinition('三大一实干', { year: 2027 });

  it('is the same definition by name or alias', () => {
    expect(presetDefinition('san-da-yi-shigan', { year: 2027 })).toEqual(def);
    expect(findPreset('seed-002')?.name).toBe('san-da-yi-shigan');
  });

  it('runs from March to December in three phases', () => {
    expect(def.window).toEqual({ start: '2027-03-01', end: '2027-12-31' });
    expect(def.phases.map(({ key, name, start, end }) => ({ key, name, start, end }))).toEqual([
      { key: 'mobilise', name: '思想发动', start: '2027-03-01', end: '2027-04-30' },
      { key: 'run', name: '过程管控', start: '2027-05-01', end: '2027-11-30' },
      { key: 'consolidate', name: '成果固化', start: '2027-12-01', end: '2027-12-31' },
    ]);
  });

  it('has the seed’s department quota table exactly', () => {
    const kindCount = (key: string) => def.targetKinds.find((k) => k.key === key)?.expectedCount;
    const table = def.quotas.map((q) => ({
      who: q.who.department ?? q.who.role,
      targets: q.targetKinds.map((k) => `${def.targetKinds.find((x) => x.key === k)!.name}${kindCount(k) ? ` ${kindCount(k)}` : ''}`),
      min: q.min,
      period: q.period,
      coverWithinMonths: q.coverWithinMonths,
    }));
    expect(table).toEqual([
      { who: '校长室', targets: ['家委会成员 19', '社会贤达人士 10'], min: 5, period: 'month', coverWithinMonths: 2 },
      { who: '学生中心', targets: ['大队委委员、班队委员'], min: 5, period: 'month', coverWithinMonths: 2 },
      { who: '发展中心', targets: ['办公室（级组）教师 20'], min: 3, period: 'month', coverWithinMonths: 2 },
      { who: '课程中心', targets: ['备课组教师 25'], min: 3, period: 'month', coverWithinMonths: 2 },
      { who: '服务中心', targets: ['后勤人员 15', '协助学校服务的社会人员 5'], min: 3, period: 'month', coverWithinMonths: 2 },
      { who: 'teacher', targets: ['学生家庭（家访）'], min: 5, period: 'month', coverWithinMonths: undefined },
    ]);
    // 从3月底开始，全年常态化开展 is one merged cell: every department counts from late March; the teachers' home visits from the start.
    const from = Object.fromEntries(def.quotas.map((q) => [q.who.department ?? q.who.role, q.from]));
    for (const d of def.departments) expect(from[d], d).toMatch(/^2027-03-(2[0-9]|3[01])$/);
    expect(from.teacher).toBeUndefined();
    expect(def.departments).toEqual(['校长室', '学生中心', '发展中心', '课程中心', '服务中心']);
  });

  it('visits every student once a term and at least two per class in person', () => {
    expect(def.coverage).toEqual([
      { rule: 'every-target-once', key: 'every-student', name: '本学期所有学生走访一遍', targetKind: 'student-family' },
      { rule: 'in-person-per-class', key: 'in-person', name: '上门家访每班至少2位学生', targetKind: 'student-family', min: 2 },
    ]);
    expect(termsOf(def).map((t) => t.name)).toEqual(['春季学期', '秋季学期']);
  });

  it('collects suggestions (我为学校发展献一计) from early March to mid April, and has no zone report', () => {
    expect(def.tasks.suggestions).toEqual({
      enabled: true,
      window: { start: '2027-03-01', end: '2027-04-15' },
      // 参加对象：校级领导、党员、中层、年级组长 (and the admin, who reviews them)
      roles: ['admin', 'leader', 'party-teacher', 'cadre', 'grade-head'],
    });
    expect(def.zoneReport.enabled).toBe(false);
    expect(def.claiming.enabled).toBe(false);
    expect(def.dorms.buildings).toEqual([]);
  });
});

describe('preset lookup and definition errors', () => {
  it('names the available presets when the name is unknown', () => {
    expect(() => presetDefinition('百千万', { year: 2027 })).toThrow(UnknownPresetError);
    try {
      presetDefinition('百千万', { year: 2027 });
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).toContain('没有名为 “百千万” 的预设');
      for (const p of PRESETS) expect(msg).toContain(p.name);
      expect(msg).toContain('微行动');
      expect(msg).toContain('三大一实干');
    }
  });

  const base = () => structuredClone(findPreset('wei-xingdong')!.build({ year: 2027 })) as CampaignDefinitionInput & Record<string, any>;
  const problemsOf = (input: unknown): string[] => {
    try {
      parseCampaignDefinition(input, 'my-campaign.json');
    } catch (e) {
      expect(e).toBeInstanceOf(CampaignDefinitionError);
      expect((e as Error).message).toContain('活动配置有误 / invalid campaign definition (my-campaign.json)');
      return (e as CampaignDefinitionError).problems;
    }
    throw new Error('expected the definition to be refused');
  };

  it('reports every mistake with its path at once', () => {
    const input = base();
    input.quotas = [
      { key: 'weekly-visits', name: '每周走访', who: { role: 'teacher' }, targetKinds: ['student-family', 'parent-committee'], min: 1, period: 'week' },
    ];
    input.phases = [{ key: 'spring', name: '寒假', start: '2027-01-10', end: '2027-02-10' }];
    input.targetCategories = [...input.targetCategories!, { key: 'teach', name: '送温暖上门' }];
    input.dorms!.buildings = [...input.dorms!.buildings!, { name: '7号楼', rooms: 3, teachersPerRoom: 1 }];
    const problems = problemsOf(input);
    expect(problems).toContainEqual(expect.stringMatching(/^quotas\.0\.targetKinds\.1: 未定义的走访对象类型 \/ unknown target kind "parent-committee"/));
    expect(problems).toContainEqual('phases.0: 不在活动时间 2027-03-15~2027-08-31 内 / outside the campaign window');
    expect(problems).toContainEqual('targetCategories.3.key: 重复的 key / duplicate key: teach');
    expect(problems).toContainEqual('dorms.buildings.2.name: 重复的楼栋 / duplicate building: 7号楼');
    expect(problems).toHaveLength(4);
  });

  it('names the first unknown kind of a quota at quotas.0.targetKinds.0', () => {
    const input = base();
    input.quotas = [{ key: 'q', name: '走访', who: { role: 'teacher' }, targetKinds: ['nobody'], min: 1, period: 'month' }];
    expect(problemsOf(input)).toEqual([
      'quotas.0.targetKinds.0: 未定义的走访对象类型 / unknown target kind "nobody" (defined: student-family, intern-enterprise)',
    ]);
  });

  it('reports a badly written date once, without follow-on nonsense, and refuses days that do not exist', () => {
    const slashes = base();
    slashes.window = { start: '2027/03/15', end: '2027-08-31' };
    expect(problemsOf(slashes)).toEqual(['window.start: 日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD']);

    const feb30 = base();
    feb30.termMeeting = '2027-02-30';
    expect(problemsOf(feb30)).toEqual(['termMeeting: 没有这一天 / no such date']);
    const month13 = base();
    month13.window = { start: '2027-03-15', end: '2027-13-01' };
    expect(problemsOf(month13)).toEqual(['window.end: 没有这一天 / no such date']);
  });

  it('reports overlapping phases and an unknown department', () => {
    const input = structuredClone(findPreset('san-da-yi-shigan')!.build({ year: 2027 })) as Record<string, any>;
    input.phases[1].start = '2027-04-20';
    input.quotas[0].who = { department: '教务处' };
    expect(problemsOf(input)).toEqual([
      'phases.1.start: 与上一段重叠 / overlaps the previous one (ends 2027-04-30)',
      'quotas.0.who.department: 未定义的部门 / unknown department "教务处"',
    ]);
  });
});
