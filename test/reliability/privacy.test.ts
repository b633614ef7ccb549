import { describe, expect, it } from 'vitest';
import { privateValues, scan } from '../helpers/privacy.js';
import { PRIVATE, startRecordsHarness } from '../records/fixtures.js';

/**
 * The privacy scan itself (every harness runs it on close, and the run fails
 * at its end unless all were clean): it must find what it looks for, and not
 * cry wolf at ids and timestamps.
 */
describe('privacy scan', () => {
  it('knows a campaign’s private values and finds them, or any mobile number, in a log line or a group message', async () => {
    const h = await startRecordsHarness();
    try {
      const secrets = privateValues(h.dbFile);
      for (const v of [PRIVATE.parent, PRIVATE.phone, PRIVATE.address, PRIVATE.reason]) expect(secrets).toContain(v);
      expect(scan([`{"level":30,"msg":"saved","note":"${PRIVATE.address}"}`], [], secrets).map((f) => f.where)).toEqual(['log']);
      expect(scan([], [`【通报】${PRIVATE.parent}家长反映${PRIVATE.reason}`], secrets).map((f) => f.what)).toEqual([PRIVATE.parent, PRIVATE.reason]);
      expect(scan(['请拨 13912345678 联系'], [], [])).toHaveLength(1);
      // Hex ids, long timestamps and masked numbers are not phone numbers.
      expect(scan(['{"openId":"ou_a13912345678b","at":17328000000001,"mobile":"139****5678"}'], [], [])).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
