import { openDatabase } from '../db/index.js';
import { PeopleRepo } from '../db/repos.js';
import { purposeInWords } from '../features/delivery/index.js';
import { decideHeld, heldMessages } from '../feishu/outbox.js';
import { CliError, command, group } from './command.js';

/** `zoufang outbox held|release|drop`: the admin's decision on messages held after a Feishu outage. */

const held = command({
  name: 'held',
  summary: '列出飞书故障后暂停重发的消息 / list messages held after a Feishu outage',
  run: async (_args, { io, config }) => {
    const db = openDatabase(config().databasePath);
    try {
      const rows = heldMessages(db);
      if (!rows.length) io.out('没有暂停重发的消息 / nothing held');
      const people = new PeopleRepo(db);
      for (const r of rows) {
        const to = r.receiveIdType === 'open_id' && r.receiveId ? ((await people.byOpenId(r.receiveId))?.name ?? r.receiveId) : (r.receiveId ?? '');
        io.out(`${r.id}\t${purposeInWords(r.purpose)}\t${to}\t首次尝试 / first tried ${r.uncertainSince?.toISOString() ?? ''}`);
      }
      return 0;
    } finally {
      db.$client.close();
    }
  },
});

function decision(name: 'release' | 'drop', summary: string) {
  return command({
    name,
    summary,
    positionals: [
      { name: 'ids', label: '编号…|all', variadic: true, help: '消息编号（见 zoufang outbox held），或 all / message ids (see zoufang outbox held), or all' },
    ],
    run: (args, { io, config }) => {
      const ids = args.ids.length === 1 && args.ids[0] === 'all' ? 'all' : args.ids.map(Number);
      if (ids !== 'all' && ids.some((n) => !Number.isInteger(n) || n <= 0)) {
        throw new CliError(`请写出消息编号（见 zoufang outbox held）或 all / give the message ids (see zoufang outbox held) or all`);
      }
      const db = openDatabase(config().databasePath);
      try {
        const changed = decideHeld(db, name, ids, Date.now());
        const missing = ids === 'all' ? [] : ids.filter((id) => !changed.some((r) => r.id === id));
        io.out(
          name === 'release'
            ? `已重新排队 ${changed.length} 条，运行中的机器人会在一秒内发出 / ${changed.length} queued again; the running bot sends them`
            : `已放弃 ${changed.length} 条 / ${changed.length} dropped`,
        );
        if (!missing.length) return 0;
        io.err(`这些编号没有暂停重发的消息 / not held: ${missing.join(', ')}`);
        return 1;
      } finally {
        db.$client.close();
      }
    },
  });
}

export const outboxCommand = group('outbox', '飞书故障后暂停重发的消息 / messages held after a Feishu outage', [
  held,
  decision('release', '重新发送（收件人可能收到两份）/ send them again (a receiver may get two)'),
  decision('drop', '不再发送 / give them up'),
]);
