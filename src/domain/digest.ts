import type { ReportWeek } from './weeks.js';

/**
 * Digest numbers as a pure function of the data, so every figure in a group
 * message can be checked against a hand-computed fixture.
 */

export interface ZoneFact {
  zoneId: number;
  ownerName: string | null;
}

export interface ReportFact {
  zoneId: number;
  weekNo: number;
  late: boolean;
}

export interface WeekCompletion {
  weekNo: number;
  onTime: number;
  late: number;
  missing: number;
}

export interface ZoneReportDigest {
  week: WeekCompletion;
  total: number;
  /** Owners who have not filed the digest's week (names of teachers only, never students). */
  missingOwners: string[];
  /** Owners who filed every week so far on time. */
  perfectOwners: string[];
  /** Completion of each week up to the digest's week, for the chart. */
  history: WeekCompletion[];
}

export function zoneReportDigest(weeks: ReportWeek[], upTo: ReportWeek, zones: ZoneFact[], reports: ReportFact[]): ZoneReportDigest {
  const owned = zones.filter((z) => z.ownerName);
  const byKey = new Map(reports.map((r) => [`${r.zoneId}:${r.weekNo}`, r]));
  const completion = (weekNo: number): WeekCompletion => {
    let onTime = 0;
    let late = 0;
    for (const z of owned) {
      const r = byKey.get(`${z.zoneId}:${weekNo}`);
      if (r) r.late ? late++ : onTime++;
    }
    return { weekNo, onTime, late, missing: owned.length - onTime - late };
  };
  const history = weeks.filter((w) => w.weekNo <= upTo.weekNo).map((w) => completion(w.weekNo));
  const perfect = owned.filter((z) => history.every((h) => byKey.get(`${z.zoneId}:${h.weekNo}`)?.late === false));
  return {
    week: completion(upTo.weekNo),
    total: owned.length,
    missingOwners: owned.filter((z) => !byKey.has(`${z.zoneId}:${upTo.weekNo}`)).map((z) => z.ownerName!),
    perfectOwners: [...new Set(perfect.map((z) => z.ownerName!))],
    history,
  };
}
