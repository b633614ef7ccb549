import fs from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/**
 * The Feishu SDK, loaded by require. It is one 6 MB CommonJS file; imported as
 * ESM, Node scans the whole file for its named exports: about 0.7–1.2 s of CPU
 * and 70 MB of memory at start, where require takes 0.3–0.45 s and 36 MB.
 * The compiled bot (dist/) loads the same SDK without its comments, which
 * scripts/build.mjs writes beside it: 10 MB less memory for as long as it runs.
 * Types still come from `import type` of the package.
 */
const vendored = new URL('../vendor/node-sdk/lib/index.cjs', import.meta.url);
export const lark: typeof import('@larksuiteoapi/node-sdk') = createRequire(import.meta.url)(
  fs.existsSync(vendored) ? fileURLToPath(vendored) : '@larksuiteoapi/node-sdk',
);

/**
 * axios as the SDK requires it: its CommonJS build. Imported as ESM, 'axios' is a second copy of the same
 * library, about forty more modules in the bot's memory for the few calls the bot makes through it itself.
 */
export const axios: typeof import('axios').default = createRequire(import.meta.url)('axios');
