import type { Routes } from '../../bot/router.js';
import { isAdmin } from '../../bot/router.js';
import { campaignOffers, offersCommand } from '../../domain/shape.js';
import { currentCampaign } from '../deps.js';
import { defineFeature } from '../feature.js';

/** /帮助 · /help — the commands this person may use, in the campaign running now. */
export const helpFeature = defineFeature({ name: 'help', at: import.meta.url }, (deps) => {
  function register(router: Routes) {
    router.command({
      names: ['/帮助', '/help'],
      summary: '查看全部命令 / list commands',
      answersInGroup: true,
      async handler({ person, reply }) {
        const campaign = currentCampaign(await deps.campaigns.all(), deps.clock.now());
        // Admins see everything the campaign has; others what they take part in (/献计 only for the discussion's roles).
        const offers = campaign && campaignOffers(campaign.def, person && !isAdmin(person) ? person.roles : undefined);
        const lines = router
          .commandList(isAdmin(person))
          .filter((c) => !offers || offersCommand(offers, c.names[0]!))
          .map((c) => `${c.names.join('  ')}　${c.summary}${c.adminOnly ? '（管理员）' : ''}`);
        await reply({
          text: `走访助手可以做这些事：\n${lines.join('\n')}\n\n在私聊里直接输入命令即可，斜杠可省略（如「进度」）；在群里请先 @走访助手，再输入带斜杠的命令。`,
        });
      },
    });
  }
  return { register };
});
