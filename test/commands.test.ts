import { afterEach, describe, expect, it } from 'vitest';
import { buttonValue, cardText, cst, startHarness, type Harness } from './helpers/harness.js';

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082',
  'hex',
);

describe('chat commands', () => {
  it('/进度 shows this week and the weeks missed, with buttons that open the right form', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    h.clock.set(cst('2026-11-13T16:00:00'));
    await h.runJob('zone-report-push');
    const pushed = h.cardsTo('王建国').at(-1)!;
    await h.standIn.clickCard({
      messageId: pushed.messageId,
      operatorOpenId: h.openId('王建国'),
      value: buttonValue(pushed.content, '提交'),
      formValue: { overall_state: '好', student_talks: '谈了', problems: '', remarks: '' },
    });

    h.clock.set(cst('2026-11-25T10:00:00')); // week 3; week 2 was missed
    await h.say('王建国', '/进度');
    const card = h.cardsTo('王建国').at(-1)!;
    const text = cardText(card.content);
    expect(text).toContain('我的进度 · 王建国');
    expect(text).toContain('本周 第3周（11/23–11/29）：报表将于 11月27日（周五）16:00 发给你');
    expect(text).toContain('已提交 **1/3** 周');
    expect(text).toContain('未交 1 周：第2周');

    const opened = await h.standIn.clickCard({ messageId: card.messageId, operatorOpenId: h.openId('王建国'), value: buttonValue(card.content, '补交第2周') });
    expect(cardText(opened.card?.data)).toContain('环境责任区报表 · 第2周（11/16–11/22）');

    await h.say('王建国', '/progress');
    expect(cardText(h.cardsTo('王建国').at(-1)!.content)).toContain('我的进度 · 王建国');
  });

  it('suggests the nearest command for a typo and answers unknown people and unsupported messages clearly', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    await h.say('张伟', '/progres');
    expect(h.textsTo('张伟').at(-1)).toContain('你是不是想输入 /progress');
    await h.say('张伟', '/走访记录');
    expect(h.textsTo('张伟').at(-1)).toContain('没有 /走访记录 这个命令');
    await h.standIn.sendImage(h.openId('张伟'), PNG);
    await h.settle();
    // A picture is taken as a photo for a record; with none to attach it to, it is kept and the teacher told how.
    expect(h.textsTo('张伟').at(-1)).toContain('照片已保存，但还没有可以附上的记录');
    await h.say('张伟', '你好');
    expect(h.textsTo('张伟').at(-1)).toContain('输入 /进度');

    h.standIn.addUser({ openId: 'ou_stranger0000000000000000000000', name: '访客' });
    await h.standIn.sendText('ou_stranger0000000000000000000000', '/进度');
    await h.settle();
    const replies = h.standIn.messagesTo('ou_stranger0000000000000000000000').filter((m) => m.sender.kind === 'app');
    expect(replies.at(-1)?.content.text).toContain('你还不在本次活动的名单中');
  });

  it('/帮助 lists the commands', async () => {
    h = await startHarness({ transport: 'ws', at: cst('2026-11-11T10:00:00') });
    await h.say('刘芳', '/help');
    const help = h.textsTo('刘芳').at(-1)!;
    expect(help).toContain('/进度  /progress');
    expect(help).toContain('/帮助  /help');
  });
});
