import { z } from 'zod';

/**
 * The campaign definition: what a school configures. The foundation knows the
 * window, the branch group and the weekly zone report; later issues add the
 * remaining tasks. Parsed with zod so a bad file names the path and the problem.
 */

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, '日期格式应为 YYYY-MM-DD / date must be YYYY-MM-DD');
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '时间格式应为 HH:mm / time must be HH:mm');
/** ISO weekday: 1 = Monday … 7 = Sunday. */
const weekday = z.number().int().min(1).max(7);

export const weeklyMoment = z.object({ weekday, time: hhmm });
export type WeeklyMoment = z.infer<typeof weeklyMoment>;

export const campaignDefinitionSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,40}$/, '只能用小写字母、数字和连字符 / lowercase letters, digits and hyphens only'),
    name: z.string().min(1),
    timezone: z.string().default('Asia/Shanghai'),
    window: z.object({ start: isoDate, end: isoDate }),
    branchChatId: z.string().regex(/^oc_\w+$/).optional(),
    zoneReport: z
      .object({
        enabled: z.boolean().default(true),
        /** When each owner receives the week's card (default Friday 16:00). */
        pushAt: weeklyMoment.default({ weekday: 5, time: '16:00' }),
        /** Due in the following week (default Monday 09:00): reminders and the overdue list go out then. */
        dueAt: weeklyMoment.default({ weekday: 1, time: '09:00' }),
      })
      .prefault({}),
    digest: z
      .object({
        /** The weekly digest to the branch group, about the week before (default Monday 09:00). */
        weeklyAt: weeklyMoment.default({ weekday: 1, time: '09:00' }),
      })
      .prefault({}),
    privacy: z
      .object({
        /** Whether group messages may name overdue teachers or only count them. */
        overdueInGroup: z.enum(['names', 'counts']).default('names'),
      })
      .prefault({}),
  })
  .refine((d) => d.window.start <= d.window.end, { path: ['window', 'end'], message: '结束日期早于开始日期 / end is before start' })
  .refine((d) => Intl.supportedValuesOf('timeZone').includes(d.timezone) || d.timezone === 'UTC', {
    path: ['timezone'],
    message: '未知时区 / unknown time zone',
  });

export type CampaignDefinition = z.infer<typeof campaignDefinitionSchema>;

export class CampaignDefinitionError extends Error {
  constructor(readonly source: string, readonly problems: string[]) {
    super(`活动配置有误 / invalid campaign definition (${source}):\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'CampaignDefinitionError';
  }
}

export function parseCampaignDefinition(input: unknown, source = 'campaign'): CampaignDefinition {
  const r = campaignDefinitionSchema.safeParse(input);
  if (!r.success) {
    throw new CampaignDefinitionError(
      source,
      r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return r.data;
}
