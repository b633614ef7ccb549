import { parseCampaignDefinition, type CampaignDefinition, type CampaignDefinitionInput } from './campaign.js';

/**
 * The two real campaigns, as presets a school starts from. Every number here is
 * the school document's own (named in `source`); where the seed is silent (the year, the term
 * dates, the questionnaire) the choice is marked and can be overridden.
 */

export interface PresetOptions {
  /** The calendar year the campaign runs in. */
  year: number;
  id?: string;
  branchChatId?: string;
  /** The end-of-term meeting (seed 000 names no date; once-only tasks are due before it). */
  termMeeting?: string;
}

export interface Preset {
  name: string;
  aliases: string[];
  title: string;
  source: string;
  build(o: PresetOptions): CampaignDefinitionInput;
}

/** 附件四's questions are not in the seed; these are a starting point each school edits. */
const DEFAULT_QUESTIONNAIRE: CampaignDefinitionInput['questionnaire'] = [
  { key: 'satisfaction', label: '您对学校教育教学工作的总体满意度', type: 'rating', required: true },
  { key: 'study-at-home', label: '孩子在家的学习和作息情况', type: 'single', options: ['很好', '较好', '一般', '需要关注'], required: true },
  { key: 'concerns', label: '您最关心孩子哪方面的成长', type: 'multi', options: ['学业', '品行', '身心健康', '就业与升学', '安全'] },
  { key: 'suggestions', label: '您对学校和老师的意见和建议', type: 'text' },
];

const weiXingdong: Preset = {
  name: 'wei-xingdong',
  aliases: ['微行动', 'seed-000'],
  title: '黄埔职校“微”行动',
  source: '黄埔区教育局党委“百千万”走访教育实践活动之“黄埔职校‘微’行动”',
  build: ({ year, id, branchChatId, termMeeting }) => ({
    id: id ?? `wei-xingdong-${year}`,
    name: `“微”行动（${year}）`,
    preset: 'wei-xingdong',
    timezone: 'Asia/Shanghai',
    // 上述四类“微”行动的时间均为3月15-8月31日
    window: { start: `${year}-03-15`, end: `${year}-08-31` },
    termMeeting,
    branchChatId,
    zoneReport: { enabled: true }, // 附件二：本表每周上报
    tasks: {
      dormCheck: { enabled: true },
      dormRecord: { enabled: true }, // 附件一：到学期末上交一份
      studentDay: { enabled: true, times: 1 }, // 附件三：做一天中职学生
      visits: { enabled: true, photosRequired: true },
      reflection: { enabled: true }, // 每位党员以书面形式上交一份心得，一个感人故事
      story: { enabled: true },
      ledger: { enabled: true }, // 附件六：走访台账，解决一个“销号”一个
    },
    dorms: {
      // 学校共有35间男生宿舍，其中7号楼20间宿舍每间宿舍两位党员教师，5号楼15间宿舍每间一位党员教师
      buildings: [
        { name: '7号楼', rooms: 20, teachersPerRoom: 2, residents: 'male' },
        { name: '5号楼', rooms: 15, teachersPerRoom: 1, residents: 'male' },
      ],
    },
    targetKinds: [
      { key: 'student-family', name: '学生家庭', place: 'home', student: true },
      // 对于三年级的实习学生，党员教师将走访活动送到企业
      { key: 'intern-enterprise', name: '实习企业', place: 'enterprise', student: true },
    ],
    targetCategories: [
      { key: 'teach', name: '送教上门', subKinds: ['受过处分学生', '反复违纪学生', '监管缺失学生'] },
      { key: 'award', name: '送奖上门', subKinds: ['进步之星', '服务之星', '管理之星', '特长之星', '学习之星', '奖学金获得者'] },
      {
        key: 'care',
        name: '送爱上门',
        subKinds: [
          '家庭贫困学生（负担过重）',
          '家庭贫困学生（因病致贫）',
          '离异家庭学生',
          '单亲家庭学生',
          '失亲家庭学生',
          '留守学生',
          '特教学生',
          '外来工家庭学生',
        ],
      },
    ],
    // 党员教师每人认领10位对象；学生处向上汇报给党支委登记认领
    claiming: { enabled: true, role: 'party-teacher', quota: 10, nominatorRole: 'nominator' },
    coverage: [{ rule: 'interns-at-enterprise', key: 'interns', name: '三年级实习学生走访到企业', targetKind: 'intern-enterprise' }],
    questionnaire: DEFAULT_QUESTIONNAIRE,
  }),
};

const DEPARTMENTS = ['校长室', '学生中心', '发展中心', '课程中心', '服务中心'];
/** 从3月底开始: the seed names no day, so the last week of March. */
const leadersFrom = (year: number) => `${year}-03-25`;

/**
 * Seed 002 hands out no questionnaire: these ask what its 家访 row sets out to learn
 * (了解学生在家学习生活环境……了解家长对学校的要求; 了解家长对教育的新需求), so every one is optional.
 */
const HOME_VISIT_QUESTIONS: CampaignDefinitionInput['questionnaire'] = [
  { key: 'home-environment', label: '孩子在家学习生活环境', type: 'single', options: ['良好', '一般', '需要帮扶'] },
  { key: 'needs-help', label: '是否需要资助学业、帮扶学习', type: 'single', options: ['需要', '暂不需要'] },
  { key: 'expectations', label: '家长对学校的要求', type: 'text' },
  { key: 'new-needs', label: '家长对教育的新需求和意见建议', type: 'text' },
];

// The 走访目的 column of seed 002's table, where two kinds share a row.
const PRINCIPAL_PURPOSE = '倾听社会对学校发展的心声';
const SERVICE_PURPOSE = '倾听后勤人员对改进后勤服务，提高服务水平的想法';

const sanDaYiShigan: Preset = {
  name: 'san-da-yi-shigan',
  aliases: ['三大一实干', 'seed-002'],
  title: '庙桥小学“三大一实干”',
  source: '武进区庙桥小学《关于组织开展“三大一实干”活动的实施方案》',
  build: ({ year, id, branchChatId, termMeeting }) => ({
    id: id ?? `san-da-${year}`,
    name: `“三大一实干”活动（${year}）`,
    preset: 'san-da-yi-shigan',
    timezone: 'Asia/Shanghai',
    // 学校决定从3月份起……12月份，着眼长期
    window: { start: `${year}-03-01`, end: `${year}-12-31` },
    // The seed says only 本学期; these are the usual term dates and can be changed.
    terms: [
      { name: '春季学期', start: `${year}-03-01`, end: `${year}-07-10` },
      { name: '秋季学期', start: `${year}-09-01`, end: `${year}-12-31` },
    ],
    phases: [
      { key: 'mobilise', name: '思想发动', start: `${year}-03-01`, end: `${year}-04-30`, focus: '重点抓好思想发动' },
      { key: 'run', name: '过程管控', start: `${year}-05-01`, end: `${year}-11-30`, focus: '重点抓好日常平常和过程管控' },
      { key: 'consolidate', name: '成果固化', start: `${year}-12-01`, end: `${year}-12-31`, focus: '着眼长期，重点抓好成果固化和建章立制' },
    ],
    termMeeting,
    branchChatId,
    departments: DEPARTMENTS,
    zoneReport: { enabled: false },
    tasks: {
      // 访问时的记录、拍照；《大走访情况记录表》附后
      visits: { enabled: true, photosRequired: true, recordForm: 'da-zoufang' },
      // 大讨论活动从3月上旬开始，到4月中旬结束；“我为学校发展献一计”；参加对象：校级领导、党员、中层、年级组长
      suggestions: {
        enabled: true,
        window: { start: `${year}-03-01`, end: `${year}-04-15` },
        roles: ['admin', 'leader', 'party-teacher', 'cadre', 'grade-head'],
      },
      ledger: { enabled: true },
    },
    targetKinds: [
      { key: 'parent-committee', name: '家委会成员', place: 'school', expectedCount: 19, purpose: PRINCIPAL_PURPOSE },
      { key: 'community-figure', name: '社会贤达人士', place: 'other', expectedCount: 10, purpose: PRINCIPAL_PURPOSE },
      { key: 'student-leader', name: '大队委委员、班队委员', place: 'school', student: true, purpose: '了解学生自主管理、行为习惯养成教育的情况' },
      { key: 'office-teacher', name: '办公室（级组）教师', place: 'office', expectedCount: 20, purpose: '了解教师对学校管理的建议和意见' },
      {
        key: 'lesson-group-teacher',
        name: '备课组教师',
        place: 'office',
        expectedCount: 25,
        purpose: '倾听教师在教学上的心声和对学校课堂教学改革、课程建设的想法',
      },
      { key: 'logistics-staff', name: '后勤人员', place: 'school', expectedCount: 15, purpose: SERVICE_PURPOSE },
      { key: 'outside-helper', name: '协助学校服务的社会人员', place: 'school', expectedCount: 5, purpose: SERVICE_PURPOSE },
      {
        key: 'student-family',
        name: '学生家庭（家访）',
        place: 'home',
        student: true,
        purpose: '了解学生在家学习生活环境，为资助学业、帮扶学习作准备；了解家长对学校的要求',
      },
    ],
    // 由班主任与副班主任、任课教师统筹安排；部门统筹协同走访
    sharedTargets: true,
    // The table's 时间 column is one merged cell, 从3月底开始，全年常态化开展: every row starts then, and
    // 直至两月内走访一遍 is each group covered within two months of it. Every leader's quota counts distinct people (每位…走访5位).
    quotas: [
      {
        key: 'principal-office',
        name: '校长室走访家委会和社会贤达',
        who: { department: '校长室' },
        targetKinds: ['parent-committee', 'community-figure'],
        min: 5,
        period: 'month',
        coverWithinMonths: 2,
        from: leadersFrom(year),
      },
      {
        key: 'student-centre',
        name: '学生中心走访大队委和班队委员',
        who: { department: '学生中心' },
        targetKinds: ['student-leader'],
        min: 5,
        period: 'month',
        coverWithinMonths: 2,
        from: leadersFrom(year),
      },
      {
        key: 'development-centre',
        name: '发展中心走访办公室（级组）教师',
        who: { department: '发展中心' },
        targetKinds: ['office-teacher'],
        min: 3,
        period: 'month',
        coverWithinMonths: 2,
        from: leadersFrom(year),
      },
      {
        key: 'curriculum-centre',
        name: '课程中心走访备课组教师',
        who: { department: '课程中心' },
        targetKinds: ['lesson-group-teacher'],
        min: 3,
        period: 'month',
        coverWithinMonths: 2,
        from: leadersFrom(year),
      },
      {
        key: 'service-centre',
        name: '服务中心走访后勤和协助人员',
        who: { department: '服务中心' },
        targetKinds: ['logistics-staff', 'outside-helper'],
        min: 3,
        period: 'month',
        coverWithinMonths: 2,
        from: leadersFrom(year),
      },
      // 全体教师：每位每月至少走访5位
      { key: 'home-visits', name: '教师家访', who: { role: 'teacher' }, targetKinds: ['student-family'], min: 5, period: 'month' },
    ],
    coverage: [
      { rule: 'every-target-once', key: 'every-student', name: '本学期所有学生走访一遍', targetKind: 'student-family' },
      { rule: 'in-person-per-class', key: 'in-person', name: '上门家访每班至少2位学生', targetKind: 'student-family', min: 2 },
    ],
    questionnaire: HOME_VISIT_QUESTIONS,
  }),
};

export const PRESETS: readonly Preset[] = [weiXingdong, sanDaYiShigan];

export function findPreset(name: string): Preset | undefined {
  const n = name.trim().toLowerCase();
  return PRESETS.find((p) => p.name === n || p.aliases.some((a) => a.toLowerCase() === n));
}

export class UnknownPresetError extends Error {
  constructor(name: string) {
    super(`没有名为 “${name}” 的预设。可选 / available presets: ${PRESETS.map((p) => `${p.name}（${p.aliases[0]}）`).join(', ')}`);
    this.name = 'UnknownPresetError';
  }
}

/** A validated definition from a preset. */
export function presetDefinition(name: string, o: PresetOptions): CampaignDefinition {
  const p = findPreset(name);
  if (!p) throw new UnknownPresetError(name);
  return parseCampaignDefinition(p.build(o), `preset ${p.name}`);
}
