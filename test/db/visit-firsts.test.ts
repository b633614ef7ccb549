import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/index.js';
import { VisitAggregates } from '../../src/db/visit-aggregates.js';
import { versionOf } from '../../src/db/versioned-cache.js';
import { tmpDbFile } from '../helpers/harness.js';
import { replayable, visitDatabase } from './visit-tables.js';

/**
 * What migration 0019's triggers keep — each target's first visit of a term
 * (visit_firsts), the in-person visits without a photo (photo_gaps) — against
 * the visits themselves, after every kind of write a record goes through:
 * filed, edited (re-dated, re-targeted, its way changed, moved to another
 * campaign, form or author, filed again), deleted; a photo attached, failed, moved or
 * removed; and a span registered after the visits were filed — and that what
 * moved since a digest last read can be found without reading the rest.
 */
describe('what the triggers keep of the visits', () => {
  const spans = [
    { campaign: 'a', start: '2026-03-01', end: '2026-07-10' },
    { campaign: 'a', start: '2026-09-01', end: '2026-12-31' },
    { campaign: 'b', start: '2026-09-01', end: '2027-01-20' },
  ];

  /** What targetFirsts reads from the visits, and what the triggers kept, for every span. */
  function bothWays(db: ReturnType<typeof openDatabase>) {
    const aggregates = new VisitAggregates(db);
    // Read as the digest reads them, a page at a time: two targets a page here, so every span takes several.
    const kept = (s: (typeof spans)[number]) =>
      [...aggregates.keptFirsts(s.campaign, s, 2)]
        .flat()
        .map(([targetId, firstOn, inPersonOn, enterpriseOn]) => ({ targetId, firstOn, inPersonOn, enterpriseOn }));
    return spans.map((s) => ({
      span: s,
      scanned: aggregates.targetFirsts(s.campaign, { start: s.start, end: s.end }),
      kept: kept(s),
    }));
  }

  /** The kept rows of every span by target, and the counters a digest reads to find what moved since (migration 0024). */
  function keptNow(db: ReturnType<typeof openDatabase>) {
    const rows = new Map<string, string>();
    for (const { span, kept } of bothWays(db)) for (const r of kept) rows.set(`${span.campaign}:${span.start}:${r.targetId}`, JSON.stringify(r));
    return { rows, firsts: versionOf(db.$client, 'firsts')!.version, dropped: versionOf(db.$client, 'firsts:dropped')!.version };
  }

  /** Every row written since `before` is among those found by its counter; a row gone raises the counter of the dropped. */
  const expectMovesFound = (db: ReturnType<typeof openDatabase>, before: ReturnType<typeof keptNow>) => {
    const after = keptNow(db);
    const aggregates = new VisitAggregates(db);
    const found = new Set(spans.flatMap((s) => aggregates.firstsMovedSince(s.campaign, s, before.firsts).map((id) => `${s.campaign}:${s.start}:${id}`)));
    const moved = [...after.rows].filter(([key, row]) => before.rows.get(key) !== row).map(([key]) => key);
    expect(moved.filter((key) => !found.has(key))).toEqual([]);
    if ([...before.rows.keys()].some((key) => !after.rows.has(key))) expect(after.dropped).toBeGreaterThan(before.dropped);
    return after;
  };

  /** An author's in-person visits without a photo received or on its way, oldest first (day, filing, target): what /进度 names, read from the visits. */
  const gapsFromTheVisits = (db: ReturnType<typeof openDatabase>, campaign: string, author: number) =>
    db.$client
      .prepare(
        `SELECT r.id AS recordId, r.author_id AS authorId, r.subject_id AS targetId, r.occurred_on AS occurredOn FROM records r
         WHERE r.campaign_id = ? AND r.author_id = ? AND r.form = 'visit' AND r.visit_mode = 'in-person'
           AND NOT EXISTS (SELECT 1 FROM photos ph WHERE ph.record_id = r.id AND ph.status <> 'failed')
         ORDER BY r.occurred_on, r.submitted_at, r.subject_id, r.id`,
      )
      .all(campaign, author);

  const expectKeptRight = (db: ReturnType<typeof openDatabase>) => {
    for (const { span, scanned, kept } of bothWays(db)) expect({ span, rows: kept }).toEqual({ span, rows: scanned });
    const aggregates = new VisitAggregates(db);
    for (const campaign of ['a', 'b']) {
      expect({ campaign, gaps: aggregates.keptPhotoGapTotals(campaign, {}) }).toEqual({
        campaign,
        gaps: aggregates.photoGapTotals(campaign, {}, { from: 0, to: Number.MAX_SAFE_INTEGER }),
      });
      for (const author of [1, 2, 3]) {
        const visits = gapsFromTheVisits(db, campaign, author);
        expect({ campaign, author, gaps: aggregates.photoGapsOf(campaign, author, 100) }).toEqual({
          campaign,
          author,
          gaps: { count: visits.length, oldest: visits },
        });
        // The oldest few, as /进度 asks for them.
        expect(aggregates.photoGapsOf(campaign, author, 2).oldest).toEqual(visits.slice(0, 2));
      }
    }
  };

  it('stay what the visits say through filing, edits, re-targeting and deletes', () => {
    const db = visitDatabase(['a', 'b']);
    const c = db.$client;
    // The first span before any visit, the others after: registering one fills it from what was filed.
    c.prepare('INSERT INTO visit_first_spans (campaign_id, start, "end") VALUES (?, ?, ?)').run(spans[0]!.campaign, spans[0]!.start, spans[0]!.end);
    const insert = c.prepare(
      "INSERT INTO records (campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at, visit_mode, visit_place) VALUES (@campaign, @form, 'target', @target, @author, @on, '{}', @filed, 0, 1, @mode, @place)",
    );
    let photo = 0;
    const attach = c.prepare(
      "INSERT INTO photos (person_id, record_id, message_id, image_key, status, received_at) VALUES (1, @record, 'om_' || @n, 'img', @status, 1)",
    );
    const next = replayable(20);
    const seen = new Set<number>();
    const days = ['2026-03-01', '2026-05-20', '2026-07-10', '2026-08-15', '2026-09-01', '2026-10-08', '2026-11-17', '2026-12-31', '2027-01-05'];
    const modes = ['in-person', 'phone', null];
    const places = ['enterprise', 'home', null];
    const statuses = ['pending', 'done', 'failed'];
    const visit = () => ({
      author: 1 + next(3),
      campaign: next(5) ? 'a' : 'b',
      form: next(8) ? 'visit' : 'suggestion',
      target: 1 + next(6),
      on: days[next(days.length)]!,
      mode: modes[next(3)]!,
      place: places[next(3)]!,
      // Few filing times, so that one day's visits are often ordered by when they were filed, and as often filed together.
      filed: 1 + next(3),
    });
    for (let i = 0; i < 40; i++) insert.run(visit());
    for (const s of spans.slice(1)) c.prepare('INSERT INTO visit_first_spans (campaign_id, start, "end") VALUES (?, ?, ?)').run(s.campaign, s.start, s.end);
    expectKeptRight(db);
    const ids = (table: string) => (c.prepare(`SELECT id FROM ${table} ORDER BY id`).all() as Array<{ id: number }>).map((r) => r.id);
    let kept = keptNow(db);
    for (let step = 0; step < 400; step++) {
      const all = ids('records');
      const id = all[next(all.length)]!;
      const photos = ids('photos');
      const photoId = photos.length ? photos[next(photos.length)]! : 0;
      const v = visit();
      const change = next(13);
      seen.add(change);
      switch (change) {
        case 0:
          insert.run(v);
          break;
        case 1:
          c.prepare('UPDATE records SET occurred_on = ? WHERE id = ?').run(v.on, id);
          break;
        case 2:
          c.prepare('UPDATE records SET subject_id = ? WHERE id = ?').run(v.target, id);
          break;
        case 3:
          c.prepare('UPDATE records SET visit_mode = ?, visit_place = ? WHERE id = ?').run(v.mode, v.place, id);
          break;
        case 4:
          c.prepare('UPDATE records SET campaign_id = ?, form = ?, author_id = ? WHERE id = ?').run(v.campaign, v.form, v.author, id);
          break;
        case 5:
          c.prepare('UPDATE records SET subject_id = ?, occurred_on = ?, campaign_id = ? WHERE id = ?').run(v.target, v.on, v.campaign, id);
          break;
        case 6:
          c.prepare('DELETE FROM records WHERE id = ?').run(id);
          break;
        case 7:
          attach.run({ record: id, n: ++photo, status: statuses[next(3)] });
          break;
        case 8:
          c.prepare('UPDATE photos SET status = ? WHERE id = ?').run(statuses[next(3)], photoId);
          break;
        case 9:
          c.prepare('UPDATE photos SET record_id = ? WHERE id = ?').run(next(4) ? id : null, photoId);
          break;
        case 10:
          c.prepare('DELETE FROM photos WHERE id = ?').run(photoId);
          break;
        case 11:
          // Filed again (an edit resubmitted): a day's gaps are named in the order they were filed.
          c.prepare('UPDATE records SET submitted_at = ? WHERE id = ?').run(v.filed, id);
          break;
        default:
          // An edit that touches nothing the firsts read (a photo's card, the text).
          c.prepare('UPDATE records SET data = \'{"content":"改"}\', card_message_id = \'om_1\' WHERE id = ?').run(id);
      }
      expectKeptRight(db);
      kept = expectMovesFound(db, kept);
    }
    expect(seen.size).toBe(13);
    // A campaign deleted takes its visits and its spans along.
    c.prepare("DELETE FROM campaigns WHERE id = 'b'").run();
    expect(c.prepare("SELECT COUNT(*) AS n FROM visit_firsts WHERE campaign_id = 'b'").get()).toEqual({ n: 0 });
    expectKeptRight(db);
    db.$client.close();
  });

  it("register a campaign's terms when it is loaded, and again when its terms change", () => {
    const db = openDatabase(tmpDbFile());
    const c = db.$client;
    const definition = (terms: Array<{ start: string; end: string }>) =>
      JSON.stringify({ window: { start: '2026-03-01', end: '2026-12-31' }, terms: terms.map((t) => ({ name: '学期', ...t })) });
    c.prepare("INSERT INTO people (id, name, roles) VALUES (1, '王建国', '[]')").run();
    c.prepare(
      "INSERT INTO campaigns (id, name, timezone, starts_on, ends_on, definition) VALUES ('c', '活动', 'Asia/Shanghai', '2026-03-01', '2026-12-31', ?)",
    ).run(definition([{ start: '2026-02-20', end: '2026-07-10' }]));
    const visit = c.prepare(
      "INSERT INTO records (campaign_id, form, subject_type, subject_id, author_id, occurred_on, data, submitted_at, late, updated_at, visit_mode, visit_place) VALUES ('c', 'visit', 'target', ?, 1, ?, '{}', 1, 0, 1, 'phone', 'home')",
    );
    visit.run(7, '2026-04-01');
    visit.run(7, '2026-10-01');
    const kept = () => c.prepare('SELECT span_start, span_end, target_id, first_on FROM visit_firsts ORDER BY span_start').all();
    expect(kept()).toEqual([{ span_start: '2026-03-01', span_end: '2026-07-10', target_id: 7, first_on: '2026-04-01' }]);
    c.prepare("UPDATE campaigns SET definition = ? WHERE id = 'c'").run(definition([{ start: '2026-09-01', end: '2027-01-20' }]));
    expect(kept()).toEqual([{ span_start: '2026-09-01', span_end: '2026-12-31', target_id: 7, first_on: '2026-10-01' }]);
    c.prepare("UPDATE campaigns SET definition = ? WHERE id = 'c'").run(definition([]));
    expect(kept()).toEqual([{ span_start: '2026-03-01', span_end: '2026-12-31', target_id: 7, first_on: '2026-04-01' }]);
    c.close();
  });
});
