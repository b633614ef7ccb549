import { describe, expect, it } from 'vitest';
import { headcountMismatch, membersListed } from '../../src/domain/dorm-members.js';

describe('附件一: members listed against the headcount', () => {
  it('counts one person per entry, whatever separates them, and never splits inside brackets', () => {
    expect(membersListed('赵小明（2024级机电1班）、钱小亮（2024级机电1班）')).toBe(2);
    expect(membersListed('赵小明（2024级机电1班，团支书）\n钱小亮, 孙小军；李四')).toBe(4);
    expect(membersListed('  赵小明 、、 ')).toBe(1);
    expect(membersListed('赵小明（2024级机电1班）等 6 人')).toBe(6);
    expect(membersListed('')).toBe(0);
  });
  it('names both numbers when they disagree', () => {
    expect(headcountMismatch(2, '赵小明、钱小亮')).toBeNull();
    expect(headcountMismatch(6, '赵小明')).toBe('「宿舍人数」填的是 6 人，「宿舍人员姓名及班级」列了 1 人，请核对后再提交');
  });
});
