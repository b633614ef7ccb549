import type { CampaignDefinition } from '../domain/campaign.js';
import { campaignOffers, offersCommand } from '../domain/shape.js';
import { repoPath, type Router } from './router.js';

/**
 * The bot menu, kept here and nowhere else: the router answers exactly these
 * event_keys (registerMenu, after the features), `zoufang setup` prints them for the
 * developer console and `zoufang doctor` names them in its fix. Feishu sends
 * `application.bot.menu_v6` only for items that exist in the console — each a
 * 「推送事件」 item with its event_key — and only once a version containing them
 * is published (机器人自定义菜单事件).
 */

export interface MenuItem {
  /** The event_key typed into the console; it arrives as `event.event_key`. */
  eventKey: string;
  /** The command the click runs, as if the person had typed it in the direct chat. */
  command: string;
}

export interface MenuSection {
  /** The main menu item; its sub-items are the entries. */
  name: string;
  items: MenuItem[];
}

/** Three main menu items of at most five entries each. */
export const BOT_MENU: MenuSection[] = [
  {
    name: '填报',
    items: [
      { eventKey: 'visit', command: '/走访' },
      { eventKey: 'dorm', command: '/宿舍' },
      { eventKey: 'student_day', command: '/体验' },
      { eventKey: 'story', command: '/心得' },
      { eventKey: 'suggest', command: '/献计' },
    ],
  },
  {
    name: '查看',
    items: [
      { eventKey: 'progress', command: '/进度' },
      { eventKey: 'ledger', command: '/台账' },
      { eventKey: 'help', command: '/帮助' },
    ],
  },
  {
    name: '管理',
    items: [
      { eventKey: 'summary', command: '/汇总' },
      { eventKey: 'missing', command: '/谁没交' },
      { eventKey: 'remind', command: '/催办' },
    ],
  },
];

/** What the entry is called in the menu: the command it runs, without the slash. */
export const menuItemName = (item: MenuItem): string => item.command.replace(/^\//, '');

export const menuItems = (): MenuItem[] => BOT_MENU.flatMap((s) => s.items);

/**
 * The menu a school builds for its campaign: only the entries for what it has
 * (no 宿舍 or 体验 in seed 002). The router still answers every event_key, so a
 * menu built for another campaign never meets silence.
 */
export function menuFor(def: CampaignDefinition | undefined): MenuSection[] {
  if (!def) return BOT_MENU;
  const offers = campaignOffers(def);
  return BOT_MENU.map((s) => ({ ...s, items: s.items.filter((i) => offersCommand(offers, i.command)) })).filter((s) => s.items.length);
}

/** Registers every item, listed under this file; a menu item whose command no feature registered fails at start. */
export function registerMenu(router: Router): void {
  const routes = router.routes(repoPath(import.meta.url));
  for (const item of menuItems()) routes.menu(item.eventKey, item.command);
}
