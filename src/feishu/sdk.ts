import { createRequire } from 'node:module';

/**
 * The Feishu SDK, loaded by require. It is one 6 MB CommonJS file; imported as
 * ESM (through tsx, as `npm start` runs) it costs about 1.3 s of CPU and 110 MB
 * of memory at start, required about 0.45 s and 40 MB. Types still come from
 * `import type` of the package.
 */
export const lark: typeof import('@larksuiteoapi/node-sdk') = createRequire(import.meta.url)('@larksuiteoapi/node-sdk');
