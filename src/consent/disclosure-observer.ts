// Records what one request disclosed and withheld, for its AuditEvent (A1, D11). https://profiles.ihe.net/ITI/BALP/
import type { Resource } from '@medplum/fhirtypes';

export interface WithheldRef {
  resourceType: string;
  id: string;
}

export interface DisclosureObserver {
  disclosed(resources: Resource[]): void;
  /** A read or vread found a resource that exists but the caller may not see (answered as missing). */
  withheld(ref: WithheldRef): void;
}

export interface DisclosureRecord {
  disclosed: Resource[];
  withheld: WithheldRef[];
}

/** One recorder per request: no state outlives it. */
export function createDisclosureRecorder(): { observer: DisclosureObserver; record: () => DisclosureRecord } {
  const disclosed: Resource[] = [];
  const seen = new Set<string>();
  const withheld: WithheldRef[] = [];
  return {
    observer: {
      disclosed(resources) {
        for (const r of resources) {
          const key = `${r.resourceType}/${r.id}/${r.meta?.versionId ?? ''}`;
          if (seen.has(key)) continue;
          seen.add(key);
          disclosed.push(r);
        }
      },
      withheld(ref) {
        withheld.push({ resourceType: ref.resourceType, id: ref.id });
      },
    },
    record: () => ({ disclosed: [...disclosed], withheld: [...withheld] }),
  };
}
