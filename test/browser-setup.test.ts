import { describe, expect, it } from 'vitest';
import { BROWSER_PACKAGES, planBrowserSetup } from './helpers/browser-setup.js';

/**
 * `npm test` on a fresh machine (issue 17, point 9): the browser tests' Chromium
 * and fonts are installed when the run can (root with apt-get, as `.ci/run`
 * used to), and otherwise the run stops before any test with what to install.
 */

const ALL = BROWSER_PACKAGES.map((p) => p.name);

describe('what the test run does about Chromium and the fonts', () => {
  it('nothing, when they are installed', () => {
    expect(planBrowserSetup({ missing: [], root: false, aptGet: false })).toEqual({ action: 'ready' });
  });

  it('installs what is missing, as root with apt-get', () => {
    expect(planBrowserSetup({ missing: ALL, root: true, aptGet: true })).toEqual({
      action: 'install',
      packages: ['chromium', 'fonts-noto-cjk', 'fonts-noto-color-emoji'],
    });
    expect(planBrowserSetup({ missing: ['fonts-noto-cjk'], root: true, aptGet: true })).toEqual({ action: 'install', packages: ['fonts-noto-cjk'] });
  });

  it('stops with the exact command to run, when not root', () => {
    const plan = planBrowserSetup({ missing: ['chromium', 'fonts-noto-cjk'], root: false, aptGet: true });
    expect(plan.action).toBe('stop');
    const message = plan.action === 'stop' ? plan.message : '';
    expect(message).toContain('sudo apt-get update && sudo apt-get install -y chromium fonts-noto-cjk\n');
    expect(message).toContain("npx vitest run --exclude 'test/simulator/*.browser.test.ts'");
  });

  it('stops naming what to install, on a machine without apt-get', () => {
    const plan = planBrowserSetup({ missing: ['chromium'], root: true, aptGet: false });
    expect(plan.action).toBe('stop');
    expect(plan.action === 'stop' && plan.message).toContain('Chromium at /usr/bin/chromium');
    expect(plan.action === 'stop' && plan.message).not.toContain('apt-get install');
  });
});
