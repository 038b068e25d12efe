// Applies _elements and _summary to returned resources and marks them SUBSETTED. https://hl7.org/fhir/R4/search.html#elements
import type { Resource } from '@medplum/fhirtypes';

const Subsetted = { system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue', code: 'SUBSETTED' } as const;

/** Mandatory elements (id, meta, resourceType) always stay, as the spec requires. */
export function selectElements<T extends Resource>(r: T, elements: string[]): T {
  const out: Record<string, unknown> = { resourceType: r.resourceType };
  const src = r as unknown as Record<string, unknown>;
  for (const k of ['id', 'meta', ...elements]) {
    if (src[k] !== undefined) out[k] = src[k];
  }
  return markSubsetted(out as unknown as T);
}

/** _summary=text keeps text plus mandatory elements; _summary=data drops text. */
export function summarize<T extends Resource>(r: T, summary: string): T {
  const src = r as unknown as Record<string, unknown>;
  if (summary === 'data') {
    const { text: _text, ...rest } = src;
    return markSubsetted(rest as unknown as T);
  }
  if (summary === 'text') {
    return markSubsetted({ resourceType: r.resourceType, id: r.id, meta: r.meta, text: src.text } as unknown as T);
  }
  return r;
}

function markSubsetted<T extends Resource>(r: T): T {
  const meta = { ...(r.meta ?? {}) };
  meta.tag = [...(meta.tag ?? []), Subsetted];
  return { ...r, meta };
}
