import { openDatabase } from '../db/index.js';
import { CampaignRepo } from '../db/repos.js';
import { uncoveredMonths } from '../domain/calendar.js';
import { CalendarFileError, loadCalendarFile } from '../domain/calendar-file.js';
import { command, group } from './command.js';

/** `zoufang calendar load`: a year's holidays and 调休 before the holiday dataset is updated. */

export const calendarCommand = group('calendar', '校历 / the school calendar', [
  command({
    name: 'load',
    summary: "载入一年的节假日与调休（JSON 文件）/ load a year's holidays and make-up workdays",
    positionals: [
      {
        name: 'file',
        label: '文件.json',
        help: '{"year":2027,"holidays":[{"date":"2027-01-01","name":"元旦"}],"workdays":[{"date":"2027-02-07","name":"春节"}]}',
      },
    ],
    run: async (args, { io, clock, config }) => {
      let year: Awaited<ReturnType<typeof loadCalendarFile>>;
      try {
        year = await loadCalendarFile(args.file);
      } catch (e) {
        if (!(e instanceof CalendarFileError)) throw e;
        io.err(e.message);
        return 65; // EX_DATAERR: the file, not the command, needs fixing
      }
      const db = openDatabase(config().databasePath);
      try {
        const repo = new CampaignRepo(db);
        await repo.saveYear(year, args.file, clock.now());
        io.out(
          `已载入 ${year.year} 年节假日 ${year.holidays.length} 天、调休上班 ${year.workdays.length} 天 / loaded ${year.year}: ${year.holidays.length} holidays, ${year.workdays.length} workdays`,
        );
        const loaded = repo.loadedYears().map((y) => y.year);
        for (const { def } of await repo.all()) {
          const months = uncoveredMonths(def, loaded);
          if (months.length) io.out(`活动 ${def.id} 仍缺节假日数据的月份 / months still without holiday data: ${months.join(', ')}`);
        }
        return 0;
      } finally {
        db.$client.close();
      }
    },
  }),
]);
