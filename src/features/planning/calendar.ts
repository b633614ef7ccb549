import type { CampaignDefinition } from '../../domain/campaign.js';
import type { VisitPlan } from '../../db/schema.js';
import type { CalendarEventBody } from '../../feishu/api.js';
import { CLASS_SHOWN, oneLine } from '../../feishu/card-templates.js';
import { FeishuApiError } from '../../feishu/errors.js';
import type { FeatureDeps } from '../deps.js';
import { planPeople, type PlanRepo } from './repo.js';

/** How long a planned visit's event lasts: an hour, which the visitors may stretch in Feishu. */
export const VISIT_HOURS = 1;

/** The event's title by the visit's mode: what kind of visit, and at most the class. */
const KIND_BY_MODE: Record<string, string> = { 'in-person': '家访', phone: '电话家访', invited: '约谈家长（来校）' };
/** Where the event says the visit takes place: never the family's address, which the visitors have in the preparation card. */
const PLACE_BY_MODE: Record<string, string | undefined> = { 'in-person': '学生家中（地址见走访助手的准备卡片）', invited: '学校', phone: undefined };

/**
 * The event of a plan as its attendees see it. Nothing of the family goes in —
 * no student's name, address, phone or situation: a calendar is read on lock
 * screens, in shared views and by assistants. The class is enough to tell two
 * visits apart; the preparation card (a direct message) has the rest.
 */
export function eventOf(def: CampaignDefinition, plan: VisitPlan, className: string | null): CalendarEventBody {
  const kind = KIND_BY_MODE[plan.mode] ?? '走访';
  return {
    summary: className ? `${kind}（${oneLine(className, CLASS_SHOWN)}）` : kind,
    description: '走访助手安排的走访。对象情况、以往走访和待办事项见走访助手发来的准备卡片；走访后请在走访助手中填写记录。',
    start: plan.startsAt,
    end: new Date(plan.startsAt.getTime() + VISIT_HOURS * 3600_000),
    timezone: def.timezone,
    location: PLACE_BY_MODE[plan.mode],
  };
}

/** An event already gone (deleted in Feishu by someone) needs no deleting. */
const GONE = new Set([193001, 193003]);

/**
 * Brings a plan's calendar event up to its latest revision: creates it (with
 * its attendees), moves it, or deletes it for a cancelled plan. The plan is
 * stored before this runs and stays whatever happens; a failure is written on
 * the plan (shown on its card, with a retry) and the calendar job tries again.
 * Returns the failure's text, or null when the event is up to date.
 */
export function calendarSync(deps: FeatureDeps, plans: PlanRepo, classOf: (plan: VisitPlan) => string | null) {
  let primary: Promise<string> | null = null;
  const calendarId = (port: NonNullable<FeatureDeps['calendar']>) => {
    primary ??= port.primaryCalendarId().catch((e) => {
      primary = null;
      throw e;
    });
    return primary;
  };

  return async function sync(plan: VisitPlan, def: CampaignDefinition): Promise<string | null> {
    const port = deps.calendar;
    if (!port) return null;
    try {
      if (plan.status === 'cancelled') {
        if (plan.eventId && plan.calendarId) {
          await port.deleteEvent(plan.calendarId, plan.eventId).catch((e) => {
            if (!(e instanceof FeishuApiError && GONE.has(e.code))) throw e;
          });
        }
        plans.calendarSynced(plan.id, { calendarId: plan.calendarId, eventId: null, revision: plan.revision });
        return null;
      }
      const event = eventOf(def, plan, classOf(plan));
      const cal = plan.calendarId ?? (await calendarId(port));
      let eventId = plan.eventId;
      if (!eventId) {
        // One key per plan: a create whose answer was lost, tried again, is one event.
        eventId = await port.createEvent(cal, event, `zoufang-visit-plan-${plan.id}`);
        plans.eventCreated(plan.id, cal, eventId);
      } else {
        // A new time (or a retry after one): the event follows, and its attendees are told.
        await port.patchEvent(cal, eventId, event);
      }
      const people = await Promise.all(planPeople(plan).map((id) => deps.people.byId(id)));
      const openIds = people.map((p) => p?.openId).filter((x): x is string => !!x);
      if (openIds.length) await port.addEventAttendees(cal, eventId, openIds);
      plans.calendarSynced(plan.id, { calendarId: cal, eventId, revision: plan.revision });
      return null;
    } catch (e) {
      const err = FeishuApiError.from(e);
      // Ids and codes only: the plan's people and family stay out of the log.
      deps.log.warn({ planId: plan.id, code: err.code, retryable: err.retryable }, 'visit plan: calendar event not updated');
      const text = `${err.code}`;
      plans.calendarFailed(plan.id, text);
      return text;
    }
  };
}
