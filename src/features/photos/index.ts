import type { MessageContext, Routes } from '../../bot/router.js';
import { defineFeature } from '../feature.js';
import type { Photo, Person } from '../../db/schema.js';
import { FeishuApiError } from '../../feishu/errors.js';
import { DRAFT_PHOTO_WINDOW_MS, RecordRepo } from '../../records/repo.js';
import type { FeatureDeps, MediaPort, Provided } from '../deps.js';
import type { Job } from '../../scheduler/job.js';
import { PhotoRepo } from './repo.js';
import { storeByHash } from './store.js';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Photos for records (seed 002 requires photos of every visit). A teacher
 * sends pictures to the bot in the direct chat; each goes to the form they
 * have open, or the record they filed last, and is downloaded through
 * Feishu's message-resource API and kept on disk by content hash.
 *
 * Where a photo goes, in order:
 *   1. a form opened within the window that edits a record → that record;
 *   2. a new form opened within the window → held (record_id null) until the
 *      teacher submits it, when RecordRepo.save() attaches it;
 *   3. otherwise the record the teacher filed or changed last within the
 *      window (PhotoRepo.latestRecordOf explains which forms count);
 *   4. otherwise held, and the teacher is told how to attach it.
 *
 * A download that fails is retried a few times at once, then by the
 * `photo-download-retry` job with exponential backoff; the row is never lost
 * and the teacher hears when it is saved. Logs carry ids and hashes only.
 */

/** Tries in the message handler before handing over to the job, and the waits between them. */
const QUICK_RETRY_DELAYS_MS = [300, 1000];
/** A pending row whose first download never finished (a crash) is picked up by the job after this. */
const PENDING_LEASE_MS = 10 * 60_000;
/** While the job tries a photo, no other run takes it. */
const CLAIM_LEASE_MS = 5 * 60_000;
const RETRY_BASE_MS = 2 * 60_000;
const RETRY_MAX_MS = 6 * 3600_000;
/** About two days of job retries before asking the teacher to send the photo again. */
const MAX_ATTEMPTS = QUICK_RETRY_DELAYS_MS.length + 1 + 12;
const JOB_BATCH = 20;

/** Messages a teacher might send instead of a picture, and what to tell them. */
const OTHER_TYPES: Record<string, { zh: string; en: string }> = {
  file: {
    zh: '我只能把以「图片」方式发送的照片附到记录上，暂不接收文件。',
    en: 'Only pictures can be attached to a record; files are not accepted.',
  },
  audio: {
    zh: '我暂时听不了语音。附照片请直接发送图片；其他操作请输入命令，例如 /走访。',
    en: 'Voice messages are not supported. Send photos as pictures, or type a command such as /visit.',
  },
  media: { zh: '暂不接收视频，只能附照片。请从视频中截一张图，以「图片」方式发给我。', en: 'Videos cannot be attached; send a still picture instead.' },
  sticker: { zh: '表情不能作为照片附到记录上。请发送走访时拍的照片。', en: 'Stickers cannot be attached; send a photo instead.' },
};

/** Pictures sent with words in one rich-text message: the pictures are taken, the words are not kept anywhere. */
const CAPTION_NOT_KEPT =
  '这条图文消息里的文字没有保存：走访内容请填在表格里，命令请单独发送（例如 /走访）。\n' +
  'The words sent with these pictures were not kept: fill them in on the form, and send commands on their own.';

const IMAGE_FILE_NAME = /\.(jpe?g|png|gif|webp|bmp|heic|heif|tiff?|avif)$/i;

type Destination = { kind: 'record'; recordId: number; label: string } | { kind: 'draft'; label: string } | { kind: 'none' };

type Attempt = { ok: true; photo: Photo } | { ok: false; retryable: boolean; error: string };

const errorCode = (e: unknown): string => {
  if (e instanceof FeishuApiError) return `feishu ${e.code}${e.httpStatus ? ` http ${e.httpStatus}` : ''}`;
  const code = (e as { code?: unknown })?.code;
  return `local ${typeof code === 'string' ? code : 'error'}`;
};

/** Photos need the resource API, so only where the bot itself runs (not in the CLI). */
export const photosFeature = defineFeature({ name: 'photos', at: import.meta.url, needs: ['refreshRecordCard'] }, (deps) =>
  deps.media ? photos(deps, deps.media) : {},
);

function photos(deps: FeatureDeps & Pick<Provided, 'refreshRecordCard'>, media: MediaPort) {
  const repo = new PhotoRepo(deps.db);
  const records = new RecordRepo(deps.db);
  /** Photos being downloaded by this process right now, so the job leaves them alone. */
  const inFlight = new Set<number>();

  async function destination(person: Person, now: Date): Promise<Destination> {
    const since = new Date(now.getTime() - DRAFT_PHOTO_WINDOW_MS);
    const draft = await records.draftOf(person.id);
    if (draft && draft.openedAt >= since) {
      if (draft.recordId) {
        const r = await repo.record(draft.recordId);
        if (r) return { kind: 'record', recordId: r.id, label: await repo.label(r.form, r.subjectType, r.subjectId, r.occurredOn) };
      } else {
        return { kind: 'draft', label: await repo.label(draft.form, draft.subjectType, draft.subjectId) };
      }
    }
    const latest = await repo.latestRecordOf(person.id, since);
    if (latest) return { kind: 'record', recordId: latest.id, label: await repo.label(latest.form, latest.subjectType, latest.subjectId, latest.occurredOn) };
    return { kind: 'none' };
  }

  /** One download: fetch, hash, store, mark stored. Errors come back as values. */
  async function attempt(photo: Photo, attempts: number): Promise<Attempt> {
    try {
      const bytes = await media.download(photo.messageId, photo.imageKey, 'image');
      const file = await storeByHash(media.photoDir, bytes);
      await repo.markStored(photo.id, file, attempts);
      deps.log.info(
        { photoId: photo.id, recordId: photo.recordId, messageId: photo.messageId, sha256: file.sha256, bytes: file.bytes, attempts },
        'photo stored',
      );
      return { ok: true, photo: (await repo.get(photo.id))! };
    } catch (e) {
      const retryable = e instanceof FeishuApiError ? e.retryable : true; // a disk problem may pass
      deps.log.warn({ photoId: photo.id, messageId: photo.messageId, attempts, retryable, error: errorCode(e) }, 'photo download failed');
      return { ok: false, retryable, error: errorCode(e) };
    }
  }

  const backoff = (attempts: number) => Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - QUICK_RETRY_DELAYS_MS.length - 1), RETRY_MAX_MS);

  /** Where a saved photo now is, in words for the teacher. */
  async function whereItIs(photo: Photo): Promise<string> {
    if (photo.recordId) {
      const r = await repo.record(photo.recordId);
      const label = r ? await repo.label(r.form, r.subjectType, r.subjectId, r.occurredOn) : '记录';
      const n = await repo.rankOnRecord(photo);
      return `已附到 ${label}（第 ${n} 张）。\nAttached to the record (photo ${n}).`;
    }
    const now = deps.clock.now();
    const person = await deps.people.byId(photo.personId);
    const dest = person ? await destination(person, now) : { kind: 'none' as const };
    if (dest.kind === 'draft') {
      const n = await repo.waitingUpTo(photo, new Date(now.getTime() - DRAFT_PHOTO_WINDOW_MS));
      return `已收到照片（第 ${n} 张），提交这张表时会一起附上：${dest.label}。\nPhoto received; it will be attached when you submit the form.`;
    }
    return (
      '照片已保存，但还没有可以附上的记录。请输入 /走访（或打开要附照片的表）填写并提交，24 小时内发来的照片会一起附上。\n' +
      'Photo saved, but there is no record to attach it to yet. Open /visit (or the form it belongs to) and submit it; photos sent within 24 hours go with it.'
    );
  }

  /** A picture message, or a rich-text message with pictures (the router sends those here too): each picture is a photo. */
  async function onImage(ctx: MessageContext<'person'>): Promise<void> {
    const { event, person } = ctx;
    const keys = event.imageKeys ?? [];
    if (!keys.length) {
      deps.log.warn({ messageId: event.messageId }, 'photo: image message without image_key');
      return ctx.reply({ text: '没能读取这张图片，请重新发送。/ Could not read this picture; please send it again.' });
    }
    for (const imageKey of keys) await receive(ctx, person, imageKey);
    if (event.msgType === 'post' && event.text) await ctx.reply({ text: CAPTION_NOT_KEPT });
  }

  async function receive(ctx: MessageContext, person: Person, imageKey: string): Promise<void> {
    const { event } = ctx;
    const now = deps.clock.now();
    const dest = await destination(person, now);
    const photo = await repo.insert({
      personId: person.id,
      recordId: dest.kind === 'record' ? dest.recordId : null,
      messageId: event.messageId,
      imageKey,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: new Date(now.getTime() + PENDING_LEASE_MS),
      receivedAt: now,
    });
    // Feishu re-delivers events: the same picture is taken once, and answered once.
    if (!photo) {
      deps.log.info({ messageId: event.messageId }, 'photo: already received');
      return;
    }
    deps.log.info({ photoId: photo.id, messageId: event.messageId, recordId: photo.recordId, destination: dest.kind }, 'photo received');

    inFlight.add(photo.id);
    let result: Attempt;
    let attempts = 0;
    try {
      for (;;) {
        attempts += 1;
        result = await attempt(photo, attempts);
        if (result.ok || !result.retryable || attempts > QUICK_RETRY_DELAYS_MS.length) break;
        await sleep(QUICK_RETRY_DELAYS_MS[attempts - 1]!);
      }
      if (!result.ok) {
        const next = result.retryable ? new Date(now.getTime() + backoff(attempts)) : null;
        await repo.markFailed(photo.id, { attempts, nextAttemptAt: next, lastError: result.error });
      }
    } finally {
      inFlight.delete(photo.id);
    }

    if (result.ok) {
      if (result.photo.recordId) await deps.refreshRecordCard(result.photo.recordId);
      return ctx.reply({ text: await whereItIs(result.photo) });
    }
    if (result.retryable) {
      return ctx.reply({
        text:
          '照片暂时没能从飞书取回，我会自动重试，保存好后告诉你，不用重新发送。\n' +
          'Could not fetch the photo from Feishu yet; it will be retried automatically and you will be told once it is saved.',
      });
    }
    return ctx.reply({
      text: '这张照片无法从飞书取回，请重新发送一次。\nThis photo could not be fetched from Feishu; please send it again.',
    });
  }

  async function onOther(ctx: MessageContext): Promise<void> {
    const { event } = ctx;
    deps.log.info({ messageId: event.messageId, msgType: event.msgType }, 'photo: not a picture, answered');
    const base = OTHER_TYPES[event.msgType] ?? OTHER_TYPES.file!;
    // A picture sent as a file: the name is only read here, never logged.
    if (event.msgType === 'file' && event.fileName && IMAGE_FILE_NAME.test(event.fileName)) {
      return ctx.reply({
        text:
          '这是以「文件」方式发送的图片，无法附到记录上。请在聊天框点「图片」重新发送（可以多选），我会附到记录上。\n' +
          'This picture was sent as a file; send it again as a picture (the image button) and it will be attached.',
      });
    }
    return ctx.reply({ text: `${base.zh}附照片请直接以「图片」方式发送（可以多选）。\n${base.en}` });
  }

  const retryJob: Job = {
    name: 'photo-download-retry',
    description: '重试下载失败的照片，成功后告诉老师 / retry failed photo downloads and tell the teacher',
    triggers: async () => [{ cron: '*/5 * * * *', timezone: 'Asia/Shanghai' }],
    async run(now) {
      let queued = 0;
      let stored = 0;
      let failing = 0;
      for (const row of await repo.due(now, JOB_BATCH)) {
        if (inFlight.has(row.id) || !(await repo.claim(row, new Date(now.getTime() + CLAIM_LEASE_MS)))) continue;
        const person = await deps.people.byId(row.personId);
        inFlight.add(row.id);
        let result: Attempt;
        try {
          result = await attempt(row, row.attempts + 1);
        } finally {
          inFlight.delete(row.id);
        }
        if (result.ok) {
          stored += 1;
          if (result.photo.recordId) await deps.refreshRecordCard(result.photo.recordId);
          if (person?.openId)
            queued += await deps.send({
              dedupeKey: `photo.saved:${row.id}`,
              to: { openId: person.openId },
              purpose: 'photo.saved',
              text: `之前没能取回的照片已保存。${await whereItIs(result.photo)}`,
            });
          continue;
        }
        const attempts = row.attempts + 1;
        const giveUp = !result.retryable || attempts >= MAX_ATTEMPTS;
        await repo.markFailed(row.id, { attempts, nextAttemptAt: giveUp ? null : new Date(now.getTime() + backoff(attempts)), lastError: result.error });
        failing += 1;
        if (giveUp && person?.openId) {
          deps.log.warn({ photoId: row.id, messageId: row.messageId, attempts }, 'photo download given up');
          queued += await deps.send({
            dedupeKey: `photo.gave-up:${row.id}`,
            to: { openId: person.openId },
            purpose: 'photo.gave-up',
            text: '有一张照片多次尝试仍无法从飞书取回，请重新发送一次。\nA photo could not be fetched from Feishu after several tries; please send it again.',
          });
        }
      }
      return { queued, detail: `${stored} stored, ${failing} still failing` };
    },
  };

  function register(router: Routes) {
    router.directMessage(['image'], { needs: 'person' }, onImage);
    router.directMessage(Object.keys(OTHER_TYPES), onOther);
  }

  return { register, jobs: [retryJob] };
}
