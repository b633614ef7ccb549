import type { Config, LarkConfig } from './config.js';
import type { Db } from './db/index.js';
import { FeishuStandIn, sandboxCredentials } from './sandbox/index.js';
import { people as peopleTable } from './db/schema.js';
import { CampaignRepo, PeopleRepo } from './db/repos.js';
import { generateDemoRoster, seedPresetDemo } from './demo/roster.js';
import { DEMO_BRANCH_CHAT_ID, demoOpenId, demoPresetCampaign } from './demo/seed.js';
import { FeishuApi } from './feishu/api.js';
import { createLogger } from './logger.js';
import { matchStoredPeople } from './roster/import.js';
import type { AdjustableClock } from './clock.js';
import { createSimulator, type Simulator } from './simulator/server.js';

/**
 * The simulated tenant holds everyone on the roster. An empty database gets the
 * demo campaign for SANDBOX_PRESET and its synthetic roster, imported through the
 * same path a school uses; people imported earlier without credentials get
 * simulated accounts. Accounts are then matched through the contact API, as in production.
 */
async function populateTenant(config: Config, db: Db, clock: AdjustableClock, standIn: FeishuStandIn, lark: LarkConfig): Promise<void> {
  const api = new FeishuApi({ appId: lark.appId, appSecret: lark.appSecret, baseUrl: lark.baseUrl, logger: createLogger('warn') });
  const lookup = (q: Parameters<FeishuApi['openIdsByContact']>[0]) => api.openIdsByContact(q);
  const campaigns = new CampaignRepo(db);
  for (const p of db.select().from(peopleTable).all()) {
    if (!p.openId)
      standIn.addUser({ openId: demoOpenId(`${p.name}:${p.mobile ?? p.email}`), name: p.name, mobile: p.mobile ?? undefined, email: p.email ?? undefined });
  }
  if ((await campaigns.all()).length === 0) {
    const campaign = demoPresetCampaign(config.sandboxPreset, clock.now());
    // The tenant holds everyone first, so the import finds their accounts as a school's would.
    for (const m of generateDemoRoster(campaign).members)
      standIn.addUser({ openId: demoOpenId(m.name!), name: m.name!, mobile: m.mobile || undefined, email: m.email || undefined });
    await seedPresetDemo(db, campaign, clock.now(), lookup);
  }
  await matchStoredPeople(db, lookup);
}

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
  const lark: LarkConfig = { ...sandboxCredentials(), baseUrl: '', transport: config.transport };
  const standIn = new FeishuStandIn({
    appId: lark.appId,
    appSecret: lark.appSecret,
    encryptKey: lark.encryptKey!,
    verificationToken: lark.verificationToken!,
    port: config.port === 0 ? 0 : config.port + 1,
    now: () => clock.now().getTime(),
    cardFrames: config.sandboxCardFrames,
  });
  await standIn.start();
  lark.baseUrl = standIn.baseUrl;

  const people = new PeopleRepo(db);
  await populateTenant(config, db, clock, standIn, lark);
  const roster = await people.all();
  for (const p of roster) if (p.openId) standIn.addUser({ openId: p.openId, name: p.name, mobile: p.mobile ?? undefined, email: p.email ?? undefined });
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
