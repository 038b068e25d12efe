// Reads _count and _offset for history paging within the server's bounds. https://hl7.org/fhir/R4/search.html#count
import { badRequest, OperationOutcomeError } from '@medplum/core';

export const DefaultCount = 20;

export function pageWindow(query: Record<string, string[]>, maxCount: number): { count: number; offset: number } {
  const num = (k: string, dflt: number): number => {
    const v = query[k]?.[0];
    if (v === undefined) return dflt;
    if (!/^\d+$/.test(v)) throw new OperationOutcomeError(badRequest(`Parameter ${k} must be a non-negative integer, not '${v}'`, k));
    return Number(v);
  };
  return { count: Math.min(num('_count', DefaultCount), maxCount), offset: num('_offset', 0) };
}
