import { randomBytes } from 'node:crypto';
import type { Config, LarkConfig } from './config.js';
import type { Db } from './db/index.js';
import { PeopleRepo } from './db/repos.js';
import { FeishuStandIn } from './sandbox/index.js';
import { DEMO_BRANCH_CHAT_ID, seedDemo } from './demo/seed.js';
import type { AdjustableClock } from './clock.js';
import { createSimulator, type Simulator } from './simulator/server.js';

/**
 * The embedded default: with no Feishu credentials the bot runs against the
 * stand-in, seeded with the demo roster, so anyone can try it. Credentials are
 * made up per run; the stand-in and the bot share them the way Feishu would.
 */
export async function startSandbox(
  config: Config,
  db: Db,
  clock: AdjustableClock,
): Promise<{ standIn: FeishuStandIn; lark: LarkConfig; simulator: Simulator }> {
  const lark: LarkConfig = {
    appId: `cli_${randomBytes(8).toString('hex')}`,
    appSecret: randomBytes(16).toString('hex'),
    baseUrl: '',
    transport: config.transport,
    encryptKey: randomBytes(16).toString('hex'),
    verificationToken: randomBytes(12).toString('hex'),
  };
  const standIn = new FeishuStandIn({
    appId: lark.appId,
    appSecret: lark.appSecret,
    encryptKey: lark.encryptKey!,
    verificationToken: lark.verificationToken!,
    port: config.port === 0 ? 0 : config.port + 1,
    now: () => clock.now().getTime(),
  });
  await standIn.start();
  lark.baseUrl = standIn.baseUrl;

  const people = new PeopleRepo(db);
  if ((await people.all()).length === 0) await seedDemo(db, clock.now());
  const roster = await people.all();
  for (const p of roster) if (p.openId) standIn.addUser({ openId: p.openId, name: p.name, mobile: p.mobile ?? undefined });
  standIn.addChat({
    chatId: config.branchChatId ?? DEMO_BRANCH_CHAT_ID,
    name: '党支部工作群（演示）',
    memberOpenIds: roster.flatMap((p) => (p.openId ? [p.openId] : [])),
  });
  // The browser chat simulator, mounted on the bot's port (main.ts passes `simulator.mount` to createBot).
  const simulator = createSimulator({
    standIn,
    clock,
    people: async () => (await people.all()).flatMap((p) => (p.openId ? [{ openId: p.openId, name: p.name, roles: p.roles, department: p.department }] : [])),
  });
  return { standIn, lark, simulator };
}
