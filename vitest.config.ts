import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // dist/ compiled for the tests that start the bot as npm start does; Chromium and fonts for the browser tests,
    // installed or asked for before anything runs;
    // the privacy scan's record of the whole run (test/helpers/privacy.ts).
    globalSetup: ['test/helpers/build-setup.ts', 'test/helpers/browser-setup.ts', 'test/helpers/privacy-global.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Each file runs a real stand-in and a real SQLite file; two cores, so keep workers few.
    maxWorkers: 2,
    reporters: ['default', 'json'],
    outputFile: { json: 'test-artifacts/vitest.json' },
  },
});
