/**
 * 附件一 asks for the dorm's headcount and, beside it, its members with their
 * classes ("赵小明（2024级机电1班）、钱小亮（2024级机电1班）"). The two must tell the
 * same story, so the members typed are counted the way the roster's column is
 * written: one person per entry, entries separated by 、，,;； or a new line,
 * and nothing inside brackets (a class, a note) splits an entry; a list that
 * ends "…等 6 人" counts as the six it says.
 */
export function membersListed(text: string): number {
  // "赵小明（2024级机电1班）等 6 人" states the number itself.
  const stated = /等\s*(\d+)\s*人\s*$/.exec(text.trim());
  if (stated) return Number(stated[1]);
  let depth = 0;
  let entries = 0;
  let inEntry = false;
  for (const ch of text) {
    if ('（(【['.includes(ch)) depth++;
    else if ('）)】]'.includes(ch)) depth = Math.max(0, depth - 1);
    if (depth === 0 && /[、，,;；\n]/.test(ch)) {
      inEntry = false;
      continue;
    }
    if (!inEntry && !/\s/.test(ch)) {
      inEntry = true;
      entries++;
    }
  }
  return entries;
}

/** What to say when the headcount and the member list disagree, naming both numbers; null when they agree. */
export function headcountMismatch(headcount: number, members: string): string | null {
  const listed = membersListed(members);
  return listed === headcount ? null : `「宿舍人数」填的是 ${headcount} 人，「宿舍人员姓名及班级」列了 ${listed} 人，请核对后再提交`;
}
