import { randomBytes } from 'node:crypto';

/**
 * Made-up app credentials, shared by a stand-in and the bot that talks to it the
 * way Feishu and an app share them. The app id must look like cli_ + 16 hex
 * digits: WSClient.start() silently does nothing otherwise.
 */
export function sandboxCredentials() {
  return {
    appId: `cli_${randomBytes(8).toString('hex')}`,
    appSecret: randomBytes(16).toString('hex'),
    encryptKey: randomBytes(16).toString('hex'),
    verificationToken: randomBytes(12).toString('hex'),
  };
}

export type SandboxCredentials = ReturnType<typeof sandboxCredentials>;
