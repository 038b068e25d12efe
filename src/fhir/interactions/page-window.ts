// Reads _count and _offset for history paging within the server's bounds. https://hl7.org/fhir/R4/search.html#count
import { badRequest, OperationOutcomeError } from '@medplum/core';

export const DefaultCount = 20;

export function pageWindow(query: Record<string, string[]>, maxCount: number, maxOffset = Number.MAX_SAFE_INTEGER): { count: number; offset: number } {
  const num = (k: string, dflt: number): number => {
    const v = query[k]?.[0];
    if (v === undefined) return dflt;
    if (!/^\d{1,15}$/.test(v)) throw new OperationOutcomeError(badRequest(`Parameter ${k} must be a non-negative integer, not '${v.slice(0, 40)}'`, k));
    return Number(v);
  };
  const offset = num('_offset', 0);
  if (offset > maxOffset) throw new OperationOutcomeError(badRequest(`_offset ${offset} is beyond ${maxOffset} (LIMIT_OFFSET)`, '_offset'));
  return { count: Math.min(num('_count', DefaultCount), maxCount), offset };
}
