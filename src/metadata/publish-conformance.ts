// Stores the gateway's own conformance resources (profiles, code systems, value sets, ...) so they are readable and searchable by url. https://hl7.org/fhir/R4/conformance-module.html
import { isConflict, OperationOutcomeError } from '@medplum/core';
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
      if (!current) await createUnlessRaced(tx, next);
      else if (!sameContent(current, next)) await tx.update(next);
    }
  });
}

/** Several gateway processes may start at once on one PostgreSQL: the one that loses the race finds it already there. */
async function createUnlessRaced(store: ResourceStore, resource: Resource): Promise<void> {
  try {
    await store.transaction((sp) => sp.create(resource));
  } catch (err) {
    const uniqueViolation = (err as { code?: string }).code === '23505';
    if (!uniqueViolation && !(err instanceof OperationOutcomeError && isConflict(err.outcome))) throw err;
  }
}
