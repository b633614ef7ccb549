export * from './stand-in.js';
export { sandboxCredentials, type SandboxCredentials } from './credentials.js';
export { encryptPayload, signWebhook } from './crypto.js';
