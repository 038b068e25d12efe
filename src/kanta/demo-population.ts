// The small fixed demo population the demo personas refer to; every id is stable and listed in mappings/README.md. https://hl7.org/fhir/R4/resource.html#id
import type { Resource } from '@medplum/fhirtypes';
import { LocalSystem, Oid } from './codes.js';
import { toDocumentReference, type ArchivedDocument } from './archived-document-to-document-reference.js';
import { toConsent } from './consent-to-fhir-consent.js';
import { contentAttachment, contentBinaryId, toContentBinary } from './archived-content-to-binary.js';
import { DemoAppClientId, DemoHetu, DemoPatientId } from './demo-ids.js';
import { demoOrganizations, demoProviders, unitId, type DemoOrgKey } from './demo-organizations.js';
import { toMandateRelatedPerson } from './mandate-to-related-person.js';
import { toRelatedPerson } from './guardian-to-related-person.js';
import { toPatient } from './person-to-patient.js';
import { toMedicationRequest } from './prescription-to-medication-request.js';
import { toRenewalTask } from './renewal-request-to-task.js';
import type { DocumentMarkCode } from './security-labels.js';
import { serviceTaskCoding, toEpisodeOfCare } from './service-task-to-episode-of-care.js';
import { toEncounter } from './visit-to-encounter.js';

const provider = (key: DemoOrgKey) => demoProviders.find((p) => p.key === key)!;
const register = (key: DemoOrgKey) => ({ registerHolder: provider(key).oid, registerKind: provider(key).registerKind });
const oid = (...parts: (string | number)[]) => `1.2.246.10.99990.${parts.join('.')}`;

/** The demo population; `asOf` (YYYY-MM-DD, default today) only moves the display delays so they stay in force. */
export function demoPopulation(asOf: string = new Date().toISOString().slice(0, 10)): Resource[] {
  const asOfMs = Date.parse(`${asOf}T00:00:00Z`);
  const inDays = (d: number) => new Date(asOfMs + d * 86_400_000).toISOString().slice(0, 10);
  const P = DemoPatientId;
  const out: Resource[] = [...demoOrganizations()];
  out.push(
    toPatient({ id: P.Adult, hetu: DemoHetu.Adult, family: 'Meikäläinen', given: ['Maija'] }),
    toPatient({ id: P.Child9, hetu: DemoHetu.Child9, family: 'Meikäläinen', given: ['Aino'] }),
    toPatient({ id: P.Child12, hetu: DemoHetu.Child12, family: 'Meikäläinen', given: ['Eino'] }),
    toPatient({ id: P.Elderly, hetu: DemoHetu.Elderly, family: 'Virtanen', given: ['Elsa'] }),
    toPatient({ id: P.Guardian, hetu: DemoHetu.Guardian, family: 'Meikäläinen', given: ['Matti'] }),
    toPatient({ id: P.Proxy, hetu: DemoHetu.Proxy, family: 'Virtanen', given: ['Kalle'] }),
    toRelatedPerson({ id: 'demo-guardian-of-aino', childRef: `Patient/${P.Child9}`, guardianHetu: DemoHetu.Guardian, family: 'Meikäläinen', given: ['Matti'], start: '2017-03-14' }),
    toRelatedPerson({ id: 'demo-guardian-of-eino', childRef: `Patient/${P.Child12}`, guardianHetu: DemoHetu.Guardian, family: 'Meikäläinen', given: ['Matti'], start: '2014-05-20' }),
    toMandateRelatedPerson({ id: 'demo-proxy-of-elsa', principalRef: `Patient/${P.Elderly}`, proxyHetu: DemoHetu.Proxy, mandates: ['health'], family: 'Virtanen', given: ['Kalle'], start: '2021-03-01' }),
  );

  /** Start date of each service event, so its documents carry the same date (the demo spans years, not one day). */
  const startOf = new Map<string, string>();
  const visit = (id: string, patient: string, key: DemoOrgKey, start: string, n: number, extra: { carePeriod?: boolean; restrictionParent?: string } = {}) =>
    (startOf.set(id, start), out.push(toEncounter({ id, ...register(key), serviceEventOid: oid(14011, n), kind: extra.carePeriod ? 'care-period' : 'visit', patientRef: `Patient/${patient}`, providerRef: `Organization/${unitId(provider(key))}`, start: `${start}T09:00:00+02:00`, end: extra.carePeriod ? `${start.slice(0, 8)}28T12:00:00+02:00` : `${start}T09:30:00+02:00`, restrictionParent: extra.restrictionParent })));
  visit('enc-maija-uusimaa', P.Adult, 'UusimaaPublicHealth', '2024-02-12', 1);
  visit('enc-maija-uusimaa-care', P.Adult, 'UusimaaPublicHealth', '2024-03-04', 2, { carePeriod: true });
  visit('enc-maija-uusimaa-2', P.Adult, 'UusimaaPublicHealth2', '2024-05-06', 3);
  visit('enc-maija-other-county', P.Adult, 'OtherCountyHealth', '2023-06-07', 4);
  visit('enc-maija-private', P.Adult, 'PrivateHealth', '2024-08-08', 5);
  visit('enc-maija-occupational', P.Adult, 'OccupationalHealth', '2024-09-09', 6);
  visit('enc-aino-visit', P.Child9, 'UusimaaPublicHealth', '2024-10-01', 7, { restrictionParent: '1' });
  visit('enc-aino-2017', P.Child9, 'UusimaaPublicHealth', '2017-05-01', 8, { restrictionParent: '1' });
  // Before the guardian cut-off of 2016-08-01 (C3): Eino (born 2014) as a toddler.
  visit('enc-eino-before-2016', P.Child12, 'UusimaaPublicHealth', '2015-11-03', 12);
  visit('enc-eino-visit', P.Child12, 'UusimaaPublicHealth', '2025-01-15', 9, { restrictionParent: '2' });
  visit('enc-eino-restricted', P.Child12, 'UusimaaPublicHealth', '2025-02-15', 10, { restrictionParent: '3' });
  visit('enc-elsa-visit', P.Elderly, 'UusimaaPublicHealth', '2024-11-11', 11);

  /** An archived document as import stores one: the DocumentReference, then the Binary holding its (minimal) CDA. */
  const archived = (d: ArchivedDocument): void => {
    const bytes = Buffer.from(`<?xml version="1.0" encoding="UTF-8"?>\n<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="${d.documentOid}"/><title>${d.title ?? d.id}</title></ClinicalDocument>\n`, 'utf8');
    const binaryId = contentBinaryId(d.documentOid);
    const ref = toDocumentReference({ ...d, attachment: { ...contentAttachment(bytes, d.attachment.contentType, binaryId), title: d.title } });
    out.push(ref, toContentBinary(bytes, d.attachment.contentType, binaryId, `DocumentReference/${ref.id}`, ref.meta?.security));
  };
  let n = 0;
  const doc = (id: string, patient: string, key: DemoOrgKey, encounter: string | undefined, extra: Partial<ArchivedDocument> & { marks?: DocumentMarkCode[] } = {}) => {
    n++;
    archived({
      id, ...register(key), documentOid: oid(10, n), setOid: oid(10, n), version: 1, date: `${(encounter && startOf.get(encounter)) ?? '2022-06-15'}T10:00:00+02:00`, title: id,
      patientRef: `Patient/${patient}`, authorRef: `Organization/${unitId(provider(key))}`, custodianRef: `Organization/${provider(key).id}`,
      views: [{ system: Oid.View, code: '102', display: 'RTG' }], type: { system: Oid.DocumentType, code: '1', display: 'Kertomusteksti' },
      confidentiality: { system: Oid.Confidentiality, code: '5' }, contextRef: encounter ? `Encounter/${encounter}` : undefined,
      status: 'current', attachment: { contentType: 'application/xml' }, marks: [], ...extra,
    });
  };
  doc('doc-maija-visit-v1', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa', { status: 'superseded' });
  doc('doc-maija-visit-v2', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa', { version: 2, setOid: oid(10, 1), replacesRef: 'DocumentReference/doc-maija-visit-v1' });
  doc('doc-maija-care-period', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa-care');
  doc('doc-maija-invalidated', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa', { status: 'entered-in-error' });
  doc('doc-maija-delayed', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa', { releaseDate: inDays(30) });
  doc('doc-maija-other-person', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa', { marks: ['other-person'] });
  doc('doc-maija-special', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa', { marks: ['special-content'] });
  doc('doc-maija-local-view', P.Adult, 'UusimaaPublicHealth', 'enc-maija-uusimaa', { marks: ['local-main-view'] });
  doc('doc-maija-no-encounter', P.Adult, 'UusimaaPublicHealth', undefined);
  doc('doc-maija-uusimaa-2', P.Adult, 'UusimaaPublicHealth2', 'enc-maija-uusimaa-2');
  doc('doc-maija-other-county', P.Adult, 'OtherCountyHealth', 'enc-maija-other-county');
  doc('doc-maija-private', P.Adult, 'PrivateHealth', 'enc-maija-private');
  doc('doc-maija-occupational', P.Adult, 'OccupationalHealth', 'enc-maija-occupational');
  doc('doc-aino-visit', P.Child9, 'UusimaaPublicHealth', 'enc-aino-visit', { restrictionParent: '1' });
  doc('doc-aino-2017', P.Child9, 'UusimaaPublicHealth', 'enc-aino-2017', { restrictionParent: '1' });
  doc('doc-eino-before-2016', P.Child12, 'UusimaaPublicHealth', 'enc-eino-before-2016');
  doc('doc-eino-allowed', P.Child12, 'UusimaaPublicHealth', 'enc-eino-visit', { restrictionParent: '2' });
  doc('doc-eino-restricted', P.Child12, 'UusimaaPublicHealth', 'enc-eino-restricted', { restrictionParent: '3' });
  doc('doc-elsa-visit', P.Elderly, 'UusimaaPublicHealth', 'enc-elsa-visit');

  const social = provider('UusimaaSocialCare');
  out.push(toEpisodeOfCare({ id: 'eoc-eino-child-welfare', relationshipOid: oid(15, 1), patientRef: `Patient/${P.Child12}`, serviceTask: 'child-welfare', managingOrganizationRef: `Organization/${unitId(social)}`, registerHolder: social.oid, worker: { id: 'sw-001', name: 'Sanna Sosiaalityöntekijä' }, start: '2024-01-10' }));
  out.push(toEpisodeOfCare({ id: 'eoc-maija-adult-social', relationshipOid: oid(15, 2), patientRef: `Patient/${P.Adult}`, serviceTask: 'adult-social-work', managingOrganizationRef: `Organization/${unitId(social)}`, registerHolder: social.oid, worker: { id: 'sw-002', name: 'Tuomas Työntekijä' }, start: '2024-04-01' }));
  const sdoc = (id: string, patient: string, eoc: string, task: string, kind: string, date: string, extra: Partial<ArchivedDocument> = {}) => {
    n++;
    archived({
      id, registerHolder: social.oid, registerKind: 'social-care', documentOid: oid(16, n), setOid: oid(16, n), version: 1, date: `${date}T10:00:00+02:00`, title: id,
      patientRef: `Patient/${patient}`, authorRef: `Organization/${unitId(social)}`, custodianRef: `Organization/${social.id}`,
      views: [{ system: LocalSystem.SocialDocumentKind, code: kind }], type: { system: LocalSystem.SocialDocumentKind, code: kind },
      contextRef: `EpisodeOfCare/${eoc}`, serviceTask: serviceTaskCoding(task), marks: [], status: 'current', attachment: { contentType: 'application/xml' }, ...extra,
    });
  };
  sdoc('sdoc-eino-decision', P.Child12, 'eoc-eino-child-welfare', 'child-welfare', 'decision', '2024-03-18');
  sdoc('sdoc-eino-notification', P.Child12, 'eoc-eino-child-welfare', 'child-welfare', 'notification', '2024-01-10');
  sdoc('sdoc-maija-plan', P.Adult, 'eoc-maija-adult-social', 'adult-social-work', 'plan', '2024-04-15');
  sdoc('sdoc-maija-shelter', P.Adult, 'eoc-maija-adult-social', 'adult-social-work', 'shelter', '2024-06-03');
  sdoc('sdoc-maija-delayed', P.Adult, 'eoc-maija-adult-social', 'adult-social-work', 'assessment', inDays(-5), { marks: ['professional-delay'], releaseDate: inDays(60) });

  out.push(
    toMedicationRequest({ id: 'rx-maija-ramipril', ...register('UusimaaPublicHealth'), prescriptionOid: oid(20, 1), patientRef: `Patient/${P.Adult}`, requesterRef: `Organization/${unitId(provider('UusimaaPublicHealth'))}`, atc: 'C09AA05', medication: 'Ramipril 5 mg tabl', dosage: '1 x 1', authoredOn: '2024-02-12T09:20:00+02:00', validUntil: '2026-02-12' }),
    toMedicationRequest({ id: 'rx-maija-private', ...register('PrivateHealth'), prescriptionOid: oid(20, 2), patientRef: `Patient/${P.Adult}`, requesterRef: `Organization/${unitId(provider('PrivateHealth'))}`, atc: 'N02BE01', medication: 'Parasetamoli 500 mg tabl', authoredOn: '2024-08-08T09:20:00+02:00', validUntil: '2026-08-08' }),
    toRenewalTask({ id: 'task-maija-renewal', medicationRequestRef: 'MedicationRequest/rx-maija-ramipril', patientRef: `Patient/${P.Adult}`, authoredOn: '2025-01-20T09:00:00+02:00', ownerRef: `Organization/${provider('UusimaaPublicHealth').id}`, register: register('UusimaaPublicHealth') }),
  );

  const me = `Patient/${P.Adult}`;
  out.push(
    toConsent({ id: 'consent-maija-informing', kind: 'informing', patientRef: me, performerRef: me, dateTime: '2020-01-10T12:00:00+02:00' }),
    // Revoked: providers outside Uusimaa's public care then see only their own registers (D2, D3), Uusimaa's public ones each other's (D7); giving it again in the web app changes that.
    toConsent({ id: 'consent-maija-permission-health', kind: 'permission-health', patientRef: me, performerRef: me, dateTime: '2024-01-10T12:00:00+02:00', status: 'inactive' }),
    toConsent({ id: 'consent-maija-prohibition-occupational', kind: 'prohibition', patientRef: me, performerRef: me, dateTime: '2024-09-20T12:00:00+02:00', targets: [{ registerHolderRef: `Organization/${provider('OccupationalHealth').id}` }] }),
    toConsent({ id: 'consent-maija-prohibition-care-period', kind: 'prohibition', patientRef: me, performerRef: me, dateTime: '2024-03-30T12:00:00+02:00', targets: [{ serviceEventRef: 'Encounter/enc-maija-uusimaa-care' }] }),
    toConsent({ id: 'consent-maija-prescription-prohibition', kind: 'prescription-prohibition', patientRef: me, performerRef: me, dateTime: '2024-08-10T12:00:00+02:00', targets: [{ prescriptionRef: 'MedicationRequest/rx-maija-private' }] }),
    toConsent({ id: 'consent-maija-living-will', kind: 'living-will', patientRef: me, performerRef: me, dateTime: '2024-05-01T12:00:00+02:00', text: 'En halua elvytystä.' }),
    toConsent({ id: 'consent-maija-organ-donation', kind: 'organ-donation-will', patientRef: me, performerRef: me, dateTime: '2024-05-02T12:00:00+02:00', decision: 'permit' }),
    toConsent({ id: 'consent-maija-wellness-app', kind: 'wellness-app', patientRef: me, performerRef: me, dateTime: '2025-01-05T12:00:00+02:00', app: { clientId: DemoAppClientId, name: 'Hyvinvointisovellus (demo)' } }),
    toConsent({ id: 'consent-aino-informing', kind: 'informing', patientRef: `Patient/${P.Child9}`, performerRef: 'RelatedPerson/demo-guardian-of-aino', dateTime: '2020-01-10T12:00:00+02:00' }),
    toConsent({ id: 'consent-eino-informing', kind: 'informing', patientRef: `Patient/${P.Child12}`, performerRef: 'RelatedPerson/demo-guardian-of-eino', dateTime: '2020-01-10T12:00:00+02:00' }),
    toConsent({ id: 'consent-eino-social-to-health', kind: 'permission-social-to-health', patientRef: `Patient/${P.Child12}`, performerRef: 'RelatedPerson/demo-guardian-of-eino', dateTime: '2026-01-10T12:00:00+02:00', targets: [{ recipientRef: `Organization/${unitId(provider('UusimaaPublicHealth'))}`, serviceTask: 'child-welfare' }] }),
    toConsent({ id: 'consent-elsa-informing', kind: 'informing', patientRef: `Patient/${P.Elderly}`, performerRef: `Patient/${P.Elderly}`, dateTime: '2021-01-10T12:00:00+02:00' }),
  );
  return out;
}
