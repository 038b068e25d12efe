// The bench scenarios: which caller sends which FHIR request; each is driven for a bounded time against gateway and baseline.
import type { Consent, Observation } from '@medplum/fhirtypes';
import { ConsentKind, profileUrl } from '../src/kanta/codes.js';
import { LoincSystem, ObservationCategorySystem, PhrKind, PhrKinds, UcumSystem } from '../src/pds/phr-kinds.js';
import { toConsent } from '../src/kanta/consent-to-fhir-consent.js';
import type { PatientCandidate, Targets } from './targets.js';

export interface Scenario {
  name: string;
  description: string;
  method: 'GET' | 'POST';
  path: string;
  /** Claims of the token the requests carry (minted by the bench issuer, bench/bench-issuer.ts). */
  claims: Record<string, unknown>;
  body?: string;
  /** The status every request must answer; anything else counts as an error. */
  expect: number;
}

/**
 * Each scenario works on its own patient: every request writes an AuditEvent about its patient, and a
 * patient's audit events must not carry over from one scenario into the next one's numbers.
 */
export interface Subjects {
  byScenario: Record<string, PatientCandidate>;
  wellness?: PatientCandidate;
  professionalOrg: Targets['professionalOrg'];
}

const Names = ['read', 'search-documents', 'search-encounters', 'search-include', 'citizen-documents', 'create-consent'] as const;

export function pickSubjects(t: Targets): Subjects {
  if (t.permitted.length < Names.length) throw new Error(`need ${Names.length} subject patients, found ${t.permitted.length}`);
  return { byScenario: Object.fromEntries(Names.map((n, i) => [n, t.permitted[i]])), wellness: t.wellness[0], professionalOrg: t.professionalOrg };
}

function professional(s: Subjects, patient: PatientCandidate): Record<string, unknown> {
  return {
    sub: '250677-9095', kanta_role: 'professional', name: 'Bench Doctor', organization: s.professionalOrg.oid, unit: s.professionalOrg.unitOid, sector: 'health',
    purpose_of_use: 'TREAT', care_relationship: 'treatment', patient: patient.id, scope: 'user/*.cruds',
  };
}

const citizen = (patient: PatientCandidate) => ({ sub: patient.hetu, kanta_role: 'citizen', patient: patient.id, scope: 'patient/*.cruds' });

function consentBody(patient: string): string {
  const c: Consent = toConsent({ kind: ConsentKind.Informing, patientRef: `Patient/${patient}`, performerRef: `Patient/${patient}`, dateTime: '2025-01-02T12:00:00Z', status: 'inactive' });
  delete (c as { id?: string }).id;
  // The gateway stamps a consent with its own clock (C6) and refuses another instant; a fixed one would be refused.
  delete c.dateTime;
  return JSON.stringify(c);
}

/** A body-weight measurement as the wellness app sends it: PHR profile declared, LOINC code, UCUM unit. */
function observationBody(patient: string): string {
  const d = PhrKinds[PhrKind.BodyWeight];
  const o: Observation = {
    resourceType: 'Observation',
    meta: { profile: [profileUrl(d.profileId)] },
    status: 'final',
    category: [{ coding: [{ system: ObservationCategorySystem, code: d.category }] }],
    code: { coding: [{ system: LoincSystem, code: d.loinc, display: d.display }] },
    subject: { reference: `Patient/${patient}` },
    performer: [{ reference: `Patient/${patient}` }],
    effectiveDateTime: '2025-01-02T08:00:00+02:00',
    valueQuantity: { value: 72.5, unit: d.units[0], system: UcumSystem, code: d.units[0] },
  };
  return JSON.stringify(o);
}

export function scenarios(s: Subjects): Scenario[] {
  const p = (name: (typeof Names)[number]) => s.byScenario[name];
  const list: Scenario[] = [
    { name: 'read', description: 'read DocumentReference by id: professional of another register, with the health permission (D2)', method: 'GET', path: `/fhir/DocumentReference/${p('read').otherRegisterDocuments[0]}`, claims: professional(s, p('read')), expect: 200 },
    { name: 'search-documents', description: 'patient-scoped search of DocumentReference (professional)', method: 'GET', path: `/fhir/DocumentReference?patient=${p('search-documents').id}`, claims: professional(s, p('search-documents')), expect: 200 },
    { name: 'search-encounters', description: 'patient-scoped search of Encounter (professional)', method: 'GET', path: `/fhir/Encounter?patient=${p('search-encounters').id}`, claims: professional(s, p('search-encounters')), expect: 200 },
    { name: 'search-include', description: 'DocumentReference search with _include=DocumentReference:encounter (professional)', method: 'GET', path: `/fhir/DocumentReference?patient=${p('search-include').id}&_include=DocumentReference:encounter`, claims: professional(s, p('search-include')), expect: 200 },
    { name: 'citizen-documents', description: 'citizen reading own DocumentReferences (C1)', method: 'GET', path: `/fhir/DocumentReference?patient=${p('citizen-documents').id}`, claims: citizen(p('citizen-documents')), expect: 200 },
    { name: 'create-consent', description: 'citizen creates a Consent (validated, audited write)', method: 'POST', path: '/fhir/Consent', claims: citizen(p('create-consent')), body: consentBody(p('create-consent').id), expect: 201 },
  ];
  if (s.wellness) {
    list.push({
      name: 'wellness-upload', description: 'wellness app uploads a body-weight Observation (P1)', method: 'POST', path: '/fhir/Observation',
      claims: { sub: 'demo-wellness-app', kanta_role: 'app', client_id: 'demo-wellness-app', patient: s.wellness.id, scope: 'patient/Observation.crs' },
      body: observationBody(s.wellness.id), expect: 201,
    });
    list.push({
      name: 'transaction', description: 'wellness app uploads two Observations in one transaction Bundle (P1)', method: 'POST', path: '/fhir',
      claims: { sub: 'demo-wellness-app', kanta_role: 'app', client_id: 'demo-wellness-app', patient: s.wellness.id, scope: 'patient/Observation.crs' },
      body: JSON.stringify({
        resourceType: 'Bundle', type: 'transaction',
        entry: [0, 1].map(() => ({ resource: JSON.parse(observationBody(s.wellness!.id)), request: { method: 'POST', url: 'Observation' } })),
      }),
      expect: 200,
    });
  }
  return list;
}

/** Scenarios repeated at the second consent density (SPEC 5: cost flat in the number of stored consents). */
export const DensityScenarios = ['read', 'search-documents'] as const;

/** Patient-scoped searches also measured with one connection (SPEC 5 p99 target). */
export const LatencyScenarios = ['search-documents', 'search-encounters'] as const;

/** The headers every request of a scenario carries; without a token for servers that take none (baseline, peer). */
export function requestHeaders(sc: Scenario, token?: string): Record<string, string> {
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), accept: 'application/fhir+json', ...(sc.body ? { 'content-type': 'application/fhir+json' } : {}) };
}

/** Scenarios repeated with several gateway processes (WORKERS, issue 12 "Both cores"). */
export const WorkerScenarios = ['read', 'search-documents'] as const;
