// Exports the AuditEvents recorded in a period as NDJSON, in chain order, page by page (memory stays bounded). https://hl7.org/fhir/R4/nd-json.html
import type { SqlDatabase } from '../store/sql/database.js';

const PAGE = 500;

export interface ExportPeriod {
  /** Inclusive start: a date (YYYY-MM-DD, start of that UTC day) or an instant. */
  from: string;
  /** Inclusive end: a date (the whole UTC day) or an instant. */
  to: string;
}

const DateOnly = /^\d{4}-\d{2}-\d{2}$/;

function instant(value: string, name: string): Date {
  const d = new Date(DateOnly.test(value) ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(d.getTime())) throw new Error(`--${name} '${value}' is not a date (YYYY-MM-DD) or an ISO instant`);
  return d;
}

/** The period as half-open ISO bounds [start, end), comparable with the chain's `recorded` text. */
export function periodBounds(period: ExportPeriod): { start: string; end: string } {
  const start = instant(period.from, 'from');
  const to = instant(period.to, 'to');
  const end = new Date(to.getTime() + (DateOnly.test(period.to) ? 86_400_000 : 1));
  if (end <= start) throw new Error(`--to ${period.to} is before --from ${period.from}`);
  return { start: start.toISOString(), end: end.toISOString() };
}

/**
 * Writes one AuditEvent per line (its stored JSON) for every chain link recorded in the period, in seq order.
 * `write` may return a promise (a stream's drain); the next page is read only after it settles. Returns the count.
 */
export async function exportAuditEvents(db: SqlDatabase, period: ExportPeriod, write: (line: string) => void | Promise<void>): Promise<number> {
  const { start, end } = periodBounds(period);
  let after = 0;
  let count = 0;
  for (;;) {
    const page = await db.query<{ seq: number; content: unknown }>(
      `SELECT c.seq, e.content FROM audit_chain c JOIN audit_event e ON e.id = c.resource_id
        WHERE c.seq > ? AND c.recorded >= ? AND c.recorded < ? ORDER BY c.seq LIMIT ${PAGE}`,
      [after, start, end],
    );
    for (const row of page) {
      const event = typeof row.content === 'string' ? JSON.parse(row.content) : row.content;
      await write(`${JSON.stringify(event)}\n`);
      count++;
    }
    if (page.length < PAGE) return count;
    after = Number(page[page.length - 1].seq);
  }
}
