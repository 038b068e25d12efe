// Test population builders and the real SQLite store wired with the project's SearchParameters (consent tests).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Consent, ConsentProvision, Resource, SearchParameter } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../../src/context.js';
import {
  ConsentKind,
  type ConsentKindCode,
  DataOrigin,
  FhirSystem,
  FiBaseExtension,
  LocalExtension,
  LocalSystem,
  LocalSystemMore,
  Oid,
  OidMore,
  RegisterKind,
} from '../../src/kanta/codes.js';
import { createSearchRegistry } from '../../src/search/registry.js';
import type { ResourceStore, SearchQuery } from '../../src/store/resource-store.js';
import { createSqlResourceStore, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';
import { openSqliteDatabase } from '../../src/store/sqlite/sqlite-database.js';

export function projectSearchParameters(): SearchParameter[] {
  const dir = join(import.meta.dirname, '../../conformance/searchparameters');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as SearchParameter);
}

export async function openStore(): Promise<ResourceStore> {
  const db = openSqliteDatabase(':memory:');
  await migrateResourceStore(db);
  return createSqlResourceStore(db, createSearchRegistry(projectSearchParameters()), { appendOnlyTypes: ['AuditEvent'] });
}

export async function load(store: ResourceStore, resources: Resource[]): Promise<void> {
  for (const r of resources) await store.create(r);
}

export const NOW = new Date('2025-06-15T10:00:00Z');

export function ctx(principal: Partial<Principal> & Pick<Principal, 'kind'>, now = NOW): RequestContext {
  // Wide SMART scopes unless the test names its own: consent alone decides.
  return { principal: { subject: 'x', scopes: ['user/*.cruds', 'patient/*.cruds', 'system/*.cruds'], ...principal }, requestId: 'test', now, language: 'en' };
}

export function searchQuery(resourceType: string, where: SearchQuery['where'] = []): SearchQuery {
  return { resourceType, where, sort: [], count: 1000, offset: 0, total: 'accurate', include: [], revinclude: [] };
}

// ---- organisations ----
export function org(oid: string, opts: { region?: string; public?: boolean; socialFlag?: boolean; healthFlag?: boolean; partOf?: string } = {}): Resource {
  const extension = [];
  if (opts.region) extension.push({ url: LocalExtension.Region, valueCoding: { system: LocalSystem.Region, code: opts.region } });
  if (opts.socialFlag !== undefined) extension.push({ url: LocalExtension.MainResponsibleUnitSocial, valueBoolean: opts.socialFlag });
  if (opts.healthFlag !== undefined) extension.push({ url: LocalExtension.MainResponsibleUnitHealth, valueBoolean: opts.healthFlag });
  return {
    resourceType: 'Organization',
    id: oid,
    identifier: [{ system: Oid.SoteOrganisationRegister, value: `urn:oid:${oid}` }],
    ...(opts.partOf ? { partOf: { reference: `Organization/${opts.partOf}` } } : {}),
    type: opts.public === undefined ? [] : [{ coding: [{ system: OidMore.CustodianTypeCode, code: opts.public ? '1' : '2' }] }],
    ...(extension.length ? { extension } : {}),
  } as Resource;
}

/** Organisations of the rule scenarios, shared by the store-level and HTTP tests. */
export const Org = {
  HUS: '1.2.246.10.1', // public health, Uusimaa
  TAYS: '1.2.246.10.2', // public health, elsewhere
  MEHI: '1.2.246.10.3', // private health
  SOS: '1.2.246.10.4', // social care
  SOS2: '1.2.246.10.5', // social care
  VANTAA: '1.2.246.10.6', // public health, Uusimaa
  SOS_UNIT: '1.2.246.10.5.1', // unit of SOS2, päävastuullinen (social)
  SOS_UNIT_NOFLAG: '1.2.246.10.5.2', // unit of SOS2, flag missing = F
  TAYS_UNIT: '1.2.246.10.2.1', // unit of TAYS, päävastuullinen (health)
  SOS_UNIT_FALSE: '1.2.246.10.2.2', // unit of TAYS, health flag explicitly false, social flag true
} as const;

export const organizations = (): Resource[] => [
  org(Org.HUS, { public: true, region: 'uusimaa' }),
  org(Org.TAYS, { public: true, region: 'other' }),
  org(Org.MEHI, { public: false, region: 'uusimaa' }),
  org(Org.SOS, { public: true }),
  org(Org.SOS2, { public: true }),
  org(Org.VANTAA, { public: true, region: 'uusimaa' }),
  // Units lie under their organisation in the registry (partOf); a token's unit must (D5).
  org(Org.SOS_UNIT, { socialFlag: true, partOf: Org.SOS2 }),
  org(Org.SOS_UNIT_NOFLAG, { partOf: Org.SOS2 }),
  org(Org.TAYS_UNIT, { healthFlag: true, partOf: Org.TAYS }),
  org(Org.SOS_UNIT_FALSE, { healthFlag: false, socialFlag: true, partOf: Org.TAYS }),
];

// ---- records ----
export interface Marks {
  holder?: string;
  kind?: string;
  origin?: string;
  docMarks?: string[];
}
export function meta(m: Marks): Resource['meta'] {
  const security = [];
  if (m.holder) security.push({ system: LocalSystem.RegisterHolder, code: m.holder });
  if (m.kind) security.push({ system: LocalSystem.RegisterKind, code: m.kind });
  security.push({ system: LocalSystem.DataOrigin, code: m.origin ?? DataOrigin.Kanta });
  for (const d of m.docMarks ?? []) security.push({ system: LocalSystem.DocumentMark, code: d });
  return { security };
}
export const healthMarks = (holder: string, extra: { origin?: string; docMarks?: string[]; kind?: string } = {}) => ({ holder, kind: RegisterKind.PublicHealth, ...extra });
export const socialMarks = (holder: string, extra: { origin?: string; docMarks?: string[] } = {}) => ({ holder, kind: RegisterKind.SocialCare, ...extra });
/** Noon UTC of a day, or the instant itself when one is given (Helsinki-midnight boundaries). */
const at = (day: string): string => (day.includes('T') ? day : `${day}T12:00:00Z`);
const rpExt = (rp?: string) => (rp ? [{ url: FiBaseExtension.RestrictionParent, valueCoding: { system: Oid.RestrictionParent, code: rp } }] : undefined);

export function patient(id: string, birthDate = '1980-01-01', hetu = `hetu-${id}`): Resource {
  return { resourceType: 'Patient', id, birthDate, identifier: [{ system: Oid.Hetu, value: hetu }] } as Resource;
}

export function encounter(id: string, p: string, m: Marks, day: string, opts: { episode?: string; rp?: string } = {}): Resource {
  return {
    resourceType: 'Encounter',
    id,
    meta: meta(m),
    status: 'finished',
    class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
    subject: { reference: `Patient/${p}` },
    period: { start: at(day), end: at(day) },
    ...(opts.episode ? { episodeOfCare: [{ reference: `EpisodeOfCare/${opts.episode}` }] } : {}),
    ...(opts.rp ? { extension: rpExt(opts.rp) } : {}),
  } as Resource;
}

export function episode(id: string, p: string, m: Marks, day: string, task: string, opts: { rp?: string } = {}): Resource {
  return {
    resourceType: 'EpisodeOfCare',
    id,
    meta: meta(m),
    status: 'active',
    type: [{ coding: [{ system: LocalSystemMore.SocialServiceTask, code: task }] }],
    patient: { reference: `Patient/${p}` },
    period: { start: at(day), end: at(day) },
    ...(opts.rp ? { extension: rpExt(opts.rp) } : {}),
  } as Resource;
}

export interface DocOpts {
  encounter?: string;
  status?: 'current' | 'superseded' | 'entered-in-error';
  socialKind?: string;
  releaseDate?: string;
  rp?: string;
}
export function doc(id: string, p: string, m: Marks, day: string, o: DocOpts = {}): Resource {
  const extension = [...(rpExt(o.rp) ?? []), ...(o.releaseDate ? [{ url: FiBaseExtension.ReleaseDateForPatientViewing, valueDate: o.releaseDate }] : [])];
  return {
    resourceType: 'DocumentReference',
    id,
    meta: meta(m),
    status: o.status ?? 'current',
    subject: { reference: `Patient/${p}` },
    date: at(day),
    content: [{ attachment: { contentType: 'text/plain', data: 'dGVrc3Rp' } }],
    ...(o.socialKind ? { type: { coding: [{ system: LocalSystem.SocialDocumentKind, code: o.socialKind }] } } : {}),
    ...(o.encounter ? { context: { encounter: [{ reference: o.encounter }] } } : {}),
    ...(extension.length ? { extension } : {}),
  } as Resource;
}

export function prescription(id: string, p: string, m: Marks, day: string, opts: { encounter?: string } = {}): Resource {
  return {
    resourceType: 'MedicationRequest',
    id,
    meta: meta(m),
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${p}` },
    ...(opts.encounter ? { encounter: { reference: `Encounter/${opts.encounter}` } } : {}),
    medicationCodeableConcept: { text: 'Burana 400 mg' },
    authoredOn: at(day),
  } as Resource;
}

export function dispense(id: string, p: string, m: Marks, day: string, rx: string): Resource {
  return {
    resourceType: 'MedicationDispense',
    id,
    meta: meta(m),
    status: 'completed',
    subject: { reference: `Patient/${p}` },
    medicationCodeableConcept: { text: 'Burana 400 mg' },
    authorizingPrescription: [{ reference: `MedicationRequest/${rx}` }],
    whenHandedOver: at(day),
  } as Resource;
}

/** A renewal request (uusimispyyntö) of prescription `rx`, carrying the prescription's register marks. */
export function renewal(id: string, p: string, m: Marks, day: string, rx: string): Resource {
  return {
    resourceType: 'Task',
    id,
    meta: meta(m),
    status: 'requested',
    intent: 'order',
    code: { coding: [{ system: LocalSystemMore.TaskKind, code: 'prescription-renewal' }] },
    focus: { reference: `MedicationRequest/${rx}` },
    for: { reference: `Patient/${p}` },
    requester: { reference: `Patient/${p}` },
    authoredOn: at(day),
  } as Resource;
}

export function wellness(id: string, p: string, day: string): Resource {
  return {
    resourceType: 'Observation',
    id,
    meta: { security: [{ system: LocalSystem.RegisterKind, code: RegisterKind.PersonalDataStore }] },
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
    subject: { reference: `Patient/${p}` },
    effectiveDateTime: at(day),
    valueQuantity: { value: 70, unit: 'kg' },
  } as Resource;
}

/**
 * The adult patient p1's basic health and social records in several registers, and two visits of p2: the base of
 * the rule scenarios. `person` builds the two Patients (the HTTP tests need HETUs the gateway accepts).
 */
export function p1Records(person: (id: string, birthDate: string) => Resource = patient): Resource[] {
  const { HUS, TAYS, MEHI, SOS } = Org;
  const H = healthMarks;
  const S = socialMarks;
  return [
    person('p1', '1980-03-01'),
    person('p2', '1975-01-01'),
    encounter('e-hus', 'p1', H(HUS), '2024-02-01'),
    doc('d-hus', 'p1', H(HUS), '2024-02-01', { encounter: 'Encounter/e-hus' }),
    encounter('e-hus2', 'p1', H(HUS), '2024-03-01'),
    doc('d-hus2', 'p1', H(HUS), '2024-03-01', { encounter: 'Encounter/e-hus2' }),
    encounter('e-tays', 'p1', H(TAYS), '2024-04-01'),
    encounter('e-mehi', 'p1', { holder: MEHI, kind: RegisterKind.PrivateHealth }, '2024-05-01'),
    encounter('e-local', 'p1', H(HUS, { origin: DataOrigin.Local }), '2024-06-01'),
    episode('ep-cw', 'p1', S(SOS), '2024-01-10', 'child-welfare'),
    episode('ep-adult', 'p1', S(SOS), '2024-01-11', 'adult-social-work'),
    doc('d-cw', 'p1', S(SOS), '2024-01-10', { encounter: 'EpisodeOfCare/ep-cw' }),
    doc('d-adult', 'p1', S(SOS), '2024-01-11', { encounter: 'EpisodeOfCare/ep-adult' }),
    encounter('e-p2', 'p2', H(HUS), '2024-02-01'),
    encounter('e-p2-tays', 'p2', H(TAYS), '2024-02-01'),
  ];
}

// ---- consents ----
let seq = 0;
export function consent(kind: ConsentKindCode, p: string, provision: ConsentProvision, opts: { id?: string; dateTime?: string; performer?: string } = {}): Consent {
  return {
    resourceType: 'Consent',
    id: opts.id ?? `c-${kind}-${++seq}`,
    status: 'active',
    scope: { coding: [{ system: FhirSystem.ConsentScope, code: 'patient-privacy' }] },
    category: [{ coding: [{ system: LocalSystem.ConsentKind, code: kind }] }],
    patient: { reference: `Patient/${p}` },
    dateTime: opts.dateTime ?? '2024-05-01T10:00:00Z',
    ...(opts.performer ? { performer: [{ reference: opts.performer }] } : {}),
    policy: [{ uri: 'https://www.finlex.fi/fi/laki/ajantasa/2021/20210784' }],
    provision,
  };
}
export const informing = (p: string, id?: string): Consent => consent(ConsentKind.Informing, p, { type: 'permit' }, { id });
export const permission = (kind: ConsentKindCode, p: string, opts: { negative?: boolean; dateTime?: string; targets?: ConsentProvision[]; id?: string; performer?: string } = {}): Consent =>
  consent(kind, p, { type: opts.negative ? 'deny' : 'permit', ...(opts.targets ? { provision: opts.targets.map((t) => ({ type: 'permit', ...t })) } : {}) }, opts);

export type ProhibitionTarget = { holder: string } | { event: string } | { task: string } | { document: string };
export function prohibitionProvision(t: ProhibitionTarget): ConsentProvision {
  if ('holder' in t)
    return { type: 'deny', actor: [{ role: { coding: [{ system: FhirSystem.V3ParticipationType, code: 'CST' }] }, reference: { reference: `Organization/${t.holder}` } }] };
  if ('event' in t) return { type: 'deny', data: [{ meaning: 'dependents', reference: { reference: t.event } }] };
  if ('task' in t) return { type: 'deny', code: [{ coding: [{ system: LocalSystemMore.SocialServiceTask, code: t.task }] }] };
  return { type: 'deny', data: [{ meaning: 'instance', reference: { reference: `DocumentReference/${t.document}` } }] };
}
export const prohibition = (p: string, targets: ProhibitionTarget[], id?: string): Consent =>
  consent(ConsentKind.Prohibition, p, { type: 'deny', provision: targets.map(prohibitionProvision) }, { id });
export const prescriptionProhibition = (p: string, rxIds: string[]): Consent =>
  consent(ConsentKind.PrescriptionProhibition, p, {
    type: 'deny',
    data: rxIds.map((id) => ({ meaning: 'instance' as const, reference: { reference: `MedicationRequest/${id}` } })),
  });
export const wellnessApp = (p: string, clientId: string): Consent =>
  consent(ConsentKind.WellnessApp, p, {
    type: 'permit',
    actor: [{ role: { coding: [{ system: FhirSystem.V3ParticipationType, code: 'IRCP' }] }, reference: { type: 'Device', identifier: { system: LocalSystemMore.AppClientId, value: clientId } } }],
  });
export const recipientTarget = (orgOid: string): ConsentProvision => ({
  actor: [{ role: { coding: [{ system: FhirSystem.V3ParticipationType, code: 'IRCP' }] }, reference: { reference: `Organization/${orgOid}` } }],
});

/** An adult proxy's Suomi.fi mandates as the store records them (C4: acting for another is verified against the store). */
export function mandateLink(id: string, principal: string, proxyHetu: string, mandates: Array<'health' | 'social'>): Resource {
  return {
    resourceType: 'RelatedPerson',
    id,
    patient: { reference: `Patient/${principal}` },
    identifier: [{ system: Oid.Hetu, value: proxyHetu }],
    relationship: [
      { coding: [{ system: FhirSystem.V3RoleCode, code: 'POWATT' }] },
      ...mandates.map((code) => ({ coding: [{ system: LocalSystem.SuomiFiMandate, code }] })),
    ],
  } as Resource;
}

export function guardianLink(id: string, child: string, guardianHetu: string): Resource {
  return {
    resourceType: 'RelatedPerson',
    id,
    patient: { reference: `Patient/${child}` },
    identifier: [{ system: Oid.Hetu, value: guardianHetu }],
    relationship: [{ coding: [{ system: FhirSystem.V3RoleCode, code: 'GUARD' }] }],
  } as Resource;
}
