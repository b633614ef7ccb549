import fs from 'node:fs/promises';
import { CampaignDefinitionError, parseCampaignDefinition, type CampaignDefinition } from './campaign.js';

/** Reads a campaign definition (JSON) from disk; every problem is reported with its path in the file. */
export async function loadCampaignFile(file: string): Promise<CampaignDefinition> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    throw new CampaignDefinitionError(file, [`无法读取文件 / cannot read the file: ${(e as Error).message}`]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CampaignDefinitionError(file, [`不是有效的 JSON / not valid JSON: ${(e as Error).message}`]);
  }
  return parseCampaignDefinition(data, file);
}
