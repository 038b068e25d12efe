// Picks bench subjects from the seeded population: a patient whose health permission lets another register read, a citizen, a wellness-app user.
import type { Consent, DocumentReference, Patient, Resource } from '@medplum/fhirtypes';
import { ConsentKind, LocalSystem, Oid } from '../src/kanta/codes.js';
import { demoProviders } from '../src/kanta/demo-organizations.js';
import { generatePatient } from '../src/kanta/generator.js';
import type { PopulationSpec } from './population.js';

export interface PatientCandidate {
  id: string;
  hetu: string;
  /** Current documents written by a register holder other than the reading professional's. */
  otherRegisterDocuments: string[];
  encounters: number;
}

export interface Targets {
  /** Adults with an active health-care disclosure permission, the reading professional's register absent from their documents. */
  permitted: PatientCandidate[];
  /** Adults with an active wellness-app authorisation for the demo app. */
  wellness: PatientCandidate[];
  /** The professional's register holder (public, outside Uusimaa: reads other registers only with the permission, D2). */
  professionalOrg: { oid: string; unitOid: string };
}

const kindOf = (c: Consent) => c.category?.flatMap((cc) => cc.coding ?? []).find((x) => x.system === LocalSystem.ConsentKind)?.code;
const holderOf = (r: Resource) => r.meta?.security?.find((s) => s.system === LocalSystem.RegisterHolder)?.code;

/** Scans the first patients of the population (deterministic), so no database query is needed to choose. */
export function pickTargets(spec: PopulationSpec, scan = 3000): Targets {
  const reader = demoProviders.find((p) => p.key === 'OtherCountyHealth')!;
  const permitted: PatientCandidate[] = [];
  const wellness: PatientCandidate[] = [];
  for (let i = 0; i < Math.min(scan, spec.patients); i++) {
    const rs = generatePatient(spec.seed, i, spec.asOf);
    if (rs.some((r) => r.resourceType === 'RelatedPerson')) continue; // minors: guardian rules would muddy the numbers
    const patient = rs.find((r): r is Patient => r.resourceType === 'Patient' && r.id === `p${i}`)!;
    const consents = rs.filter((r): r is Consent => r.resourceType === 'Consent' && r.status === 'active');
    const kinds = new Set(consents.map(kindOf));
    const docs = rs.filter((r): r is DocumentReference => r.resourceType === 'DocumentReference' && r.status === 'current');
    const candidate: PatientCandidate = {
      id: patient.id!,
      hetu: patient.identifier!.find((x) => x.system === Oid.Hetu)!.value!,
      otherRegisterDocuments: docs.filter((d) => holderOf(d) !== reader.oid).map((d) => d.id!),
      encounters: rs.filter((r) => r.resourceType === 'Encounter').length,
    };
    if (kinds.has(ConsentKind.PermissionHealth) && !kinds.has(ConsentKind.Prohibition) && candidate.otherRegisterDocuments.length > 0) permitted.push(candidate);
    if (kinds.has(ConsentKind.WellnessApp)) wellness.push(candidate);
    if (permitted.length >= 40 && wellness.length >= 10) break;
  }
  if (!permitted.length) throw new Error('no patient with an active health permission in the scanned population');
  return { permitted, wellness, professionalOrg: { oid: reader.oid, unitOid: reader.unit.oid } };
}
