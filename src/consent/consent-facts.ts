// Loads, with the raw store, what one request's consent decisions need: active Consents, organisations, the patient. https://hl7.org/fhir/R4/consent.html
import type { Consent, DocumentReference, Organization, Patient, Reference, RelatedPerson, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../context.js';
import { FhirSystem, GuardianRelationship, LocalExtension, LocalSystem, Oid, OidMore, ProxyRelationship, RegisterKind } from '../kanta/codes.js';
import type { Condition, ResourceStore, SearchQuery } from '../store/resource-store.js';
import { compileConsents, type CompiledConsents, localReference, oidFromReference } from './consent-compiler.js';
import { finnishDate, stripOid } from './kanta-rules.js';
import type { WriteFacts } from './write-guard.js';

const PAGE = 500;

async function searchAll<T extends Resource>(raw: ResourceStore, resourceType: string, where: Condition[]): Promise<T[]> {
  const out: T[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const q: SearchQuery = { resourceType, where, sort: [], count: PAGE, offset, total: 'none', include: [], revinclude: [] };
    const page = await raw.search(q);
    out.push(...(page.resources as T[]));
    if (page.resources.length < PAGE) return out;
  }
}

export async function findOrganizationByOid(raw: ResourceStore, oid: string): Promise<Organization | undefined> {
  const bare = stripOid(oid);
  const hits = await searchAll<Organization>(raw, 'Organization', [
    { kind: 'param', code: 'identifier', values: [`${Oid.SoteOrganisationRegister}|urn:oid:${bare}`, `${Oid.SoteOrganisationRegister}|${bare}`] },
  ]);
  return hits[0] ?? (await raw.read('Organization', bare).catch(() => undefined) as Organization | undefined);
}

export function organizationOid(org: Organization): string | undefined {
  const id = org.identifier?.find((i) => i.system === Oid.SoteOrganisationRegister)?.value;
  return id ? stripOid(id) : org.id && /^[0-9.]+$/.test(org.id) ? org.id : undefined;
}

const flag = (org: Organization | undefined, url: string): boolean => org?.extension?.find((e) => e.url === url)?.valueBoolean === true;
const region = (org: Organization | undefined): string | undefined => org?.extension?.find((e) => e.url === LocalExtension.Region)?.valueCoding?.code;

/** Public health care: custodian type 1 (Julkinen) or the public-health register kind on the Organization. */
export function isPublicHealthOrganization(org: Organization | undefined): boolean {
  if (!org) return false;
  const codings = [...(org.type ?? []).flatMap((t) => t.coding ?? []), ...(org.meta?.security ?? [])];
  return codings.some(
    (c) => (c.system === OidMore.CustodianTypeCode && c.code === '1') || (c.system === LocalSystem.RegisterKind && c.code === RegisterKind.PublicHealth)
  );
}

/** The unit is the organisation itself or lies under it through `partOf` (the organisation registry's hierarchy). */
async function isPartOf(raw: ResourceStore, unit: Organization, org: Organization): Promise<boolean> {
  const target = organizationOid(org);
  let at: Organization | undefined = unit;
  for (let depth = 0; at && depth < 8; depth++) {
    if (at.id === org.id || (target && organizationOid(at) === target)) return true;
    const parent: string | undefined = at.partOf?.reference;
    at = parent?.startsWith('Organization/') ? ((await raw.read('Organization', parent.slice(13))) as Organization | undefined) : undefined;
  }
  return false;
}

/**
 * Seed 004 lets the citizen prohibit "Yksittäiseen ... asiakasasiakirjaan" (a single client document). A corrected
 * document is archived as a new DocumentReference that `replaces` the earlier one and shares its version set
 * (masterIdentifier), and the citizen can name only the version OmaKanta shows, so a prohibition naming any version
 * reaches every version: those linked by `replaces` either way (a set id is not always written) and every member of
 * their sets, ones archived later too. Read fresh on every request, so a later version needs no new stamp.
 */
async function addDocumentSets(raw: ResourceStore, compiled: CompiledConsents): Promise<void> {
  const idx = compiled.prohibitions;
  const named = [...idx.byInstance].filter(([ref]) => ref.startsWith('DocumentReference/'));
  for (const [ref, provisions] of named) {
    const seen = new Set<string>([ref]);
    const queue = [ref];
    // Bounded: a version chain is short; a cycle or a runaway chain stops here rather than holding the request.
    while (queue.length && seen.size <= MaxVersionsFollowed) {
      const at = queue.shift() as string;
      const doc = (await raw.read('DocumentReference', at.slice(18))) as DocumentReference | undefined;
      if (!doc) continue;
      const set = doc.masterIdentifier;
      if (set?.value) {
        const key = set.system ? `${set.system}|${set.value}` : set.value;
        addTo(idx.byDocumentSet, key, provisions);
      }
      const earlier = (doc.relatesTo ?? []).filter((r) => r.code === 'replaces').map((r) => r.target?.reference && localReference(r.target.reference));
      const later = (await searchAll<DocumentReference>(raw, 'DocumentReference', [{ kind: 'param', code: 'relatesto', values: [at] }]))
        .filter((d) => (d.relatesTo ?? []).some((r) => r.code === 'replaces' && r.target?.reference && localReference(r.target.reference) === at))
        .map((d) => `DocumentReference/${d.id}`);
      for (const next of [...earlier, ...later]) {
        if (!next || !next.startsWith('DocumentReference/') || seen.has(next)) continue;
        seen.add(next);
        queue.push(next);
        addTo(idx.byInstance, next, provisions);
      }
    }
  }
}

const addTo = <K, V>(map: Map<K, V[]>, key: K, values: V[]): void => {
  map.set(key, [...(map.get(key) ?? []), ...values]);
};

/** How many versions of one prohibited document are followed through `replaces`. */
const MaxVersionsFollowed = 100;

export interface RequestFacts {
  compiled: CompiledConsents | undefined;
  facts: WriteFacts;
}

/** Everything is loaded fresh per request, so a consent change takes effect on the next request. */
export async function loadRequestFacts(ctx: RequestContext, raw: ResourceStore): Promise<RequestFacts> {
  const p = ctx.principal;
  const P = p.patient;
  const facts: WriteFacts = {
    callerOrgPublicHealth: false,
    unitMainResponsibleSocial: false,
    unitMainResponsibleHealth: false,
    uusimaaPublicHolders: [],
    guardianVerified: false,
  };
  let compiled: CompiledConsents | undefined;
  if (P) {
    // One connection serves the whole request transaction, so look-ups run one after another.
    const consents = await searchAll<Consent>(raw, 'Consent', [
      { kind: 'param', code: 'patient', values: [`Patient/${P}`] },
      { kind: 'param', code: 'status', values: ['active'] },
    ]);
    const patient = (await raw.read('Patient', P)) as Patient | undefined;
    facts.patientBirthDate = patient?.birthDate;
    facts.patientIsSubject = !!patient?.identifier?.some((i) => i.system === Oid.Hetu && i.value === p.subject);
    const orgRefs = new Map<string, string>();
    const refs = new Set<string>();
    const visit = (ref: Reference | undefined): void => {
      const local = ref?.reference && localReference(ref.reference);
      if (local?.startsWith('Organization/') && !ref?.identifier?.value) refs.add(local);
    };
    for (const c of consents) {
      const walk = (prov: Consent['provision']): void => {
        if (!prov) return;
        prov.actor?.forEach((a) => visit(a.reference));
        prov.provision?.forEach(walk);
      };
      walk(c.provision);
    }
    for (const ref of refs) {
      const org = (await raw.read('Organization', ref.slice(13))) as Organization | undefined;
      const oid = org && organizationOid(org);
      if (oid) orgRefs.set(ref, oid);
    }
    compiled = compileConsents(P, consents, ctx.now, (ref) => oidFromReference(ref, orgRefs));
    await addDocumentSets(raw, compiled);

    if (p.kind === 'guardian' || p.kind === 'proxy') {
      // Acting for another person is verified against the store: a current RelatedPerson of the patient with the
      // caller's HETU, as guardian (GUARD) or as holder of a Suomi.fi mandate (POWATT and the mandates held).
      const related = await searchAll<RelatedPerson>(raw, 'RelatedPerson', [
        { kind: 'param', code: 'patient', values: [`Patient/${P}`] },
        { kind: 'param', code: 'identifier', values: [`${Oid.Hetu}|${p.subject}`] },
      ]);
      const today = finnishDate(ctx.now);
      const codings = (r: RelatedPerson) => (r.relationship ?? []).flatMap((cc) => cc.coding ?? []);
      const role = p.kind === 'guardian' ? GuardianRelationship : ProxyRelationship;
      const mine = related.filter(
        (r) =>
          r.active !== false &&
          codings(r).some((c) => c.code === role && (!c.system || c.system === FhirSystem.V3RoleCode)) &&
          (!r.period?.start || r.period.start.slice(0, 10) <= today) &&
          (!r.period?.end || today <= r.period.end.slice(0, 10))
      );
      if (p.kind === 'guardian') {
        facts.guardianVerified = mine.length > 0;
        facts.callerRelatedPersons = mine.map((r) => r.id as string);
      } else {
        const held = new Set(mine.flatMap(codings).filter((c) => c.system === LocalSystem.SuomiFiMandate).map((c) => c.code));
        facts.proxyMandates = (['health', 'social'] as const).filter((m) => held.has(m));
      }
    }
  }

  if (p.kind === 'professional' && p.organization) {
    const org = await findOrganizationByOid(raw, p.organization);
    const unit = p.unit ? await findOrganizationByOid(raw, p.unit) : undefined;
    facts.unitOfOrganization = !!unit && !!org && (await isPartOf(raw, unit, org));
    facts.callerOrgPublicHealth = isPublicHealthOrganization(org);
    facts.callerOrgRegion = region(org);
    facts.unitMainResponsibleSocial = flag(unit, LocalExtension.MainResponsibleUnitSocial);
    facts.unitMainResponsibleHealth = flag(unit, LocalExtension.MainResponsibleUnitHealth);
    if (p.sector === 'health' && !p.pharmacy && facts.callerOrgPublicHealth && facts.callerOrgRegion === 'uusimaa' && (compiled?.informed.length ?? 0) > 0) {
      const orgs = await searchAll<Organization>(raw, 'Organization', [
        { kind: 'param', code: 'region', values: [`${LocalSystem.Region}|uusimaa`] },
      ]);
      facts.uusimaaPublicHolders = orgs
        .filter(isPublicHealthOrganization)
        .map(organizationOid)
        .filter((o): o is string => !!o);
    }
  }
  return { compiled, facts };
}
