export * from './stand-in.js';
export { sandboxCredentials, type SandboxCredentials } from './credentials.js';
export { encryptPayload, decrypt, signWebhook } from './crypto.js';
export { validateCard, validateCardContent, CARD_MAX_BYTES, CARD_MAX_ELEMENTS } from './cards.js';
export { encodeFrame, decodeFrame, type Frame, type FrameHeader } from './ws-frames.js';
export type { WsAck, WsClientConfig } from './long-connection.js';
