import { routesOf } from '../app.js';
import { openDatabase } from '../db/index.js';
import { CampaignRepo, PeopleRepo } from '../db/repos.js';
import { routeLines } from '../features/feature.js';
import { command } from './command.js';

/**
 * `zoufang routes`: where the code for a button is. Action names are put
 * together at run time (`${form}.submit`), so searching the source for
 * `visit.submit` finds nothing; this lists every command, card action, menu
 * key, direct-message type and job as the bot registers them, each with the
 * file of the feature that did. Built on an empty in-memory database: the
 * routes do not depend on the data, and no configuration is needed.
 */
export const routesCommand = command({
  name: 'routes',
  summary: '列出全部命令、卡片动作、菜单项和定时任务，及注册它们的文件 / every command, card action, menu key and job, with its file',
  run: (_args, ctx) => {
    const db = openDatabase(':memory:');
    try {
      const listing = routesOf({ db, clock: ctx.clock, log: ctx.log(), people: new PeopleRepo(db), campaigns: new CampaignRepo(db), send: async () => 0 });
      for (const line of routeLines(listing)) ctx.io.out(line);
      return 0;
    } finally {
      db.$client.close();
    }
  },
});
