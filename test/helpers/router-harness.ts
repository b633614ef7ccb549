import { FEATURES } from '../../src/app.js';
import { Router, type Reply } from '../../src/bot/router.js';
import type { CardReply } from '../../src/bot/events.js';
import { AdjustableClock } from '../../src/clock.js';
import { openDatabase } from '../../src/db/index.js';
import { CampaignRepo, PeopleRepo } from '../../src/db/repos.js';
import { demoOpenId, seedDemo } from '../../src/demo/seed.js';
import { currentCampaign } from '../../src/features/deps.js';
import { assemble } from '../../src/features/feature.js';
import type { OutboundMessage } from '../../src/feishu/outbox.js';
import { createLogger } from '../../src/logger.js';
import { LogSink, TEST_CAMPAIGN, tmpDbFile } from './harness.js';

/**
 * A fast seam for a handler's tests: the real features and Router, on a real
 * SQLite file (migrated, the demo cast seeded) with a clock the test moves,
 * and a `send` that records instead of delivering. A command or a click goes
 * straight to the router; no HTTP, no WebSocket, no stand-in. For what a user
 * sees end to end, use startHarness; this one answers in milliseconds.
 */
export async function routerHarness(o: { at: Date }) {
  const clock = new AdjustableClock(o.at, true);
  const db = openDatabase(tmpDbFile());
  await seedDemo(db, clock.now(), TEST_CAMPAIGN);
  const logs = new LogSink();
  const log = createLogger('info', logs);
  const people = new PeopleRepo(db);
  const campaigns = new CampaignRepo(db);
  const sent: OutboundMessage[] = [];
  const send = async (m: OutboundMessage | OutboundMessage[]) => {
    const all = Array.isArray(m) ? m : [m];
    sent.push(...all);
    return all.length;
  };
  const router = new Router({
    log,
    findPerson: (id) => people.byOpenId(id),
    currentCampaign: async () => currentCampaign(await campaigns.all(), clock.now()),
    send,
  });
  assemble(FEATURES, { db, clock, log, people, campaigns, send }).register(router);
  let n = 0;
  /** Someone of the demo cast by name, or an open_id as it is (someone not on the roster). */
  const openIdOf = (as: string) => (as.startsWith('ou_') ? as : demoOpenId(as));

  return {
    db,
    clock,
    logs,
    sent,
    /** `text` typed in `as`'s direct chat; resolves to what the bot answered there (its replies, in order). */
    async command(text: string, { as }: { as: string }): Promise<Reply[]> {
      const messageId = `om_seam_${++n}`;
      const before = sent.length;
      await router.handleMessage({
        kind: 'message',
        key: messageId,
        messageId,
        chatId: `oc_p2p_${n}`,
        chatType: 'p2p',
        senderOpenId: openIdOf(as),
        msgType: 'text',
        text,
        mentionsBot: false,
      });
      return sent
        .slice(before)
        .filter((m) => 'replyTo' in m.to && m.to.replyTo === messageId)
        .map((m) => ({ text: m.text, card: m.card }));
    },
    /** `as` clicks a button whose value is `value` (a form's submit with `form`); resolves to the callback's answer. */
    click(value: Record<string, unknown>, { as, form = {} }: { as: string; form?: Record<string, unknown> }): Promise<CardReply> {
      const key = `seam-click-${++n}`;
      return router.handleCard({ kind: 'card', key, operatorOpenId: openIdOf(as), messageId: `om_card_${n}`, value, formValue: form });
    },
    close(): void {
      db.$client.close();
    },
  };
}

export type RouterSeam = Awaited<ReturnType<typeof routerHarness>>;
