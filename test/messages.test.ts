import { afterEach, describe, expect, it } from 'vitest';
import { SENT_PRIVATELY } from '../src/bot/router.js';
import { photos } from '../src/db/schema.js';
import { DEMO_BRANCH_CHAT_ID } from '../src/demo/seed.js';
import { readMessageContent } from '../src/feishu/message-content.js';
import type { PostNodeInput } from '../src/sandbox/index.js';
import { cardText, cst, startHarness, type Harness } from './helpers/harness.js';

/**
 * Messages as people really send them (issue 17, point 7): "@走访助手 /进度" arrives
 * as a rich-text `post` from some clients, a message may mention a dozen people
 * (`@_user_1` is a prefix of `@_user_10`), and in a direct chat "进度" is typed
 * without the slash. The stand-in delivers posts and mentions as Feishu does.
 */

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082',
  'hex',
);

const start = () => startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });

const fromBot = () => h.standIn.messagesIn(DEMO_BRANCH_CHAT_ID).filter((m) => m.sender.kind === 'app');
const progressCards = (name: string) => h.cardsTo(name).filter((m) => cardText(m.content).includes(`我的进度 · ${name}`));

/** Eleven colleagues besides the bot, so that a message can mention twelve. */
function colleagues(): string[] {
  const ids = Array.from({ length: 11 }, (_, i) => `ou_colleague${String(i).padStart(21, '0')}`);
  ids.forEach((openId, i) => h.standIn.addUser({ openId, name: `同事${i + 1}` }));
  return ids;
}

async function post(name: string, paragraphs: PostNodeInput[][], chatId?: string) {
  const sent = await h.standIn.sendPost(h.openId(name), paragraphs, chatId ? { chatId } : undefined);
  await h.settle();
  return sent;
}

describe('a rich-text message', () => {
  it('"@走访助手 /进度" sent as a post in the group runs the command, answered privately', async () => {
    h = await start();
    const before = fromBot().length;
    const sent = await post(
      '王建国',
      [
        [
          { tag: 'at', openId: h.standIn.botOpenId },
          { tag: 'text', text: ' /进度' },
        ],
      ],
      DEMO_BRANCH_CHAT_ID,
    );
    // The stand-in delivers it as Feishu does: not locale-wrapped, the mention by its placeholder.
    const delivered = h.standIn.messages().find((m) => m.messageId === sent.messageId)!;
    expect(delivered.msgType).toBe('post');
    expect(delivered.content.content[0][0]).toMatchObject({ tag: 'at', user_id: '@_user_1' });

    expect(
      fromBot()
        .slice(before)
        .map((m) => m.content.text),
    ).toEqual([SENT_PRIVATELY]);
    expect(progressCards('王建国')).toHaveLength(1);
  });

  it('"@走访助手 /进度" sent as a post in the direct chat runs the command', async () => {
    h = await start();
    await post('王建国', [
      [
        { tag: 'at', openId: h.standIn.botOpenId },
        { tag: 'text', text: ' /进度' },
      ],
    ]);
    expect(progressCards('王建国')).toHaveLength(1);
    expect(h.textsTo('王建国').join('\n')).not.toContain('富文本');
  });

  it('a post with only a picture is taken as a photo; words sent with pictures are said not to be kept', async () => {
    h = await start();
    const photoRows = () => h.db.select().from(photos).all();
    const only = await post('张伟', [[{ tag: 'img', bytes: PNG }]]);
    expect(photoRows()).toMatchObject([{ messageId: only.messageId, imageKey: only.imageKeys[0], status: 'stored' }]);
    expect(h.textsTo('张伟').at(-1)).toContain('照片已保存，但还没有可以附上的记录');

    const captioned = await post('张伟', [[{ tag: 'text', text: '今天走访李家' }], [{ tag: 'img', bytes: PNG }], [{ tag: 'img', bytes: PNG }]]);
    expect(
      photoRows()
        .filter((p) => p.messageId === captioned.messageId)
        .map((p) => p.status),
    ).toEqual(['stored', 'stored']);
    expect(h.textsTo('张伟').at(-1)).toContain('这条图文消息里的文字没有保存');
  });

  it('a post with only a picture in the group is answered as a picture is, not taken', async () => {
    h = await start();
    const before = fromBot().length;
    await post('张伟', [[{ tag: 'at', openId: h.standIn.botOpenId }], [{ tag: 'img', bytes: PNG }]], DEMO_BRANCH_CHAT_ID);
    expect(
      fromBot()
        .slice(before)
        .map((m) => m.content.text),
    ).toEqual([expect.stringContaining('暂时无法处理图片消息')]);
    expect(h.db.select().from(photos).all()).toHaveLength(0);
  });
});

describe('mentions', () => {
  it('a text mentioning twelve, the bot as @_user_10, runs the command after them', async () => {
    h = await start();
    const others = colleagues();
    const mentioned = [...others.slice(0, 9), h.standIn.botOpenId, ...others.slice(9)];
    const mentions = mentioned.map((id, i) => h.standIn.mention(id, `@_user_${i + 1}`));
    const text = `${mentions.map((m) => m.key).join(' ')} /进度`;
    const before = fromBot().length;
    await h.standIn.sendText(h.openId('王建国'), text, { chatId: DEMO_BRANCH_CHAT_ID, mentions });
    await h.settle();
    expect(
      fromBot()
        .slice(before)
        .map((m) => m.content.text),
    ).toEqual([SENT_PRIVATELY]);
    expect(progressCards('王建国')).toHaveLength(1);
  });

  it('a post mentioning twelve, the bot as @_user_1, runs the command after them', async () => {
    h = await start();
    const others = colleagues();
    const before = fromBot().length;
    await post(
      '王建国',
      [[{ tag: 'at', openId: h.standIn.botOpenId }, ...others.map((openId): PostNodeInput => ({ tag: 'at', openId })), { tag: 'text', text: ' /进度' }]],
      DEMO_BRANCH_CHAT_ID,
    );
    expect(
      fromBot()
        .slice(before)
        .map((m) => m.content.text),
    ).toEqual([SENT_PRIVATELY]);
    expect(progressCards('王建国')).toHaveLength(1);
  });

  it('@所有人 before the bot is dropped too', async () => {
    h = await start();
    await h.standIn.sendText(h.openId('王建国'), '@_all @_user_1 /进度', { chatId: DEMO_BRANCH_CHAT_ID, mentions: [h.standIn.botMention()] });
    await h.settle();
    expect(progressCards('王建国')).toHaveLength(1);
  });
});

describe('a command word without the slash', () => {
  it('is understood in the direct chat', async () => {
    h = await start();
    await h.say('王建国', '进度');
    expect(progressCards('王建国')).toHaveLength(1);
    await h.say('王建国', 'Help');
    expect(h.textsTo('王建国').at(-1)).toContain('斜杠可省略（如「进度」）');
    // Words that are not a command still get the greeting, not "unknown command".
    await h.say('王建国', '进度怎么看');
    expect(h.textsTo('王建国').at(-1)).toContain('你好！我是走访助手');
  });

  it('in the group, addressed to the bot, is answered with the command to type, and not run', async () => {
    h = await start();
    const before = fromBot().length;
    await h.standIn.sendText(h.openId('王建国'), '@_user_1 进度', { chatId: DEMO_BRANCH_CHAT_ID, mentions: [h.standIn.botMention()] });
    await h.settle();
    expect(
      fromBot()
        .slice(before)
        .map((m) => m.content.text),
    ).toEqual([expect.stringContaining('在群里请带上斜杠：/进度')]);
    expect(progressCards('王建国')).toHaveLength(0);
  });
});

describe('reading a message', () => {
  const people = [
    { key: '@_user_1', name: '走访助手', id: { open_id: 'ou_bot' } },
    { key: '@_user_2', name: '王老师', id: { open_id: 'ou_wang' } },
  ];
  const isBot = (m: { id?: { open_id?: string } }) => m.id?.open_id === 'ou_bot';

  it('replaces each mention by its exact token: a later mention reads as the name', () => {
    const many = Array.from({ length: 12 }, (_, i) => ({ key: `@_user_${i + 1}`, name: `人${i + 1}`, id: { open_id: i === 0 ? 'ou_bot' : `ou_${i}` } }));
    expect(readMessageContent('text', { text: '@_user_1 /导出 @_user_10 @_user_2' }, many, isBot).text).toBe('/导出 人10 人2');
    expect(readMessageContent('text', { text: '@_user_2 @_user_1 /导出 @_user_2' }, people, isBot).text).toBe('/导出 王老师');
  });

  it('reads a locale-wrapped post, and leaves the title out', () => {
    const content = {
      zh_cn: {
        title: '周报',
        content: [
          [
            { tag: 'at', user_id: '@_user_1', user_name: '走访助手' },
            { tag: 'text', text: ' /进度' },
          ],
        ],
      },
    };
    expect(readMessageContent('post', content, people, isBot)).toEqual({ text: '/进度', imageKeys: [] });
  });
});
