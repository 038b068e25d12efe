// Referential integrity on write: every local literal reference must resolve to a resource the caller may see. https://hl7.org/fhir/R4/references.html
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import type { ResourceStore } from '../../store/resource-store.js';

const LocalReference = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;

/** Every `reference` string that names a local resource, with the FHIRPath-like path where it stands. */
export function localReferences(resource: Resource): Array<{ path: string; type: string; id: string }> {
  const out: Array<{ path: string; type: string; id: string }> = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'contained') continue;
        const m = k === 'reference' && typeof v === 'string' ? LocalReference.exec(v) : null;
        if (m) out.push({ path: `${path}.reference`, type: m[1], id: m[2] });
        else walk(v, `${path}.${k}`);
      }
    }
  };
  walk(resource, resource.resourceType);
  return out;
}

function uuidReferences(resource: Resource): Array<{ path: string; value: string }> {
  const out: Array<{ path: string; value: string }> = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`));
    else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) {
        if (k === 'reference' && typeof v === 'string' && v.startsWith('urn:uuid:')) out.push({ path: `${path}.reference`, value: v });
        else walk(v, `${path}.${k}`);
      }
    }
  };
  walk(resource, resource.resourceType);
  return out;
}

/**
 * Refuses a write that points at nothing. The check reads through the caller's guarded store, so a reference to a
 * record the caller may not see is "unknown" too and the answer reveals nothing about it.
 */
export async function requireReferencesResolve(store: ResourceStore, resource: Resource): Promise<void> {
  // A urn:uuid names a Bundle entry; one left after the transaction's rewrite points at nothing.
  const dangling = uuidReferences(resource)[0];
  if (dangling) throw new OperationOutcomeError(badRequest(`Unresolved reference '${dangling.value.slice(0, 80)}': no entry of this transaction has that fullUrl`, dangling.path));
  const seen = new Set<string>();
  for (const ref of localReferences(resource)) {
    const key = `${ref.type}/${ref.id}`;
    if (seen.has(key) || (ref.type === resource.resourceType && ref.id === resource.id)) continue;
    seen.add(key);
    const known = store.resolves ? await store.resolves(ref.type, ref.id) : !!(await store.read(ref.type, ref.id));
    if (!known) {
      throw new OperationOutcomeError(badRequest(`Unknown reference '${key}'`, ref.path));
    }
  }
}
