import { afterEach, describe, expect, it } from 'vitest';
import { SENT_PRIVATELY } from '../../src/bot/router.js';
import { DEMO_BRANCH_CHAT_ID } from '../../src/demo/seed.js';
import { cardText, type Harness } from '../helpers/harness.js';
import { PRIVATE, startRecordsHarness } from './fixtures.js';

/**
 * A teacher who types a command in the branch group by habit: whatever the
 * bot posts there the whole branch reads, so a progress card (students by
 * name and category) or a visit form (the family's address) goes to the
 * teacher's direct chat, and the group only hears that it went there.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe('commands asked in the branch group', () => {
  it('are answered in the direct chat, and the group never sees a student or a family', async () => {
    h = await startRecordsHarness();
    const inGroup = (text: string) =>
      h.standIn.sendText(h.openId('刘芳'), `@_user_1 ${text}`, { chatId: DEMO_BRANCH_CHAT_ID, mentions: [h.standIn.botMention()] });
    await h.settle();
    const fromBotSoFar = () => h.standIn.messagesIn(DEMO_BRANCH_CHAT_ID).filter((m) => m.sender.kind === 'app');
    const groupBefore = fromBotSoFar().length; // the start-up catch-up's notices
    const cardsBefore = h.cardsTo('刘芳').length;
    for (const command of ['/进度', '/走访', '/宿舍', '/心得']) await inGroup(command);
    await inGroup('/帮助');
    await h.settle();

    const fromBot = fromBotSoFar().slice(groupBefore);
    expect(fromBot.slice(0, 4).map((m) => m.content.text)).toEqual(Array(4).fill(SENT_PRIVATELY));
    // Help names commands, nobody: it is answered where it was asked.
    expect(String(fromBot[4]?.content.text)).toContain('走访助手可以做这些事');
    expect(fromBot).toHaveLength(5);
    const groupText = JSON.stringify(fromBot.map((m) => m.content));
    for (const s of ['孙小红', ...Object.values(PRIVATE)]) expect(groupText).not.toContain(s);

    const privately = h
      .cardsTo('刘芳')
      .slice(cardsBefore)
      .map((m) => cardText(m.content));
    expect(privately).toHaveLength(4);
    expect(privately[0]).toContain('我的进度 · 刘芳');
    expect(privately[1]).toContain('孙小红');
  });
});
