import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Routes } from '../../bot/router.js';
import { AssignmentRepo } from '../../db/assignments.js';
import type { ActiveCampaign } from '../../db/repos.js';
import { dorms, people, targets, type Person, type Zone } from '../../db/schema.js';
import { ONCE_TASK_NAMES, obligationsOf, type Obligation } from '../../domain/obligations.js';
import { daysBetween, isAvailable, termOn } from '../../domain/periods.js';
import { byChinese, classTermStanding, quotaPeriodOn } from '../../domain/quotas.js';
import { formatDeadline, formatDue, localDate, localMidnight, monthDay } from '../../domain/time.js';
import { currentWeek, localLabel, missedWeeks, reportWeeks } from '../../domain/weeks.js';
import { buttonRow, callbackButton, CLASS_SHOWN, oneLine, renderCard, reopenNote, shortName } from '../../feishu/card-templates.js';
import { heldLine } from '../../domain/targets.js';
import { ClaimRepo } from '../claiming/repo.js';
import { currentCampaign } from '../deps.js';
import { LeaveRepo } from '../../db/leaves.js';
import { ScheduleFacts } from '../reminders/facts.js';
import { openValueOf } from '../reminders/index.js';
import { ZoneReports, type ZoneReport } from '../../records/zone-reports.js';
import { defineFeature } from '../feature.js';
import { campaignShapeSections } from './shape.js';

/** Students named in each of a class's lists on /进度; a class of 45 with their visitors would crowd a phone screen. */
const CLASS_NAMES_SHOWN = 30;
/** How many "fill in week N" buttons one card offers; the rest are named in text. */
const MAX_BUTTONS = 4;

const hr = { tag: 'hr' };

/**
 * /进度 · /progress — the sender's own obligations in this period and the
 * term: zone reports, dorms, visits against quota, the once-per-term forms,
 * what is due next, and a button to fill each.
 */
export const progressFeature = defineFeature({ name: 'progress', at: import.meta.url, needs: ['openers', 'visitPlans'] }, (deps) => {
  const { openers } = deps;
  const zoneReports = new ZoneReports(deps.db);
  const claims = new ClaimRepo(deps.db);
  const holdings = new AssignmentRepo(deps.db);
  const facts = new ScheduleFacts(deps.db);
  const leaves = new LeaveRepo(deps.db);
  const shape = campaignShapeSections(deps, openers);
  // Asked by a head teacher's every /进度: prepared once.
  const $ = sql.placeholder;
  const classStudents = deps.db
    .select({ id: targets.id, name: targets.name, kind: targets.kind, className: targets.className })
    .from(targets)
    .where(and(eq(targets.campaignId, $('campaignId')), eq(targets.className, $('className')), eq(targets.status, 'open')))
    .prepare();
  const namesOf = deps.db
    .select({ id: people.id, name: people.name })
    .from(people)
    .where(sql`${people.id} in (select value from json_each(${$('ids')}))`)
    .prepare();

  /** This week's zone report and the weeks missed, per zone the person owns. */
  function zoneSection(c: ActiveCampaign, zone: Zone, reports: ZoneReport[], now: Date) {
    const { def } = c;
    const tz = def.timezone;
    const weeks = reportWeeks(def).filter((w) => w.start <= now);
    const current = currentWeek(def, now);
    const filed = new Map(reports.filter((r) => r.zoneId === zone.id).map((r) => [r.weekNo, r]));
    const missed = missedWeeks(def, new Set(filed.keys()), now);
    const lateCount = [...filed.values()].filter((r) => r.late).length;
    const lines = [`**环境责任区报表** · ${zone.name}${zone.linkedClass ? `（联系班级 ${zone.linkedClass}）` : ''}`];
    if (!current) {
      lines.push(now < localMidnight(def.window.start, tz).toDate() ? '活动尚未开始。' : '活动周期内的报表周已结束。');
    } else {
      const r = filed.get(current.weekNo);
      lines.push(
        r
          ? `本周 ${localLabel(current, tz)}：✅ 已提交${r.late ? '（补交）' : ''}`
          : now < current.pushAt
            ? `本周 ${localLabel(current, tz)}：报表将于 ${formatDeadline(current.pushAt, tz)} 发给你`
            : `本周 ${localLabel(current, tz)}：⏳ 未提交，${formatDue(current.dueAt, tz)} 截止`,
      );
    }
    lines.push(
      `本学期累计：已提交 **${filed.size}/${weeks.length}** 周${lateCount ? `（其中补交 ${lateCount} 周）` : ''}${missed.length ? `，<font color='red'>未交 ${missed.length} 周：${missed.map((w) => `第${w.weekNo}周`).join('、')}</font>` : ''}`,
    );
    const toFill = [...(current && !filed.has(current.weekNo) && now >= current.pushAt ? [current] : []), ...[...missed].reverse()];
    const buttons = toFill
      .slice(0, MAX_BUTTONS)
      .map((w) => callbackButton(w === current ? `填写第${w.weekNo}周` : `补交第${w.weekNo}周`, openers.zoneReport(def.id, zone.id, w.weekNo), 'primary'));
    return { blocks: [{ tag: 'markdown', content: lines.join('\n') }, ...(buttons.length ? [buttonRow(buttons)] : [])], behind: missed.length };
  }

  /** Dorms, the claimed targets and how many are left to claim. */
  async function assignmentSections(c: ActiveCampaign, person: Person): Promise<object[]> {
    const { def } = c;
    const out: object[] = [];
    const dormIds = await holdings.heldBy(def.id, 'dorm', person.id);
    if (dormIds.length) {
      const rooms = deps.db.select().from(dorms).where(inArray(dorms.id, dormIds)).all();
      const lines = [];
      for (const d of rooms) {
        const others = (await holdings.holders('dorm', d.id)).filter((p) => p.id !== person.id).map((p) => p.name);
        lines.push(`${d.building}${d.room}${d.headcount ? `（${d.headcount} 人）` : ''}${others.length ? `，与 ${others.join('、')} 老师一起` : ''}`);
      }
      out.push({ tag: 'markdown', content: `**关爱宿舍**（输入 /宿舍 填写检查）\n${lines.join('\n')}` }, hr);
    }
    if (def.claiming.enabled && person.roles.includes(def.claiming.role)) {
      const held = await claims.heldBy(def.id, person.id);
      const left = def.claiming.quota - held.length;
      out.push({
        tag: 'markdown',
        content: `**走访对象** · 已认领 **${held.length}/${def.claiming.quota}**${left > 0 ? `，<font color='orange'>还需认领 ${left} 位</font>` : ''}${held.length ? `\n${held.map((t) => `- ${heldLine(def, t)}`).join('\n')}` : ''}`,
      });
      if (held.length)
        out.push(buttonRow(held.slice(0, MAX_BUTTONS).map((t) => callbackButton(`约访 ${shortName(t.name)}`, deps.visitPlans.planValue(def.id, t.id)))));
      if (left > 0) out.push(callbackButton('去认领', { action: 'claim.page', campaignId: def.id, offset: 0 }, 'primary'));
      out.push(hr);
    }
    return out;
  }

  /**
   * A head teacher's class this term (seed 002: 班主任统筹安排): who has been
   * visited and by whom, who not yet, and the in-person count against the
   * campaign's per-class minimum. Only for the teacher who leads the class.
   */
  async function classSection(c: ActiveCampaign, person: Person, today: string): Promise<object[]> {
    const { def } = c;
    if (!person.classLed) return [];
    const students = classStudents.all({ campaignId: def.id, className: person.classLed });
    // The standing is of this term: its visits are all it reads.
    const standing = classTermStanding(def, person.classLed, students, await facts.visitsTo(def.id, students, termOn(def, today)), today);
    if (!standing?.students.length) return [];
    const nameOf = new Map(students.map((t) => [t.id, t.name]));
    const visitorIds = [...new Set(standing.students.flatMap((s) => s.visitorIds))];
    const teachers = new Map((visitorIds.length ? namesOf.all({ ids: JSON.stringify(visitorIds) }) : []).map((p) => [p.id, p.name]));
    const visited = standing.students.filter((s) => s.visitorIds.length);
    const notYet = standing.students.filter((s) => !s.visitorIds.length);
    const inPerson = standing.students.filter((s) => s.inPerson).length;
    const min = standing.inPersonMin;
    const listed = (xs: string[]) => `${xs.slice(0, CLASS_NAMES_SHOWN).join('、')}${xs.length > CLASS_NAMES_SHOWN ? ` 等 ${xs.length} 位` : ''}`;
    const lines = [
      `**班级家访** · ${oneLine(person.classLed, CLASS_SHOWN)}（${standing.term.label}）`,
      `本学期已走访 **${visited.length}/${standing.students.length}** 位学生${min ? `；上门家访 **${inPerson}** 位${inPerson >= min ? ' ✅' : `，<font color='orange'>每班至少 ${min} 位，还差 ${min - inPerson} 位</font>`}` : ''}`,
      ...(notYet.length
        ? [`<font color='orange'>未走访（${notYet.length} 位）</font>：${listed(notYet.map((s) => shortName(nameOf.get(s.id)!)))}`]
        : ['全班都已走访 👍']),
      ...(visited.length
        ? [
            `已走访：${listed(
              visited.map(
                (s) =>
                  `${shortName(nameOf.get(s.id)!)}（${s.visitorIds
                    .map((id) => shortName(teachers.get(id) ?? ''))
                    .sort(byChinese)
                    .join('、')}${s.inPerson ? '·上门' : ''}）`,
              ),
            )}`,
          ]
        : []),
    ];
    return [{ tag: 'markdown', content: lines.join('\n') }, hr];
  }

  /** One line per obligation: where the person stands and, when there is something to do, a button. */
  function obligationBlocks(c: ActiveCampaign, list: Obligation[], today: string): object[] {
    const out: object[] = [];
    const visits = list.filter((o): o is Exclude<Obligation, { kind: 'once' }> => o.kind !== 'once');
    const once = list.filter((o): o is Extract<Obligation, { kind: 'once' }> => o.kind === 'once');
    if (visits.length) {
      const lines = visits.map((o) => {
        if (o.kind === 'quota') {
          const s = o.standing;
          const mark = s.state === 'met' ? '✅' : s.state === 'excused' ? '🌴' : s.state === 'behind' || s.state === 'missed' ? '⚠️' : '⏳';
          const rest =
            s.state === 'met'
              ? '已达标'
              : s.state === 'excused'
                ? '请假期间不作要求'
                : `还差 ${s.required - s.done} 位，剩 ${s.daysLeft} 天${s.state === 'behind' ? `（按进度此时应走访 ${s.expectedNow} 位）` : ''}`;
          // People, not visits: two calls on one family count once.
          return `${mark} ${s.period.label}「${s.quota.name}」：已走访 **${s.done}/${s.required}** 位，${rest}`;
        }
        const s = o.standing;
        const mark = s.state === 'met' ? '✅' : s.state === 'behind' || s.state === 'missed' ? '⚠️' : '⏳';
        return `${mark} 认领对象：已走访 **${s.visited}/${s.required}** 位${s.claimed < s.required ? `（已认领 ${s.claimed} 位，还需认领 ${s.required - s.claimed} 位）` : ''}${s.state === 'met' ? '' : `，截止 ${formatDue(o.dueOn)}${s.state === 'behind' ? `（按进度此时应约 ${s.expectedNow} 位）` : ''}`}`;
      });
      out.push({ tag: 'markdown', content: `**走访任务**\n${lines.join('\n')}` });
      out.push(buttonRow([callbackButton('记录走访 Record a visit', openValueOf(openers, c.row.id, visits[0]!), 'primary')]));
      out.push(hr);
    }
    if (once.length) {
      const lines = once.map(
        (o) =>
          `${o.done ? '✅' : o.dueOn < today ? '⚠️' : '⏳'} ${ONCE_TASK_NAMES[o.task]}${o.subjectLabel ? `（${o.subjectLabel}）` : ''}：${o.done ? '已提交' : o.dueOn < today ? `已逾期（${formatDue(o.dueOn)} 截止）` : `${formatDue(o.dueOn)} 截止`}`,
      );
      const todo = once.filter((o) => !o.done).slice(0, MAX_BUTTONS);
      out.push({ tag: 'markdown', content: `**期末上交材料**\n${lines.join('\n')}` });
      if (todo.length)
        out.push(buttonRow(todo.map((o) => callbackButton(`填写${ONCE_TASK_NAMES[o.task].replace(/（.*）/, '')}`, openValueOf(openers, c.row.id, o)))));
      out.push(hr);
    }
    return out;
  }

  /** What is already past its deadline, above "接下来": the most urgent first. */
  function overdue(list: Obligation[], today: string): string | undefined {
    const late = list
      .map((o) =>
        o.kind === 'once'
          ? !o.done && o.dueOn < today
            ? { on: o.dueOn, what: ONCE_TASK_NAMES[o.task] }
            : undefined
          : o.standing.state === 'missed'
            ? { on: o.kind === 'quota' ? o.standing.period.end : o.dueOn, what: o.kind === 'quota' ? o.standing.quota.name : '认领对象走访' }
            : undefined,
      )
      .filter((x): x is { on: string; what: string } => !!x)
      .sort((a, b) => a.on.localeCompare(b.on));
    return late.length ? `<font color='red'>⚠️ 已逾期：${late.map((x) => `${x.what}（${formatDue(x.on)} 截止）`).join('、')}</font>` : undefined;
  }

  /** "接下来": the nearest deadline not yet met. */
  function nextDue(list: Obligation[], today: string): string | undefined {
    const open = list
      .map((o) =>
        o.kind === 'once'
          ? !o.done
            ? { on: o.dueOn, what: ONCE_TASK_NAMES[o.task] }
            : undefined
          : o.standing.state === 'met' || o.standing.state === 'excused'
            ? undefined
            : { on: o.kind === 'quota' ? o.standing.period.end : o.dueOn, what: o.kind === 'quota' ? o.standing.quota.name : '认领对象走访' },
      )
      .filter((x): x is { on: string; what: string } => !!x && x.on >= today)
      .sort((a, b) => a.on.localeCompare(b.on));
    return open[0] && `📌 接下来：${open[0].what}，${formatDue(open[0].on)} 截止（还有 ${daysBetween(today, open[0].on)} 天）`;
  }

  function register(router: Routes) {
    router.command({
      names: ['/进度', '/progress'],
      summary: '查看我的进度 / my progress',
      needs: 'person',
      async handler({ person, reply }) {
        const now = deps.clock.now();
        const all = await deps.campaigns.all();
        const c = currentCampaign(all, now);
        const sections: object[] = [];
        let behind = 0;

        const zones = await zoneReports.zonesOwnedBy(person.id);
        const reports = await zoneReports.reportsFor(zones.map((z) => z.id));
        const byId = new Map(all.map((x) => [x.row.id, x]));
        for (const zone of zones) {
          const zc = byId.get(zone.campaignId);
          if (!zc) continue;
          const s = zoneSection(zc, zone, reports, now);
          sections.push(...s.blocks, hr);
          behind += s.behind;
        }
        if (c) {
          const today = localDate(now, c.def.timezone);
          // The card shows this period's quotas only: the period that just ended (obligationSpans) is for the admins' stage.
          const spans = c.def.quotas.flatMap((q) => quotaPeriodOn(c.def, q, today) ?? []);
          const f = await facts.personal(c, person, { spans, claimsTerm: termOn(c.def, today) });
          const mine = obligationsOf(c.def, f, today).filter((o) => o.personIds.includes(person.id));
          behind += mine.filter((o) =>
            o.kind === 'once' ? !o.done && o.dueOn < today : o.standing.state === 'behind' || o.standing.state === 'missed',
          ).length;
          const away = f.people[0] && !isAvailable(f.people[0].availability, today) ? await leaves.on(person.id, today) : null;
          const head = [
            away ? `🌴 请假中（${monthDay(away.startOn)}–${monthDay(away.endOn)}），期间不会收到提醒，走访要求按在岗天数折算。` : '',
            overdue(mine, today) ?? '',
            nextDue(mine, today) ?? '',
          ].filter(Boolean);
          if (head.length) sections.unshift({ tag: 'markdown', content: head.join('\n') }, hr);
          sections.push(...obligationBlocks(c, mine, today), ...(await classSection(c, person, today)), ...(await assignmentSections(c, person)));
          for (const blocks of [await shape.photoGaps(c, person), await shape.discussion(c, person, today), await deps.visitPlans.progressBlocks(c, person)])
            if (blocks.length) sections.push(...blocks, hr);
          const phase = shape.phase(c, today);
          if (phase.length) sections.unshift(...phase, hr);
        }
        while ((sections.at(-1) as { tag?: string } | undefined)?.tag === 'hr') sections.pop();
        // A teacher keeps this card and comes back to its buttons; they stop working after 14 days.
        sections.push(sections.length ? reopenNote('/进度') : { tag: 'markdown', content: '你目前没有需要填写的任务。/ Nothing is assigned to you yet.' });
        await reply({
          card: renderCard('progress', {
            name: person.name,
            campaignLine: c?.def.name ?? '走访助手',
            headerColor: behind ? 'orange' : 'green',
            sections,
          }),
        });
      },
    });
  }
  return { register };
});
