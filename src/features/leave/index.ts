import { z } from 'zod';
import type { CommandContext, Routes } from '../../bot/router.js';
import { toast, withCard } from '../../bot/events.js';
import type { Leave, Person } from '../../db/schema.js';
import { callbackButton, listRow, renderCard } from '../../feishu/card-templates.js';
import { pageOf, pageNav } from '../../feishu/card-budget.js';
import { UserFacingError } from '../../feishu/errors.js';
import { inZone, monthDay, parseTypedDay } from '../../domain/time.js';
import { LeaveRepo } from '../../db/leaves.js';
import { defineFeature } from '../feature.js';

/**
 * 请假与代班: an admin records that a teacher is away, and who stands in.
 * While away the teacher hears no reminders and their quota shrinks by those
 * days; the substitute receives and may file the weekly zone report and dorm
 * checks in their place. No reason is asked or kept.
 */

const USAGE =
  '用法：/请假 姓名 开始日期 结束日期 [代班 姓名]，例如 /请假 张伟 11-20 11-30 代班 李明；/请假 查看当前和即将开始的请假。\nUsage: /leave <name> <from> <to> [substitute <name>]';
/** Leave rows per card page. */
const LIST_PAGE = 10;

export const leaveFeature = defineFeature({ name: 'leave', at: import.meta.url }, (deps) => {
  const repo = new LeaveRepo(deps.db);

  const span = (l: Pick<Leave, 'startOn' | 'endOn'>) => `${monthDay(l.startOn)}–${monthDay(l.endOn)}`;

  async function personNamed(name: string): Promise<Person> {
    const found = await deps.people.named(name);
    if (!found.length) throw new UserFacingError(`名单中没有“${name}”。/ Nobody named ${name} on the roster.`);
    if (found.length > 1) throw new UserFacingError(`名单中有 ${found.length} 位“${name}”，请联系管理员在名单中区分。`);
    return found[0]!;
  }

  /** The leave list, a page at a time: a school's list outgrows one card (10 rows of six elements each); days in the campaign's time zone. */
  async function listCard(tz: string, offset = 0) {
    const today = inZone(deps.clock.now(), tz).format('YYYY-MM-DD');
    const all = await repo.current(today);
    const names = new Map((await deps.people.all()).map((p) => [p.id, p.name]));
    return pageOf(all, offset, {
      perPage: LIST_PAGE,
      render: (page, at) =>
        renderCard('list', {
          title: `请假与代班 · ${all.length} 条`,
          subtitle: 'Leave and substitutes',
          headerColor: 'blue',
          sections: [
            ...(page.length
              ? page.map((l) =>
                  listRow(
                    `**${names.get(l.personId)}** ${span(l)}${l.startOn <= today ? '（请假中）' : ''}${l.substituteId ? ` · 代班：${names.get(l.substituteId)}` : ''}`,
                    callbackButton('撤销', { action: 'leave.remove', leaveId: l.id, offset: at.from }),
                  ),
                )
              : [{ tag: 'markdown', content: '目前没有请假记录。' }]),
            ...pageNav(at, (o) => ({ action: 'leave.page', offset: o }), '条'),
            { tag: 'markdown', content: USAGE, text_size: 'notation' },
          ],
        }),
    });
  }

  async function record(ctx: CommandContext<'campaign', true>) {
    const admin = ctx.person;
    const parts = ctx.args.split(/\s+/).filter(Boolean);
    const subAt = parts.findIndex((p) => ['代班', '代', 'sub', 'substitute'].includes(p.toLowerCase()));
    const [name, from, to] = subAt === -1 ? parts : parts.slice(0, subAt);
    const subName = subAt === -1 ? undefined : parts[subAt + 1];
    if (!name || !from || !to || (subAt !== -1 && !subName)) throw new UserFacingError(USAGE);
    const year = inZone(deps.clock.now(), ctx.campaign.def.timezone).year();
    const startOn = parseTypedDay(from, year);
    let endOn = parseTypedDay(to, year);
    if (!startOn || startOn === 'no-such-day') throw new UserFacingError(`开始日期“${from}”无法识别，请写成 11-20 或 2026-11-20。`);
    if (!endOn || endOn === 'no-such-day') throw new UserFacingError(`结束日期“${to}”无法识别，请写成 11-30 或 2026-11-30。`);
    // 12-25 to 01-05 is a winter break, not a mistake: an end typed without its year falls after the start.
    if (endOn < startOn && !/\d{4}/.test(to)) endOn = parseTypedDay(to, year + 1) as string;
    if (endOn < startOn) throw new UserFacingError('结束日期早于开始日期。/ The end is before the start.');
    const person = await personNamed(name);
    const clash = await repo.overlapping(person.id, startOn, endOn);
    if (clash) throw new UserFacingError(`${person.name} 已有 ${span(clash)} 的请假，与这次的日期重叠。要修改，请先在 /请假 列表中撤销原来那条。`);
    const substitute = subName ? await personNamed(subName) : null;
    if (substitute?.id === person.id) throw new UserFacingError('代班人不能是请假人本人。');
    const leave = await repo.add({ personId: person.id, startOn, endOn, substituteId: substitute?.id ?? null, createdBy: admin.id });
    deps.log.info({ leaveId: leave.id, personId: person.id, substituteId: substitute?.id }, 'leave recorded');
    const key = `leave:${leave.id}`;
    await deps.send([
      ...(person.openId
        ? [
            {
              dedupeKey: `${key}:person`,
              to: { openId: person.openId },
              purpose: 'leave.notice',
              text: `${admin.name} 已为你登记 ${span(leave)} 请假。这期间不会收到走访提醒，当月走访要求按在岗天数相应减少${substitute ? `；环境责任区报表和宿舍检查由 ${substitute.name} 老师代班` : ''}。祝一切顺利！`,
            },
          ]
        : []),
      ...(substitute?.openId
        ? [
            {
              dedupeKey: `${key}:substitute`,
              to: { openId: substitute.openId },
              purpose: 'leave.notice',
              text: `${span(leave)} ${person.name} 老师请假，由你代班：这期间你会收到并可以填写 ${person.name} 老师负责的环境责任区报表和宿舍检查。谢谢！`,
            },
          ]
        : []),
    ]);
    await ctx.reply({
      text: `已登记：${person.name} ${span(leave)} 请假${substitute ? `，${substitute.name} 代班` : ''}。已私信通知本人${substitute ? '和代班老师' : ''}。`,
    });
  }

  function register(router: Routes) {
    router.command({
      names: ['/请假', '/leave'],
      summary: '登记请假与代班（管理员）/ record leave and a substitute',
      adminOnly: true,
      needs: 'campaign',
      async handler(ctx) {
        if (!ctx.args) return ctx.reply({ card: await listCard(ctx.campaign.def.timezone) });
        return record(ctx);
      },
    });
    const admins = { adminOnly: true, needs: 'campaign' } as const;
    router.action('leave.page', z.object({ offset: z.number().int().min(0) }), admins, async ({ value, campaign }) =>
      withCard({}, await listCard(campaign.def.timezone, value.offset)),
    );
    router.action(
      'leave.remove',
      z.object({ leaveId: z.number().int().positive(), offset: z.number().int().min(0).default(0) }),
      admins,
      async ({ value, campaign }) => {
        const removed = await repo.remove(value.leaveId);
        deps.log.info({ leaveId: value.leaveId, removed: !!removed }, 'leave removed');
        return withCard(
          removed ? toast('success', '已撤销这条请假。') : toast('info', '这条请假已经撤销过了。'),
          await listCard(campaign.def.timezone, value.offset),
        );
      },
    );
  }

  return { register };
});
