import { z } from 'zod';
import type { Routes } from '../../bot/router.js';
import { toast, withCard, type CardReply } from '../../bot/events.js';
import type { ActiveCampaign } from '../../db/repos.js';
import type { Person, RecordForm, RecordRow } from '../../db/schema.js';
import { callbackButton, renderCard, reopenNote, textTag } from '../../feishu/card-templates.js';
import { UserFacingError } from '../../feishu/errors.js';
import { formatDue, formatLocal, localDate } from '../../domain/time.js';
import { formComponents, summaryBlocks, validate, type Checked, type FormData, type Fields } from '../../records/fields.js';
import type { RaisedIssue } from '../../db/ledger-raising.js';
import type { RecordRepo, SaveOutcome, Subject } from '../../records/repo.js';
import type { FeatureDeps, Provided } from '../deps.js';
import { newSubmissionKey } from '../../records/submission-key.js';

/**
 * The one flow every form follows: open (a blank or pre-filled form, or the
 * stored record when the period is already filed), submit (validate with
 * per-field messages, store with history, turn the card read-only), and edit.
 * A form plugs in what differs: which subject it is about, who may file it,
 * its fields, and what a submission sets off (ledger items, a leader's DM).
 */

/** What one open form is about, resolved and authorised for the person. */
export interface FormView {
  campaign: ActiveCampaign;
  subject: Subject;
  /** Once-per-period forms: the period; null for forms filed freely (visits, suggestions). */
  periodKey: string | null;
  title: string;
  subtitle: string;
  fields: Fields;
  /** Values a new record starts from (from the roster, earlier checks, the reminder). */
  prefill: FormData;
  /** After this moment a first submission is marked late. */
  dueAt?: Date;
  intro?: string;
  /** How the subject (and period) read at the head of a ledger item the record raises: "A栋101", "田径场（第3周）". */
  issueHeading?: string;
  /** Read-only blocks above the form and on the summary (a target's details, shown only to its visitors). */
  context: object[];
  /** The card value that re-opens this view. */
  ref: Record<string, unknown>;
}

export interface FormBinding<R extends Record<string, unknown>> {
  /** The binding's module (`import.meta.url`): `zoufang routes` lists the form's actions under its file. */
  at: string;
  form: RecordForm;
  /** The zod shape of the card value that names what the form is about. */
  ref: z.ZodType<R>;
  /** Loads and authorises: throws a UserFacingError for someone who may not file it. */
  view(ref: R, person: Person, record?: RecordRow): Promise<FormView>;
  /** The ref that re-opens a stored record's form. */
  refOf(record: RecordRow): R;
  /** Forms filed again and again (visits) open blank each time; the others show what is stored. */
  repeatable?: boolean;
  /** Rules across fields (a leader named when the follow-up is "report to a leader"), as per-field problems. */
  check?(data: FormData, view: FormView): Array<{ field: string; message: string }>;
  occurredOn?(data: FormData, view: FormView): string;
  issues?(data: FormData, view: FormView): RaisedIssue[];
  coVisitors?(data: FormData): number[];
  /** Runs after a save that changed something; returns lines added to the toast. */
  afterSave?(o: SaveOutcome, view: FormView, person: Person, data: FormData): Promise<string[]>;
  /** Blocks shown on the read-only card below the fields (visitors, photos, ledger items). */
  extra?(record: RecordRow, view: FormView, forOthers: boolean): Promise<object[]>;
  /**
   * For a form kept for weeks (once a term): the command that opens it again,
   * named on its cards, whose buttons stop working after 14 days.
   */
  reopenWith?: string;
}

/** A nudge to fill a form: a kind line, the button that opens it pre-filled, and (once) a snooze. */
export const reminderCard = (o: {
  title: string;
  subtitle: string;
  message: string;
  openValue: object;
  openLabel?: string;
  overdue?: boolean;
  snoozeValue?: object;
  /** Shown instead of the snooze button once it was used. */
  note?: string;
  /** The command that gives a fresh copy, for a reminder that may be read after its button stopped working. */
  reopenWith?: string;
}) =>
  renderCard('record-reminder', {
    title: o.title,
    subtitle: o.subtitle,
    message: o.message,
    headerColor: o.overdue ? 'orange' : 'blue',
    actions: [
      {
        tag: 'column_set',
        flex_mode: 'flow',
        columns: [
          callbackButton(o.openLabel ?? '现在填写 Fill in now', o.openValue, 'primary'),
          ...(o.snoozeValue ? [callbackButton('明天再提醒我 Remind me later', o.snoozeValue)] : []),
        ].map((b) => ({ tag: 'column', width: 'auto', elements: [b] })),
      },
      ...(o.note ? [{ tag: 'markdown', content: o.note, text_size: 'notation' }] : []),
    ],
    reopen: o.reopenWith ? [reopenNote(o.reopenWith)] : [],
  });

export const today = (deps: FeatureDeps, tz: string) => localDate(deps.clock.now(), tz);

/** A date field that must fall between two days ('YYYY-MM-DD'): the problem to show under it, if any. */
export function dayOutside(field: string, label: string, day: string, earliest: { on: string; what: string }, latest: { on: string; what: string }) {
  if (day > latest.on) return [{ field, message: `「${label}」不能晚于${latest.what}（${latest.on}）` }];
  if (day < earliest.on) return [{ field, message: `「${label}」不能早于${earliest.what}（${earliest.on}）` }];
  return [];
}

/** What a form needs: the app's ports, and the ledger's announcement for the items a record raises. */
export type FormDeps = FeatureDeps & Pick<Provided, 'announceLedger'>;

export function formFlow<R extends Record<string, unknown>>(deps: FormDeps, repo: RecordRepo, b: FormBinding<R>) {
  /**
   * A new record's form. A repeating form carries a key of its own, so the same
   * form submitted twice (a double click, a callback retried) files one record.
   */
  function formCard(view: FormView, o: { values: FormData; problems?: Array<{ field: string; message: string }>; record?: RecordRow; submissionKey?: string }) {
    const tz = view.campaign.def.timezone;
    const now = deps.clock.now();
    const overdue = !o.record && view.dueAt && now >= view.dueAt;
    const intro = o.record
      ? `修改后保存，原内容会保留在修改记录中。/ Your earlier version is kept in the history.`
      : [
          view.intro,
          view.dueAt
            ? overdue
              ? `已于 ${formatDue(view.dueAt, tz)} 截止，现在提交会记为**补交**。`
              : `**${formatDue(view.dueAt, tz)} 截止**，请按时提交。`
            : '',
          '带“（选填）”的可以不填。',
        ]
          .filter(Boolean)
          .join('\n');
    return renderCard('record-form', {
      title: view.title,
      subtitle: view.subtitle,
      headerColor: o.problems?.length ? 'red' : overdue ? 'orange' : 'blue',
      tags: o.record ? [textTag('修改中', 'blue')] : overdue ? [textTag('补交', 'orange')] : [],
      intro,
      problems: o.problems?.length
        ? [{ tag: 'markdown', content: `<font color='red'>请修改后再提交 / please fix：</font>\n${o.problems.map((p) => `- ${p.message}`).join('\n')}` }]
        : [],
      context: view.context,
      fields: formComponents(view.fields, o.values, o.problems),
      submitText: o.record ? '保存修改 Save' : '提交 Submit',
      submitValue: {
        action: `${b.form}.submit`,
        ...view.ref,
        ...(o.record ? { recordId: o.record.id, baseRevision: o.record.revision } : {}),
        ...(!o.record && b.repeatable ? { submissionKey: o.submissionKey ?? newSubmissionKey(now) } : {}),
      },
      reopen: b.reopenWith ? [reopenNote(b.reopenWith)] : [],
    });
  }

  async function summaryCard(view: FormView, record: RecordRow, o: { editable?: boolean; heading?: string } = {}) {
    const tz = view.campaign.def.timezone;
    const tags = [record.late ? textTag('补交', 'orange') : textTag('已提交', 'green')];
    if (record.revision > 1) tags.push(textTag('已修改', 'blue'));
    const footer = [
      `提交于 ${formatLocal(record.submittedAt, tz)}${record.late ? '（超过截止时间）' : ''}`,
      record.revision > 1 ? `第 ${record.revision} 版，最后修改于 ${formatLocal(record.updatedAt, tz)}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    return renderCard('record-summary', {
      title: view.title,
      subtitle: o.heading ?? view.subtitle,
      headerColor: record.late ? 'orange' : 'green',
      tags,
      context: view.context,
      blocks: summaryBlocks(view.fields, record.data),
      // A read-only copy goes to someone else (a leader): prompts meant for the visitor stay out of it.
      extra: b.extra ? await b.extra(record, view, o.editable === false) : [],
      footer,
      actions: o.editable === false ? [] : [callbackButton('修改 Edit', { action: `${b.form}.edit`, recordId: record.id }, 'default')],
      reopen: o.editable !== false && b.reopenWith ? [reopenNote(b.reopenWith)] : [],
    });
  }

  /**
   * A stored record's card for someone allowed to read it: one of its visitors,
   * who may change it, or an admin, who reads it as its author filed it.
   */
  async function readCard(record: RecordRow, reader: Person, visitor: boolean) {
    if (visitor) return summaryCard(await viewOfStored(record, reader), record);
    const author = await deps.people.byId(record.authorId);
    if (!author) throw new UserFacingError('这条记录的填写人已不在名单中。');
    return summaryCard(await b.view(b.refOf(record), author, record), record, { editable: false });
  }

  /** The card that opens the form: the stored record for a filed period, else a fresh form. */
  async function open(ref: R, person: Person): Promise<CardReply> {
    const view = await b.view(ref, person);
    if (!b.repeatable && view.periodKey !== null) {
      const stored = await repo.forPeriod(view.campaign.row.id, b.form, view.subject, view.periodKey);
      if (stored)
        return withCard(toast('info', '这份已经提交过了，可以点“修改”更新。', 'Already submitted; use Edit to change it.'), await summaryCard(view, stored));
    }
    await repo.openDraft(person.id, b.form, view.subject, null, deps.clock.now());
    return withCard({}, formCard(view, { values: view.prefill }));
  }

  async function stored(recordId: number): Promise<RecordRow> {
    const record = await repo.get(recordId);
    if (!record || record.form !== b.form) throw new UserFacingError('这条记录已不存在。/ This record no longer exists.');
    return record;
  }

  function register(feature: Routes) {
    const router = feature.from(b.at);
    router.action(`${b.form}.open`, z.object({ action: z.string() }).passthrough(), async ({ value, person }) => open(parseRef(value), person));

    router.action(`${b.form}.edit`, z.object({ recordId: z.number().int().positive() }), async ({ value, person, event }) => {
      const record = await stored(value.recordId);
      const view = await viewOfStored(record, person);
      await repo.openDraft(person.id, b.form, view.subject, record.id, deps.clock.now());
      // The record's card becomes this form: a photo arriving now must not overwrite what is being typed.
      if (event.messageId) await repo.forgetCard(record.id, event.messageId);
      return withCard({}, formCard(view, { values: record.data, record }));
    });

    router.action(
      `${b.form}.submit`,
      z
        .object({
          recordId: z.number().int().positive().optional(),
          baseRevision: z.number().int().min(0).optional(),
          submissionKey: z.string().uuid().optional(),
        })
        .passthrough(),
      async ({ value, person, form, event }) => {
        const record = value.recordId ? await stored(value.recordId) : undefined;
        const view = record ? await viewOfStored(record, person) : await b.view(parseRef(value), person);
        const checked = crossChecked(validate(view.fields, form), view);
        if (!checked.ok) {
          // The card comes back with what was typed and each problem under its field; nothing is lost.
          return withCard(
            toast('error', checked.problems.map((p) => p.message).join('；'), 'Please fix the fields marked in red.'),
            formCard(view, { values: checked.typed, problems: checked.problems, record, submissionKey: value.submissionKey }),
          );
        }
        const now = deps.clock.now();
        const data = checked.data;
        const outcome = await repo.save({
          campaignId: view.campaign.row.id,
          form: b.form,
          subject: view.subject,
          periodKey: view.periodKey,
          recordId: record?.id,
          submissionKey: record ? undefined : value.submissionKey,
          // What the card was opened on: a fresh form on nothing, an edit form on the version it showed.
          baseRevision: record ? value.baseRevision : 0,
          authorId: record?.authorId ?? person.id,
          occurredOn: b.occurredOn?.(data, view) ?? record?.occurredOn ?? today(deps, view.campaign.def.timezone),
          data,
          at: now,
          late: !!view.dueAt && now >= view.dueAt,
          coVisitorIds: b.coVisitors?.(data),
          issues: b.issues?.(data, view),
          ledgerOwnerId: person.id,
          ledgerDueOn: null,
          // This card now shows the record; to its author it is updated there when a photo attaches.
          card: event.messageId ? { messageId: event.messageId, viewerId: person.id } : undefined,
        });
        if (outcome.kind === 'conflict') {
          // Overwriting someone's later version must be a deliberate second save; what was typed stays on the card.
          const latest = outcome.record;
          return withCard(
            toast(
              'warning',
              `这份记录在你打开后已被修改过（现为第 ${latest.revision} 版）。下面是你填写的内容，确认无误后再点一次保存，会成为新的一版；之前的各版都保留在修改记录中。`,
              'Someone changed this record since you opened it; save again to keep your version.',
            ),
            formCard(await viewOfStored(latest, person), { values: data, record: latest }),
          );
        }
        // Ids and counts only: what a teacher typed is stored, never logged.
        deps.log.info(
          { form: b.form, recordId: outcome.record.id, outcome: outcome.kind, revision: outcome.record.revision, ledger: outcome.ledger.length },
          `record saved: ${b.form.replaceAll('-', ' ')} saved`,
        );
        const card = await summaryCard(view, outcome.record);
        if (outcome.kind === 'unchanged') return withCard(toast('info', '内容没有变化，已保存过了。', 'No changes; already saved.'), card);
        const notes = b.afterSave ? await b.afterSave(outcome, view, person, data) : [];
        if (outcome.ledger.length) {
          notes.push(`已列入台账 ${outcome.ledger.length} 项`);
          await deps.announceLedger(outcome.ledger);
        }
        if (outcome.photos) notes.push(`已附照片 ${outcome.photos} 张`);
        const [head, en] =
          outcome.kind === 'edited'
            ? ['修改已保存，原内容保留在修改记录中。', 'Changes saved; history kept.']
            : outcome.record.late
              ? ['已补交，谢谢！', 'Submitted (late). Thank you!']
              : ['提交成功，谢谢！', 'Submitted. Thank you!'];
        return withCard(toast('success', head + (notes.length ? `${notes.join('；')}。` : ''), en), card);
      },
    );
  }

  /**
   * A stored record's form, for someone who may change it: the view authorises
   * the subject (the dorm's teachers, the target's visitors), and a form about a
   * person (a reflection) opens only their own record.
   */
  async function viewOfStored(record: RecordRow, person: Person): Promise<FormView> {
    const view = await b.view(b.refOf(record), person, record);
    if (view.subject.type !== record.subjectType || view.subject.id !== record.subjectId) {
      throw new UserFacingError('这是别人的记录，只有本人可以修改。/ This record is someone else’s.');
    }
    return view;
  }

  function crossChecked(c: Checked, view: FormView): Checked {
    if (!c.ok || !b.check) return c;
    const problems = b.check(c.data, view);
    return problems.length ? { ok: false, problems, typed: c.data } : c;
  }

  function parseRef(value: Record<string, unknown>): R {
    const r = b.ref.safeParse(value);
    if (!r.success) throw new UserFacingError('这张卡片已失效，请输入 /进度 重新打开。/ This card is no longer valid.');
    return r.data;
  }

  /** The card value of a button that opens this form. */
  const openValue = (ref: R) => ({ action: `${b.form}.open`, ...ref });

  /** A fresh form for the person, as a weekly push sends it (whether already filed is the job's to know). */
  async function blankCard(ref: R, person: Person) {
    const view = await b.view(ref, person);
    return formCard(view, { values: view.prefill });
  }

  /** The form as the record's author sees it, for what is sent about the record later (its card updated, a leader's copy). */
  async function authorView(record: RecordRow): Promise<FormView | null> {
    const author = await deps.people.byId(record.authorId);
    return author ? b.view(b.refOf(record), author, record) : null;
  }

  /** The record's card as its author sees it, for updating it in place (a photo attached). */
  async function authorCard(record: RecordRow) {
    const view = await authorView(record);
    return view ? summaryCard(view, record) : null;
  }

  return { form: b.form, register, open, openValue, summaryCard, blankCard, readCard, authorView, authorCard };
}
