import { describe, expect, it } from 'vitest';
import { durationField, parseDuration } from './duration.js';

describe('durations with units', () => {
  it('reads every unit, decimals and a space before the unit', () => {
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('1.5s')).toBe(1_500);
    expect(parseDuration('5 m')).toBe(300_000);
    expect(parseDuration('2h')).toBe(7_200_000);
    expect(parseDuration('1d')).toBe(86_400_000);
  });

  it('refuses a number without a unit and unknown units, with a message that shows the form', () => {
    expect(parseDuration('30')).toBeNull();
    expect(parseDuration('3w')).toBeNull();
    const field = durationField('Size', 'How long');
    const result = field.safeParse('30');
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('500ms, 30s, 5m');
    expect(field.parse(' 10s ')).toBe('10s');
  });
});
