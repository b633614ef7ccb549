import { lark } from './sdk.js';

/**
 * One-click app creation (the SDK's registerApp: OAuth device authorization
 * against accounts.feishu.cn; RFC 8628). Kept at the edge with the rest of
 * the SDK; `zoufang setup` drives it.
 */
export const registerApp = lark.registerApp;
