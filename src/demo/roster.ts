import type { Db } from '../db/index.js';
import { CampaignRepo } from '../db/repos.js';
import { ROLE_LABELS, type CampaignDefinition, type Role } from '../domain/campaign.js';
import { formatImportReport, importRoster, type ContactLookup } from '../roster/import.js';
import { completeRow, LIST_SEPARATOR, SHEET_KINDS, sheetFromValues, type SheetKind } from '../roster/sheets.js';
import { DEMO_PEOPLE, DEMO_ZONES } from './seed.js';
import { address, cnGrade, mulberry32, NumberBlock, personName, Random, uniqueName } from './synthetic.js';

/**
 * Synthetic rosters for the sandbox: every sheet a school would fill in, typed the
 * way a secretary types it, generated from the campaign definition. Nobody here is
 * real: names are drawn from common characters, mobiles sit in the unallocated
 * 1990000/1990001 blocks, addresses are in the fictional 示范市. The output is a pure
 * function of (definition, seed) so sandbox restarts see the same people.
 */

export type DemoRoster = Record<SheetKind, Array<Record<string, string>>>;

interface Major {
  name: string;
  department: string;
  /** Share of boys; the dorms in the seed are boys' dorms, so it matters for who lives where. */
  male: number;
  industry: string;
}

const MAJORS: Major[] = [
  { name: '机电', department: '机电部', male: 0.85, industry: '机电设备' },
  { name: '会计', department: '财经部', male: 0.25, industry: '财务咨询' },
  { name: '电商', department: '商贸部', male: 0.45, industry: '电子商务' },
  { name: '汽修', department: '汽车部', male: 0.9, industry: '汽车服务' },
  { name: '计算机', department: '信息部', male: 0.7, industry: '信息技术' },
  { name: '旅游', department: '商贸部', male: 0.3, industry: '旅游服务' },
];
const FIRM_PREFIXES = ['鸿达', '恒信', '华拓', '启航', '瑞丰', '联创', '德润', '新程', '宏远', '众和'];
const OFFICES = ['学生处', '教务处', '实训处', '办公室', '总务处', '招生就业处', '团委'];

const EXTRA_ZONES = [
  '实训楼B栋一至四楼',
  '图书馆及周边',
  '行政楼前广场',
  '篮球场及羽毛球场',
  '校门口及停车场',
  '第二食堂周边',
  '艺术楼及连廊',
  '5号宿舍楼外围',
  '体育馆',
];

/** Short, private and invented; the sub-kind decides the story. */
const REASONS: Array<[RegExp, string[]]> = [
  [/处分/, ['上学期因打架受警告处分，近期表现有好转', '因多次旷课受严重警告处分', '因在宿舍吸烟受警告处分']],
  [/违纪/, ['本学期三次迟到早退，屡教未改', '多次上课玩手机，与任课老师发生冲突', '晚归宿舍多次']],
  [/监管缺失/, ['父母长期在外地工作，由年迈祖父母照看', '父母工作繁忙，周末常独自在家', '家长很少参加家长会，联系不上']],
  [/进步/, ['期中考试成绩提升明显', '出勤和作业情况明显改善']],
  [/服务/, ['主动承担班级卫生和志愿服务', '校运会志愿者，表现突出']],
  [/管理/, ['班长，组织班级活动认真负责', '宿舍长，宿舍连续多周评为文明宿舍']],
  [/特长/, ['技能竞赛市级二等奖', '校园歌手大赛一等奖']],
  [/学习/, ['连续两学期专业成绩第一', '获评月度学习之星']],
  [/奖学金/, ['获国家奖学金', '获校级一等奖学金']],
  [/负担过重/, ['兄妹三人同时上学，家庭收入低', '父亲失业，母亲打零工维持生计']],
  [/因病/, ['父亲长期患病，医疗开支大', '母亲去年做了大手术，家中负债']],
  [/离异/, ['父母离异，随母亲生活，情绪波动大', '父母离异后跟随祖父母生活']],
  [/单亲/, ['单亲家庭，随父亲生活', '单亲家庭，母亲独自抚养两个孩子']],
  [/失亲/, ['父亲前年因病去世', '由叔叔一家抚养']],
  [/留守/, ['父母在外务工，与奶奶同住', '父母在外省务工，一年回家一次']],
  [/特教/, ['有轻度听力障碍，需要学习上的关照', '有阅读障碍，需个别辅导']],
  [/外来工/, ['随务工父母来本市，租住城中村', '父母在工厂倒班，照顾时间少']],
];

function reasonFor(r: Random, subKind: string, categoryName: string): string {
  const found = REASONS.find(([re]) => re.test(subKind));
  return found ? r.pick(found[1]) : `${subKind || categoryName}，需要了解家庭情况`;
}

/** Notes a school writes next to non-student targets; keyed by the preset's kinds, empty for others. */
const KIND_NOTES: Record<string, string[]> = {
  'parent-committee': ['家委会委员', '家委会委员', '家委会副主任'],
  'community-figure': ['社区居委会主任', '退休教师', '本地企业负责人', '村委会委员', '社区医生'],
  'office-teacher': ['一年级级组', '二年级级组', '三年级级组', '四年级级组', '五年级级组', '六年级级组', '教务办公室'],
  'lesson-group-teacher': ['语文备课组', '数学备课组', '英语备课组', '科学备课组', '音体美备课组'],
  'logistics-staff': ['食堂', '保安', '保洁', '宿管', '校医室', '门卫'],
  'outside-helper': ['交通志愿者', '校外辅导员', '护学岗家长', '社区志愿者'],
  'student-leader': ['大队委', '中队长', '班长', '学习委员', '小队长'],
};

interface ClassInfo {
  name: string;
  grade: number;
  interning: boolean;
  major?: Major;
  students: Array<{ name: string; male: boolean }>;
}

interface Member {
  name: string;
  mobile: string;
  email: string;
  roles: Role[];
  department: string;
  classesTaught: string[];
  classLed: string;
  classDeputy: string;
}

const join = (xs: readonly string[]) => xs.join(LIST_SEPARATOR);

export function generateDemoRoster(def: CampaignDefinition, seed = 1): DemoRoster {
  const r = new Random(mulberry32(seed));
  const vocational = def.dorms.buildings.length > 0;
  const hasInterns = def.coverage.some((c) => c.rule === 'interns-at-enterprise');
  const memberMobiles = new NumberBlock('1990000', r);
  const targetPhones = new NumberBlock('1990001', r);
  // Adults (members and non-student targets) share one name space so a visitor or owner name is never ambiguous.
  const adultNames = new Set<string>(DEMO_PEOPLE.map((p) => p.name));

  // ── classes ──
  const classes: ClassInfo[] = [];
  const startYear = Number(def.window.start.slice(0, 4));
  // A spring window belongs to the school year that began the autumn before.
  const firstYearIntake = Number(def.window.start.slice(5, 7)) >= 9 ? startYear : startYear - 1;
  const studentsOf = (n: number, maleShare: number) => {
    const used = new Set<string>();
    return Array.from({ length: n }, () => {
      const male = r.chance(maleShare);
      return { name: uniqueName(r, used, male), male };
    });
  };
  if (vocational) {
    for (let grade = 1; grade <= 3; grade++) {
      for (const major of MAJORS) {
        const count = r.chance(0.45) ? 2 : 1;
        for (let n = 1; n <= count; n++) {
          classes.push({
            name: `${firstYearIntake - grade + 1}级${major.name}${n}班`,
            grade,
            interning: hasInterns && grade === 3,
            major,
            students: studentsOf(r.int(30, 45), major.male),
          });
        }
      }
    }
  } else {
    for (let grade = 1; grade <= 6; grade++) {
      const count = r.int(2, 3);
      for (let n = 1; n <= count; n++) {
        classes.push({ name: `${cnGrade(grade)}年级（${n}）班`, grade, interning: false, students: studentsOf(r.int(30, 45), 0.5) });
      }
    }
  }
  const onCampus = classes.filter((c) => !c.interning);

  // ── members ──
  const members: Member[] = [];
  const listed = def.departments;
  const castDepartment = (d: string | undefined) => (listed.length && !listed.includes(d ?? '') ? listed[0]! : (d ?? ''));
  for (const p of DEMO_PEOPLE) {
    members.push({
      name: p.name,
      mobile: p.mobile,
      email: '',
      roles: p.roles as Role[],
      department: castDepartment(p.department),
      classesTaught: [],
      classLed: '',
      classDeputy: '',
    });
  }
  const add = (roles: Role[], department: string, classesTaught: string[] = [], classLed = '', classDeputy = '') => {
    const m: Member = {
      name: uniqueName(r, adultNames),
      mobile: memberMobiles.next(),
      email: `t${String(members.length + 1).padStart(4, '0')}@demo-school.example`,
      roles,
      department,
      classesTaught,
      classLed,
      classDeputy,
    };
    members.push(m);
    return m;
  };
  const someClasses = (pool: ClassInfo[], min: number, max: number) =>
    r
      .shuffle(pool)
      .slice(0, r.int(min, max))
      .map((c) => c.name);
  const office = () => (listed.length ? r.pick(listed) : r.pick(OFFICES));
  const cadresWanted = def.zoneReport.enabled ? 5 : 0;

  if (vocational) {
    for (let i = 0; i < cadresWanted; i++) add(['cadre', 'party-teacher'], office());
    const nominatorDept = listed.length ? (listed.includes('学生处') ? '学生处' : listed[0]!) : '学生处';
    for (let i = r.int(1, 2); i > 0; i--) add(['nominator'], nominatorDept);
    // Every dorm slot needs its own party teacher; a few spare cover absences and transfers.
    const slots = def.dorms.buildings.reduce((s, b) => s + b.rooms * b.teachersPerRoom, 0);
    const partyNow = () => members.filter((m) => m.roles.includes('party-teacher')).length;
    const wanted = slots + r.int(3, 6);
    while (partyNow() < wanted) {
      const major = r.pick(MAJORS);
      const own = classes.filter((c) => c.major === major);
      const department = listed.length ? (listed.includes(major.department) ? major.department : r.pick(listed)) : major.department;
      add(['party-teacher'], department, someClasses(own, 1, 2));
    }
  } else {
    // Leaders first, as a school lists them: the principal's office has three, each centre two.
    for (const d of listed) {
      for (let i = /校长/.test(d) ? 3 : 2; i > 0; i--) add(['leader', 'teacher'], d);
    }
    for (let i = 0; i < cadresWanted; i++) add(['cadre', 'party-teacher'], office());
    // Ordinary teachers carry no department: a department quota binds everyone in it, and the
    // seed's quotas are the leaders' work, not every classroom teacher's.
    // 由班主任与副班主任、任课教师统筹安排: each class has both, and the students are theirs to share.
    for (const c of classes) {
      const sameGrade = classes.filter((o) => o.grade === c.grade && o !== c);
      add(['teacher', 'head-teacher'], '', [c.name, ...someClasses(sameGrade, 0, 2)], c.name);
      add(['teacher'], '', [c.name, ...someClasses(sameGrade, 0, 1)], '', c.name);
    }
    for (let i = Math.ceil(classes.length / 4); i > 0; i--) add(['teacher'], '', someClasses(classes, 2, 3));
    // Each grade's group is led by one of its head teachers (年级组长), who joins the big discussion.
    if (def.tasks.suggestions.enabled) {
      for (const grade of new Set(classes.map((c) => c.grade))) {
        members.find((m) => m.classLed && classes.find((c) => c.name === m.classLed)?.grade === grade)?.roles.push('grade-head');
      }
    }
  }

  // ── dorms ──
  const dorms: Array<Record<string, string>> = [];
  if (vocational) {
    const cast = new Set(DEMO_PEOPLE.map((p) => p.name));
    const party = members.filter((m) => m.roles.includes('party-teacher'));
    // The cast's party teachers get rooms first so the demo's familiar people have a dorm to check.
    const carers = [...party.filter((m) => cast.has(m.name)), ...r.shuffle(party.filter((m) => !cast.has(m.name)))];
    let nextCarer = 0;
    const taken = new Map<ClassInfo, Set<string>>();
    const free = (c: ClassInfo, male: boolean | undefined) => c.students.filter((s) => !taken.get(c)?.has(s.name) && (male === undefined || s.male === male));
    for (const b of def.dorms.buildings) {
      const male = b.residents === 'male' ? true : b.residents === 'female' ? false : undefined;
      for (let i = 0; i < b.rooms; i++) {
        const room = `${Math.floor(i / 10) + 1}${String((i % 10) + 1).padStart(2, '0')}`;
        const headcount = r.int(6, 8);
        const want = r.int(4, headcount);
        // Roommates mostly share a class; interns live at their enterprise, so they are a last resort.
        const residents: Array<{ name: string; cls: ClassInfo }> = [];
        for (const pool of [onCampus, classes]) {
          const order = r.shuffle(pool);
          for (const c of order) {
            if (residents.length >= want) break;
            for (const s of free(c, male).slice(0, want - residents.length)) {
              residents.push({ name: s.name, cls: c });
              if (!taken.has(c)) taken.set(c, new Set());
              taken.get(c)!.add(s.name);
            }
          }
          if (residents.length >= want) break;
        }
        const head = residents.length ? r.pick(residents) : undefined;
        const teachers = carers.slice(nextCarer, nextCarer + b.teachersPerRoom).map((m) => m.name);
        nextCarer += b.teachersPerRoom;
        dorms.push(
          completeRow('dorms', {
            building: b.name,
            room,
            headName: head?.name ?? '',
            headClass: head?.cls.name ?? '',
            headcount: String(Math.max(headcount, residents.length)),
            members: join(residents.map((s) => `${s.name}（${s.cls.name}）`)),
            teachers: join(teachers),
          }),
        );
      }
    }
  }

  // ── zones ──
  const zones: Array<Record<string, string>> = [];
  if (def.zoneReport.enabled) {
    const classNames = new Set(classes.map((c) => c.name));
    const linked = new Set<string>();
    const substitute = () => {
      const pool = onCampus.filter((c) => !linked.has(c.name));
      return r.pick(pool.length ? pool : classes).name;
    };
    const owners = new Set<string>();
    for (const z of DEMO_ZONES) {
      const cls = classNames.has(z.linkedClass) && !linked.has(z.linkedClass) ? z.linkedClass : substitute();
      linked.add(cls);
      owners.add(z.owner);
      zones.push(completeRow('zones', { name: z.name, owner: z.owner, linkedClass: cls }));
    }
    const cadres = members.filter((m) => m.roles.includes('cadre') && !owners.has(m.name));
    const names = EXTRA_ZONES.filter((n) => !DEMO_ZONES.some((z) => z.name === n));
    for (let i = 0; i < Math.min(4, cadres.length, names.length); i++) {
      const cls = substitute();
      linked.add(cls);
      zones.push(completeRow('zones', { name: names[i]!, owner: cadres[i]!.name, linkedClass: cls }));
    }
  }

  // ── targets ──
  const targets: Array<Record<string, string>> = [];
  const studentKinds = def.targetKinds.filter((k) => k.student);
  const homeKind = studentKinds.find((k) => k.place === 'home') ?? studentKinds[0];
  const enterpriseKind = studentKinds.find((k) => k.place === 'enterprise');
  const firmsByClass = new Map<ClassInfo, string[]>();
  const firmsFor = (c: ClassInfo) => {
    if (!firmsByClass.has(c)) {
      // A whole class interns at a handful of firms, not one each.
      const industry = c.major?.industry ?? '实业';
      firmsByClass.set(
        c,
        r
          .shuffle(FIRM_PREFIXES)
          .slice(0, r.int(2, 4))
          .map((p) => `示范市${p}${industry}有限公司`),
      );
    }
    return firmsByClass.get(c)!;
  };
  const family = (c: ClassInfo, s: { name: string }) => ({
    name: s.name,
    className: c.name,
    // Fathers share the child's surname; mothers, as in China, keep their own.
    parentName: r.chance(0.5) ? s.name[0]! + personName(r, true).slice(1) : personName(r, false),
    phone: targetPhones.next(),
    address: address(r),
  });

  if (def.targetCategories.length && homeKind) {
    const claimers = members.filter((m) => m.roles.includes(def.claiming.role));
    const pairs = classes.flatMap((c) => c.students.map((s) => ({ c, s })));
    const wanted = def.claiming.enabled ? Math.round(def.claiming.quota * claimers.length * 1.2) : classes.length * 6;
    const picked = r
      .shuffle(pairs)
      .slice(0, Math.min(wanted, pairs.length))
      .sort((a, b) => classes.indexOf(a.c) - classes.indexOf(b.c) || a.c.students.indexOf(a.s) - b.c.students.indexOf(b.s));
    for (const { c, s } of picked) {
      const cat = r.pick(def.targetCategories);
      const subKind = cat.subKinds.length ? r.pick(cat.subKinds) : '';
      const intern = c.interning && enterpriseKind;
      targets.push(
        completeRow('targets', {
          kind: (intern ? enterpriseKind : homeKind).name,
          ...family(c, s),
          enterprise: intern ? r.pick(firmsFor(c)) : '',
          category: cat.name,
          subKind,
          reason: reasonFor(r, subKind, cat.name),
          note: intern ? '整班顶岗实习' : r.chance(0.3) ? '学生处推荐' : '',
        }),
      );
    }
    // Pre-claim a few for the cast so the demo opens with claimed targets, well under the quota.
    if (def.claiming.enabled) {
      const cast = claimers.filter((m) => DEMO_PEOPLE.some((p) => p.name === m.name)).slice(0, 4);
      const open = r.shuffle(targets.map((_, i) => i));
      for (const m of cast) {
        for (let k = Math.min(r.int(1, 3), def.claiming.quota); k > 0 && open.length; k--) targets[open.pop()!]!.visitor = m.name;
      }
    }
  } else {
    for (const kind of def.targetKinds) {
      if (!kind.student) {
        const notes = KIND_NOTES[kind.key];
        for (let i = kind.expectedCount ?? 5; i > 0; i--) {
          let note = notes ? r.pick(notes) : '';
          if (kind.key === 'parent-committee' && classes.length) note += `（${r.pick(classes).name}家长）`;
          targets.push(
            completeRow('targets', {
              kind: kind.name,
              name: uniqueName(r, adultNames),
              phone: targetPhones.next(),
              address: kind.place === 'home' || kind.place === 'other' ? address(r) : '',
              note,
            }),
          );
        }
      }
    }
    // Each student appears under one kind only; visiting a leader is not also their home visit.
    const usedStudents = new Map<ClassInfo, Set<string>>(classes.map((c) => [c, new Set()]));
    const draw = (c: ClassInfo, n: number) => {
      const out = r.shuffle(c.students.filter((s) => !usedStudents.get(c)!.has(s.name))).slice(0, n);
      out.forEach((s) => usedStudents.get(c)!.add(s.name));
      return out.sort((a, b) => c.students.indexOf(a) - c.students.indexOf(b));
    };
    const familyKinds = new Set(def.coverage.filter((c) => c.rule !== 'interns-at-enterprise').map((c) => c.targetKind));
    // Home-visit kinds go last so the smaller kinds get their pick of students first.
    const ordered = [...studentKinds].sort((a, b) => Number(a === homeKind || familyKinds.has(a.key)) - Number(b === homeKind || familyKinds.has(b.key)));
    for (const kind of ordered) {
      if (kind.place === 'enterprise') {
        for (const c of classes.filter((x) => x.interning)) {
          for (const s of draw(c, 4)) targets.push(completeRow('targets', { kind: kind.name, ...family(c, s), enterprise: r.pick(firmsFor(c)) }));
        }
      } else if (kind === homeKind || familyKinds.has(kind.key)) {
        // The seed visits every student; eight per class keeps the sandbox quick to start.
        for (const c of classes) for (const s of draw(c, 8)) targets.push(completeRow('targets', { kind: kind.name, ...family(c, s) }));
      } else {
        // Class and brigade committees start in the middle grades.
        const notes = KIND_NOTES[kind.key];
        for (const c of classes.filter((x) => x.grade >= 3)) {
          for (const s of draw(c, 2)) {
            targets.push(
              completeRow('targets', { kind: kind.name, name: s.name, className: c.name, phone: targetPhones.next(), note: notes ? r.pick(notes) : '' }),
            );
          }
        }
      }
    }
  }

  return {
    classes: classes.map((c) =>
      completeRow('classes', { name: c.name, grade: String(c.grade), studentCount: String(c.students.length), interning: c.interning ? '是' : '否' }),
    ),
    members: members.map((m) =>
      completeRow('members', {
        name: m.name,
        mobile: m.mobile,
        email: m.email,
        roles: join(m.roles.map((x) => ROLE_LABELS[x] ?? x)),
        department: m.department,
        classesTaught: join(m.classesTaught),
        classLed: m.classLed,
        classDeputy: m.classDeputy,
      }),
    ),
    dorms,
    zones,
    targets,
  };
}

/**
 * A preset's demo campaign with its synthetic roster, imported the way a school
 * imports its own: the sandbox and `seed-demo --preset` both start from it.
 */
export async function seedPresetDemo(db: Db, campaign: CampaignDefinition, now: Date, lookup: ContactLookup): Promise<DemoRoster> {
  await new CampaignRepo(db).save(campaign);
  const roster = generateDemoRoster(campaign);
  const report = await importRoster(
    SHEET_KINDS.map((k) => sheetFromValues(k, roster[k], 'demo')),
    { db, campaign, now, lookup },
  );
  if (!report.applied) throw new Error(formatImportReport(report, 'demo'));
  return roster;
}
