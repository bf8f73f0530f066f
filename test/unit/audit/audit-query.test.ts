import { InvalidAuditQueryError, parseAuditRange, parseLimit } from '../../../lambdas/core/audit/audit-query';

const NOW = Date.parse('2025-03-10T12:00:00.000Z');
const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidAuditQueryError);
    return (error as InvalidAuditQueryError).field;
  }
  throw new Error('expected an error');
};

describe('parseAuditRange', () => {
  it('reads dates as UTC days, a date-only `to` including its whole day', () => {
    expect(parseAuditRange('2025-03-01', '2025-03-01', NOW)).toEqual({
      from: Date.parse('2025-03-01T00:00:00.000Z'),
      to: Date.parse('2025-03-02T00:00:00.000Z'),
    });
  });

  it('reads date-times with a zone and defaults `to` to now', () => {
    expect(parseAuditRange('2025-03-01T10:00:00+02:00', undefined, NOW)).toEqual({
      from: Date.parse('2025-03-01T08:00:00.000Z'),
      to: NOW,
    });
  });

  it.each([
    [undefined, undefined, 'from'],
    ['yesterday', undefined, 'from'],
    ['2025-02-30', undefined, 'from'],
    ['2025-03-01T10:00:00', undefined, 'from'],
    ['2025', undefined, 'from'],
    ['2025-03-01', 'soon', 'to'],
    ['2025-03-05', '2025-03-01', 'to'],
    ['2000-01-01', '2025-01-01', 'to'],
  ])('from=%s to=%s is refused naming %s', (from, to, field) => {
    expect(fieldOf(() => parseAuditRange(from, to, NOW))).toBe(field);
  });
});

describe('parseLimit', () => {
  it('defaults, accepts and refuses', () => {
    expect(parseLimit(undefined, 500, 1000)).toBe(500);
    expect(parseLimit('20', 500, 1000)).toBe(20);
    for (const bad of ['0', '-1', '1.5', '1001', 'ten', '1e2'])
      expect(fieldOf(() => parseLimit(bad, 500, 1000))).toBe('limit');
  });
});
