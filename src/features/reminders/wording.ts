import { ONCE_TASK_NAMES, type Obligation } from '../../domain/obligations.js';
import type { Stage } from '../../domain/reminders.js';
import { dayjs, formatDue } from '../../domain/time.js';

/**
 * What a reminder says. Kind and specific: what is owed, how far along the
 * person is, and how much time is left — never a bare "please submit".
 */

/** A short line naming the obligation, for lists (/谁没交, the admins' overdue list). */
export function obligationLine(o: Obligation): string {
  if (o.kind === 'once') return `${ONCE_TASK_NAMES[o.task]}${o.subjectLabel ? `（${o.subjectLabel}）` : ''} · 截止 ${formatDue(o.dueOn)}`;
  if (o.kind === 'quota') {
    const s = o.standing;
    return `${s.period.label}「${s.quota.name}」${s.done}/${s.required} 位`;
  }
  const s = o.standing;
  return `认领对象已走访 ${s.visited}/${s.required} 位${s.claimed < s.required ? `（已认领 ${s.claimed} 位）` : ''} · 截止 ${formatDue(o.dueOn)}`;
}

export interface ReminderText {
  title: string;
  message: string;
  overdue: boolean;
  openLabel: string;
}

export function reminderText(o: Obligation, stage: Stage, name: string): ReminderText {
  const hello = `${name}老师，`;
  if (o.kind === 'once') {
    const what = `**${ONCE_TASK_NAMES[o.task]}**${o.subjectLabel ? `（${o.subjectLabel}）` : ''}`;
    if (stage.kind === 'before') {
      const left = stage.daysBefore === 1 ? '明天就截止了' : `还有 ${dayjs(o.dueOn).diff(dayjs(stage.on), 'day')} 天`;
      return {
        title: `提醒：${ONCE_TASK_NAMES[o.task]}`,
        message: `${hello}${what}的截止日期是 **${formatDue(o.dueOn)}**，${left}。`,
        overdue: false,
        openLabel: '现在填写 Fill in now',
      };
    }
    return {
      title: `逾期未交：${ONCE_TASK_NAMES[o.task]}`,
      message: `${hello}${what}已于 ${formatDue(o.dueOn)} 截止，还没有收到。现在提交仍然可以，会记为补交。`,
      overdue: true,
      openLabel: '现在补交 Submit now',
    };
  }
  if (o.kind === 'quota') {
    const s = o.standing;
    const short = s.required - s.done;
    const what = `${s.period.label}「${s.quota.name}」`;
    // The quota counts people (每位每月至少走访5位): a second call on the same family adds nothing.
    const pace = stage.kind === 'pace' ? `按进度此时应走访 ${s.expectedNow} 位，` : '';
    return {
      title: `${s.period.label}走访进度提醒`,
      message: `${hello}${what}已走访 **${s.done}/${s.required}** 位，${pace}${s.quota.period === 'month' ? '本月' : ''}还差 **${short} 位**，剩 ${s.daysLeft} 天。`,
      overdue: stage.kind === 'period-end',
      openLabel: '记录走访 Record a visit',
    };
  }
  const s = o.standing;
  const left = s.required - s.visited;
  // Someone who has not claimed enough is told how, before anything else.
  const toClaim = s.claimed < s.required ? `你已认领 ${s.claimed} 位，还需认领 ${s.required - s.claimed} 位（输入 /认领）。` : '';
  if (stage.kind === 'pace') {
    return {
      title: '走访进度提醒',
      message: `${hello}${toClaim}本学期要走访的 ${s.required} 位认领对象已走访 **${s.visited}** 位，按学期进度此时应走访约 ${s.expectedNow} 位；还有 ${left} 位，本学期剩 ${s.daysLeft} 天。`,
      overdue: false,
      openLabel: '记录走访 Record a visit',
    };
  }
  if (stage.kind === 'before') {
    return {
      title: '走访任务即将截止',
      message: `${hello}${toClaim}本学期的认领对象还有 **${left} 位**未走访，**${formatDue(o.dueOn)} 截止**。`,
      overdue: false,
      openLabel: '记录走访 Record a visit',
    };
  }
  return {
    title: '走访任务已逾期',
    message: `${hello}本学期的走访任务已于 ${formatDue(o.dueOn)} 截止，认领对象还有 **${left} 位**未走访。补记走访仍然可以。`,
    overdue: true,
    openLabel: '记录走访 Record a visit',
  };
}
