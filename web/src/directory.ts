// Organisation and unit names for OIDs and references, read once from the gateway's Organization resources.
import { fhir, searchAll } from './smart.js';

interface Org {
  id: string;
  name?: string;
  identifier?: Array<{ value?: string }>;
  partOf?: { reference?: string };
}

/** `urn:oid:` prefixes removed, however many (some values carry it twice once a system is prepended). */
export const bareOid = (v: string | undefined): string => (v ?? '').replace(/^(urn:oid:)+/, '');

export interface Directory {
  byRef(ref: string | undefined): string | undefined;
  byOid(oid: string | undefined): string | undefined;
  /** Register holders (organisations that are no one's unit), for the prohibition form. */
  registerHolders(): Array<{ id: string; name: string }>;
}

let cached: Promise<Directory> | undefined;

export function directory(): Promise<Directory> {
  cached ??= load().catch(() => {
    cached = undefined;
    return { byRef: () => undefined, byOid: () => undefined, registerHolders: () => [] };
  });
  return cached;
}

export function resetDirectory(): void {
  cached = undefined;
}

async function load(): Promise<Directory> {
  const orgs = await searchAll<Org>('Organization?_count=200');
  const byId = new Map(orgs.map((o) => [o.id, o]));
  const byOid = new Map<string, Org>();
  for (const o of orgs) for (const i of o.identifier ?? []) if (i.value) byOid.set(bareOid(i.value), o);
  const label = (o: Org | undefined): string | undefined => {
    if (!o) return undefined;
    const parent = o.partOf?.reference ? byId.get(o.partOf.reference.split('/')[1]) : undefined;
    return parent?.name && o.name ? `${o.name} (${parent.name})` : o.name;
  };
  return {
    byRef: (ref) => label(ref ? byId.get(ref.split('/')[1]) : undefined),
    byOid: (oid) => label(byOid.get(bareOid(oid))),
    registerHolders: () => orgs.filter((o) => !o.partOf && o.name).map((o) => ({ id: o.id, name: o.name! })),
  };
}

export { fhir };
