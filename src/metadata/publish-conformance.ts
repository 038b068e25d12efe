// Stores the gateway's own conformance resources (profiles, code systems, value sets, ...) so they are readable and searchable by url. https://hl7.org/fhir/R4/conformance-module.html
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../store/resource-store.js';

/** A stable id from the canonical URL's last segment, so restarts update rather than duplicate. */
function idOf(r: Resource & { url?: string }): string | undefined {
  const raw = r.id ?? r.url?.split('/').pop();
  return raw?.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, 64);
}

function sameContent(a: Resource, b: Resource): boolean {
  const strip = (r: Resource) => JSON.stringify({ ...r, meta: undefined });
  return strip(a) === strip(b);
}

export async function publishConformanceResources(store: ResourceStore, resources: Resource[]): Promise<void> {
  await store.transaction(async (tx) => {
    for (const r of resources) {
      const id = idOf(r as Resource & { url?: string });
      if (!id) continue;
      const next = { ...r, id, meta: undefined } as Resource;
      const current = await tx.read(r.resourceType, id);
      if (!current) await tx.create(next);
      else if (!sameContent(current, next)) await tx.update(next);
    }
  });
}
