import type { Target } from '../db/schema.js';
import type { CampaignDefinition } from './campaign.js';

/** How a campaign names its kinds and categories of visit targets, for cards and exports. */
export const kindName = (def: CampaignDefinition, key: string) => def.targetKinds.find((k) => k.key === key)?.name ?? key;
export const categoryName = (def: CampaignDefinition, key: string | null) => (key ? (def.targetCategories.find((c) => c.key === key)?.name ?? key) : '');

/** A claimed target as its visitor sees it: name, class, category and sub-kind. */
export const heldLine = (def: CampaignDefinition, t: Target) =>
  [t.name, t.className ?? kindName(def, t.kind), [categoryName(def, t.category), t.subKind].filter(Boolean).join('·')].filter(Boolean).join(' · ');
