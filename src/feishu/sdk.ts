import { createRequire } from 'node:module';

/**
 * The Feishu SDK, loaded by require. It is one 6 MB CommonJS file; imported as
 * ESM, Node scans the whole file for its named exports: about 0.7–1.2 s of CPU
 * and 70 MB of memory at start, where require takes 0.3–0.45 s and 36 MB.
 * Types still come from `import type` of the package.
 */
export const lark: typeof import('@larksuiteoapi/node-sdk') = createRequire(import.meta.url)('@larksuiteoapi/node-sdk');
