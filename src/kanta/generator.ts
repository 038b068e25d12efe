// Deterministic synthetic Kanta population (seeded): patients, visits, documents, social care, prescriptions and consents, streamed. https://hl7.org/fhir/R4/resourcelist.html
import type { Coding, Resource } from '@medplum/fhirtypes';
import { ConsentKind, LocalSystem, LocalSystemMore, Oid, type ConsentKindCode } from './codes.js';
import { toDocumentReference } from './archived-document-to-document-reference.js';
import { toConsent, type ConsentTargetInput } from './consent-to-fhir-consent.js';
import { demoOrganizations, demoProviders, unitId, type DemoProvider } from './demo-organizations.js';
import { toRelatedPerson } from './guardian-to-related-person.js';
import { makeHetu, sexFromHetu } from './hetu.js';
import { toPatient } from './person-to-patient.js';
import { toMedicationRequest } from './prescription-to-medication-request.js';
import { createRandom, streamSeed, type Random } from './random.js';
import { toRenewalTask } from './renewal-request-to-task.js';
import type { DocumentMarkCode } from './security-labels.js';
import { serviceTaskCoding, toEpisodeOfCare } from './service-task-to-episode-of-care.js';
import { toEncounter } from './visit-to-encounter.js';

export interface PopulationOptions {
  seed: number;
  patients: number;
  /** The day ages, delays and visit dates are computed from (YYYY-MM-DD); default: today (UTC). */
  asOf?: string;
  /** Index of the first patient (to generate a population in slices). */
  offset?: number;
}

const FAMILY = ['Virtanen', 'Korhonen', 'Mäkinen', 'Nieminen', 'Mäkelä', 'Hämäläinen', 'Laine', 'Heikkinen', 'Koskinen', 'Järvinen'] as const;
/** Given names by the sex the HETU's individual number encodes, so a synthetic Aino is never a man. */
const GIVEN = { female: ['Aino', 'Helmi', 'Sofia', 'Ella', 'Olivia'], male: ['Eino', 'Leo', 'Oliver', 'Väinö', 'Elias'] } as const;
const givenFor = (hetu: string, rng: Random): string => rng.pick(GIVEN[sexFromHetu(hetu) ?? 'female']);
const MEDICINES = [['C09AA05', 'Ramipril 5 mg tabl'], ['N02BE01', 'Parasetamoli 500 mg tabl'], ['A02BC01', 'Omepratsoli 20 mg kaps'], ['C10AA01', 'Simvastatiini 20 mg tabl'], ['R03AC02', 'Salbutamoli inhalaatiojauhe']] as const;
const HEALTH_VIEWS: readonly Coding[] = [
  { system: LocalSystemMore.View, code: 'narrative' }, { system: LocalSystemMore.View, code: 'laboratory' },
  { system: Oid.View, code: '102', display: 'RTG' }, { system: LocalSystemMore.View, code: 'nursing' },
];
const SOCIAL_KINDS = ['notification', 'application', 'assessment', 'plan', 'decision', 'client-record-entry', 'shelter', 'payment-commitment'] as const;
const SERVICE_TASKS = ['child-welfare', 'adult-social-work', 'elderly-services', 'disability-services', 'substance-abuse-services'] as const;
const DAY = 86_400_000;
/** Birth dates span 1925..asOf; the bijection (i * STEP) mod SPAN keeps (date, individual number) unique. */
const SPAN = 36_500;
const STEP = 7_919;

const HEALTH = demoProviders.filter((p) => p.registerKind !== 'social-care' && p.key !== 'Pharmacy');
const SOCIAL = demoProviders.filter((p) => p.registerKind === 'social-care' && p.key !== 'SocialCareAuthority');

function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The birth date and HETU of synthetic person i; guardians use individual numbers from 950 up. */
export function syntheticHetu(index: number, asOfMs: number, rng: Random, guardian = false): { hetu: string; birthDate: string } {
  const dayIndex = (index * STEP) % SPAN;
  const birthMs = asOfMs - (guardian ? 30 * 365 * DAY : 0) - (dayIndex + 1) * DAY - (guardian ? 0 : 0);
  const birthDate = isoDay(Math.max(birthMs, Date.UTC(1901, 0, 1)));
  const block = Math.floor(index / SPAN);
  const individual = (guardian ? 950 : 900) + 2 * block + (rng.chance(0.5) ? 1 : 0);
  return { hetu: makeHetu(birthDate, individual), birthDate };
}

function ageOn(birthDate: string, asOf: string): number {
  const [by, bm, bd] = birthDate.split('-').map(Number);
  const [y, m, d] = asOf.split('-').map(Number);
  return y - by - (m < bm || (m === bm && d < bd) ? 1 : 0);
}

const oidOf = (...parts: (string | number)[]) => `1.2.246.10.99999.${parts.join('.')}`;

/** All resources of synthetic patient `index`. */
export function generatePatient(seed: number, index: number, asOf: string): Resource[] {
  const rng = createRandom(streamSeed(seed, index));
  const asOfMs = Date.parse(`${asOf}T00:00:00Z`);
  const out: Resource[] = [];
  const pid = `p${index}`;
  const patientRef = `Patient/${pid}`;
  const { hetu, birthDate } = syntheticHetu(index, asOfMs, rng);
  out.push(toPatient({ id: pid, hetu, family: rng.pick(FAMILY), given: [givenFor(hetu, rng)] }));
  const age = ageOn(birthDate, asOf);
  let guardianRef: string | undefined;
  if (age < 18) {
    const g = syntheticHetu(index, asOfMs, rng, true);
    out.push(toPatient({ id: `${pid}-g`, hetu: g.hetu, family: rng.pick(FAMILY), given: [givenFor(g.hetu, rng)] }));
    const guardian = toRelatedPerson({ id: `${pid}-guardian`, childRef: patientRef, guardianHetu: g.hetu, start: birthDate });
    out.push(guardian);
    guardianRef = `RelatedPerson/${guardian.id}`;
  }
  const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const since = Math.max(Date.parse(`${birthDate}T00:00:00Z`), asOfMs - 10 * 365 * DAY);
  const encounterRefs: { ref: string; provider: DemoProvider }[] = [];
  const documentRefs: string[] = [];

  const visits = rng.int(1, 4);
  for (let v = 0; v < visits; v++) {
    const provider = rng.pick(HEALTH);
    const carePeriod = rng.chance(0.15);
    const start = since + Math.floor(rng.next() * Math.max(asOfMs - since, DAY));
    const end = start + (carePeriod ? rng.int(1, 10) * DAY : 30 * 60_000);
    const register = { registerHolder: provider.oid, registerKind: provider.registerKind, origin: rng.chance(0.05) ? ('local' as const) : ('kanta' as const) };
    const encId = `${pid}-enc-${v}`;
    const restrictionParent = age < 18 ? (age < 10 ? '1' : rng.pick(['2', '3', '4'])) : undefined;
    out.push(toEncounter({ id: encId, ...register, serviceEventOid: oidOf(index, 14011, v), kind: carePeriod ? 'care-period' : 'visit', patientRef, providerRef: `Organization/${unitId(provider)}`, start: stamp(start), end: stamp(end), restrictionParent }));
    encounterRefs.push({ ref: `Encounter/${encId}`, provider });
    const versions = rng.chance(0.1) ? 2 : 1;
    const invalidated = rng.chance(0.03);
    const marks: DocumentMarkCode[] = [];
    if (rng.chance(0.03)) marks.push('other-person');
    if (rng.chance(0.03)) marks.push('special-content');
    if (rng.chance(0.03)) marks.push('local-main-view');
    const releaseDate = rng.chance(0.05) ? isoDay(asOfMs + rng.int(-30, 60) * DAY) : undefined;
    for (let ver = 1; ver <= versions; ver++) {
      const docId = `${pid}-doc-${v}-v${ver}`;
      const latest = ver === versions;
      out.push(toDocumentReference({
        id: docId, ...register, documentOid: oidOf(index, 10, v, ver), setOid: oidOf(index, 10, v, 1), version: ver, date: stamp(end + ver * 3_600_000),
        title: 'Käyntikertomus', patientRef, authorRef: `Organization/${unitId(provider)}`, custodianRef: `Organization/${provider.id}`,
        views: [rng.pick(HEALTH_VIEWS)], type: { system: Oid.DocumentType, code: '1', display: 'Kertomusteksti' }, confidentiality: { system: Oid.Confidentiality, code: '5' },
        contextRef: `Encounter/${encId}`, marks, releaseDate, restrictionParent,
        status: !latest ? 'superseded' : invalidated ? 'entered-in-error' : 'current',
        replacesRef: ver > 1 ? `DocumentReference/${pid}-doc-${v}-v${ver - 1}` : undefined,
        attachment: { contentType: 'text/plain', data: Buffer.from(`Synteettinen kertomus ${index}/${v}/${ver}`).toString('base64') },
      }));
      if (latest) documentRefs.push(`DocumentReference/${docId}`);
    }
  }

  let serviceTask: string | undefined;
  if (rng.chance(0.15)) {
    const provider = rng.pick(SOCIAL);
    serviceTask = age < 18 ? 'child-welfare' : rng.pick(SERVICE_TASKS.slice(1));
    const start = since + Math.floor(rng.next() * Math.max(asOfMs - since, DAY));
    const eocId = `${pid}-eoc`;
    out.push(toEpisodeOfCare({ id: eocId, relationshipOid: oidOf(index, 15), patientRef, serviceTask, managingOrganizationRef: `Organization/${unitId(provider)}`, registerHolder: provider.oid, worker: { id: `w${index % 500}`, name: `Työntekijä ${index % 500}` }, start: isoDay(start) }));
    const docs = rng.int(1, 3);
    for (let s = 0; s < docs; s++) {
      const kind = rng.pick(SOCIAL_KINDS);
      const delayed = rng.chance(0.1);
      out.push(toDocumentReference({
        id: `${pid}-sdoc-${s}`, registerHolder: provider.oid, registerKind: 'social-care', documentOid: oidOf(index, 16, s), setOid: oidOf(index, 16, s), version: 1,
        date: stamp(start + (s + 1) * DAY), title: kind, patientRef, authorRef: `Organization/${unitId(provider)}`, custodianRef: `Organization/${provider.id}`,
        views: [{ system: LocalSystem.SocialDocumentKind, code: kind }], type: { system: LocalSystem.SocialDocumentKind, code: kind },
        contextRef: `EpisodeOfCare/${eocId}`, serviceTask: serviceTaskCoding(serviceTask), marks: [...(delayed ? ['professional-delay' as const] : []), ...(rng.chance(0.05) ? ['special-content' as const] : [])],
        releaseDate: delayed ? isoDay(asOfMs + rng.int(-30, 90) * DAY) : undefined, status: 'current', attachment: { contentType: 'text/plain' },
      }));
    }
  }

  const prescriptionRefs: string[] = [];
  const prescriptions = rng.int(0, 3);
  for (let r = 0; r < prescriptions; r++) {
    const provider = rng.pick(HEALTH);
    const [atc, medication] = rng.pick(MEDICINES);
    const authored = asOfMs - rng.int(1, 700) * DAY;
    const id = `${pid}-rx-${r}`;
    const register = { registerHolder: provider.oid, registerKind: provider.registerKind };
    out.push(toMedicationRequest({ id, ...register, prescriptionOid: oidOf(index, 20, r), patientRef, requesterRef: `Organization/${unitId(provider)}`, atc, medication, dosage: '1 x 1', authoredOn: stamp(authored), validUntil: isoDay(authored + 730 * DAY) }));
    prescriptionRefs.push(`MedicationRequest/${id}`);
    if (rng.chance(0.2)) out.push(toRenewalTask({ id: `${pid}-renewal-${r}`, medicationRequestRef: `MedicationRequest/${id}`, patientRef, authoredOn: stamp(asOfMs - rng.int(1, 30) * DAY), ownerRef: `Organization/${provider.id}`, register }));
  }

  const consent = (kind: ConsentKindCode, n: number, extra: { targets?: ConsentTargetInput[]; year?: number; status?: 'active' | 'inactive'; text?: string; decision?: 'permit' | 'deny'; app?: { clientId: string; name: string } } = {}) => {
    const adultOnly = kind !== ConsentKind.Informing && !kind.startsWith('permission-');
    if (age < 18 && adultOnly) return;
    const year = extra.year ?? rng.int(2019, Number(asOf.slice(0, 4)));
    const dateTime = `${Math.min(year, Number(asOf.slice(0, 4)))}-0${rng.int(1, 9)}-1${rng.int(0, 9)}T12:00:00Z`;
    out.push(toConsent({ id: `${pid}-consent-${kind}-${n}`, kind, patientRef, performerRef: age < 18 && guardianRef ? guardianRef : patientRef, dateTime: Date.parse(dateTime) > asOfMs ? `${asOf}T00:00:00Z` : dateTime, status: extra.status, targets: extra.targets, text: extra.text, decision: extra.decision, app: extra.app }));
  };
  if (rng.chance(0.8)) consent(ConsentKind.Informing, 0);
  if (rng.chance(0.6)) consent(ConsentKind.PermissionHealth, 0, { year: rng.chance(0.3) ? 2022 : 2024 });
  if (rng.chance(0.05)) consent(ConsentKind.PermissionHealth, 1, { status: 'inactive' });
  if (rng.chance(0.3)) consent(ConsentKind.PermissionSocial, 0);
  if (rng.chance(0.1)) consent(ConsentKind.PermissionHealthToSocial, 0, { targets: [{ recipientRef: `Organization/${unitId(rng.pick(SOCIAL))}`, dataClass: 'DocumentReference' }] });
  if (rng.chance(0.1)) consent(ConsentKind.PermissionSocialToHealth, 0, { targets: serviceTask ? [{ recipientRef: `Organization/${unitId(rng.pick(HEALTH))}`, serviceTask }] : [] });
  if (rng.chance(0.1) && encounterRefs.length) {
    const e = rng.pick(encounterRefs);
    const targets: ConsentTargetInput[] = [rng.chance(0.5) ? { serviceEventRef: e.ref } : { registerHolderRef: `Organization/${e.provider.id}` }];
    if (rng.chance(0.3) && documentRefs.length) targets.push({ documentRefs: [rng.pick(documentRefs)] });
    if (serviceTask && rng.chance(0.3)) targets.push({ serviceTask });
    consent(ConsentKind.Prohibition, 0, { targets });
  }
  if (rng.chance(0.05) && prescriptionRefs.length) consent(ConsentKind.PrescriptionProhibition, 0, { targets: [{ prescriptionRef: rng.pick(prescriptionRefs) }] });
  if (rng.chance(0.05)) consent(ConsentKind.LivingWill, 0, { text: 'En halua elvytystä (synteettinen).' });
  if (rng.chance(0.2)) consent(ConsentKind.OrganDonationWill, 0, { decision: rng.chance(0.9) ? 'permit' : 'deny' });
  if (rng.chance(0.1)) consent(ConsentKind.EuEPrescription, 0);
  if (rng.chance(0.1)) consent(ConsentKind.WellnessApp, 0, { app: { clientId: 'demo-wellness-app', name: 'Hyvinvointisovellus (demo)' }, status: rng.chance(0.2) ? 'inactive' : 'active' });
  return out;
}

/**
 * Streams the population: first the organisations, then one batch per patient. Memory stays bounded
 * (one patient's resources at a time); the same seed and asOf always give the same resources.
 */
export function* generatePopulation(opts: PopulationOptions): Generator<Resource[]> {
  const asOf = opts.asOf ?? new Date().toISOString().slice(0, 10);
  const offset = opts.offset ?? 0;
  if (offset === 0) yield demoOrganizations();
  for (let i = offset; i < offset + opts.patients; i++) yield generatePatient(opts.seed, i, asOf);
}
