// AuditEvent ids: UUIDv7 (RFC 9562 section 5.7), unique and in generation order, so audit indexes grow at their right edge. https://www.rfc-editor.org/rfc/rfc9562#section-5.7
import { validate, version } from 'uuid';
import { describe, expect, it } from 'vitest';
import { timeOrderedIds } from './audit-log.js';

describe('time-ordered AuditEvent ids', () => {
  it('are valid version 7 UUIDs, unique and increasing, within one millisecond and across pool refills', () => {
    const next = timeOrderedIds();
    const ids = Array.from({ length: 5000 }, () => next());
    for (const id of ids.slice(0, 50)) {
      expect(validate(id)).toBe(true);
      expect(version(id)).toBe(7);
    }
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 1; i < ids.length; i++) expect(ids[i] > ids[i - 1]).toBe(true);
  });

  it('carry the time they were made in their first 48 bits', () => {
    const before = Date.now();
    const id = timeOrderedIds()();
    const ms = parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });
});
