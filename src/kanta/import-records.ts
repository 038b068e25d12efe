// Stores checked JSON records (service events, client relationships, prescriptions, consents...) as profiled FHIR resources. https://hl7.org/fhir/R4/resource.html
import type { Consent, DocumentReference, Encounter, EpisodeOfCare, MedicationRequest, Organization, Patient, Task } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest } from '@medplum/core';
import { RegisterKind, type ConsentKindCode, type RegisterKindCode } from './codes.js';
import { toConsent, type ConsentTargetInput } from './consent-to-fhir-consent.js';
import { toRelatedPerson } from './guardian-to-related-person.js';
import { hetuToken, oidToken, organizationToken } from './identifiers.js';
import type { KantaRecord } from './kanta-records.js';
import { toPatient } from './person-to-patient.js';
import { toMedicationRequest } from './prescription-to-medication-request.js';
import { toOrganization } from './provider-to-organization.js';
import { naturalId, refOf, type ReferenceResolver } from './reference-resolver.js';
import { toRenewalTask } from './renewal-request-to-task.js';
import type { RecordRegister } from './security-labels.js';
import { toEpisodeOfCare } from './service-task-to-episode-of-care.js';
import { toEncounter } from './visit-to-encounter.js';

type Rec = Record<string, any>;

function fail(fileName: string, element: string, reason: string): never {
  throw new OperationOutcomeError(badRequest(`${fileName}: ${element}: ${reason}`, element));
}

async function requireByOid<T extends Encounter | EpisodeOfCare | MedicationRequest>(r: ReferenceResolver, fileName: string, path: string, type: T['resourceType'], oid: string): Promise<T> {
  const found = await r.findByOid<T>(type, oid);
  if (!found) fail(fileName, path, `no ${type} with identifier urn:oid:${oid} in the store or in this import`);
  return found;
}

/**
 * Applies one checked record: records with a natural key (HETU, OID, guardian+child, and for renewal requests and
 * consents a key derived from their source identifiers) replace the stored one only when the mapped content differs.
 */
export async function importRecord(fileName: string, path: string, record: KantaRecord, r: ReferenceResolver): Promise<void> {
  const at = (field: string) => `${path}.${field}`;
  const rec = record as Rec;
  const register = (): RecordRegister => ({ registerHolder: rec.registerHolder, registerKind: rec.registerKind as RegisterKindCode, origin: rec.origin });
  switch (record.type) {
    case 'patient': {
      const existing = (await r.findByToken<Patient>('Patient', hetuToken(rec.hetu)))[0];
      await r.upsert(toPatient({ hetu: rec.hetu, family: rec.family, given: rec.given ? [rec.given] : undefined, municipality: rec.municipality }), existing);
      break;
    }
    case 'organization': {
      const existing = (await r.findByToken<Organization>('Organization', organizationToken(rec.oid)))[0];
      const partOf = rec.partOf ? await r.organization(rec.partOf) : undefined;
      await r.upsert(toOrganization({ ...rec, oid: rec.oid, name: rec.name, registerKinds: rec.registerKinds, partOf }), existing);
      break;
    }
    case 'guardian': {
      const childRef = await r.patient(rec.child);
      await r.patient(rec.guardian);
      const existing = await r.guardian(childRef, rec.guardian);
      await r.upsert(toRelatedPerson({ childRef, guardianHetu: rec.guardian, start: rec.start, end: rec.end }), existing);
      break;
    }
    case 'service-event': {
      const existing = await r.findByOid<Encounter>('Encounter', rec.id);
      const episodeOfCareRef = rec.clientRelationship ? refOf(await requireByOid(r, fileName, at('clientRelationship'), 'EpisodeOfCare', rec.clientRelationship)) : undefined;
      const encounter = toEncounter({
        ...register(),
        serviceEventOid: rec.id, kind: rec.kind, patientRef: await r.patient(rec.patient),
        providerRef: await r.organization(rec.provider, { registerKinds: [rec.registerKind] }),
        start: rec.start, end: rec.end, status: rec.status, episodeOfCareRef, restrictionParent: rec.restrictionParent,
      });
      await r.upsert(encounter, existing);
      break;
    }
    case 'client-relationship': {
      const existing = await r.findByOid<EpisodeOfCare>('EpisodeOfCare', rec.id);
      await r.upsert(toEpisodeOfCare({
        relationshipOid: rec.id, patientRef: await r.patient(rec.patient), serviceTask: rec.serviceTask,
        managingOrganizationRef: await r.organization(rec.provider, { registerKinds: [RegisterKind.SocialCare] }),
        registerHolder: rec.registerHolder, origin: rec.origin, worker: rec.worker, start: rec.start, end: rec.end,
      }), existing);
      break;
    }
    case 'prescription': {
      if (rec.registerKind === RegisterKind.SocialCare || rec.registerKind === RegisterKind.PersonalDataStore) fail(fileName, at('registerKind'), 'a prescription belongs to a health-care register');
      const existing = await r.findByOid<MedicationRequest>('MedicationRequest', rec.id);
      await r.upsert(toMedicationRequest({
        ...register(), prescriptionOid: rec.id, patientRef: await r.patient(rec.patient),
        requesterRef: await r.organization(rec.prescriber, { registerKinds: [rec.registerKind] }),
        atc: rec.atc, medication: rec.medication, dosage: rec.dosage, authoredOn: rec.authoredOn, validUntil: rec.validUntil, status: rec.status,
      }), existing);
      break;
    }
    case 'renewal-request': {
      const prescription = await requireByOid<MedicationRequest>(r, fileName, at('prescription'), 'MedicationRequest', rec.prescription);
      const patientRef = await r.patient(rec.patient);
      if (prescription.subject?.reference !== patientRef) fail(fileName, at('prescription'), 'the prescription belongs to another patient');
      const security = prescription.meta?.security ?? [];
      const holder = security.find((c) => c.system?.endsWith('/register-holder'))?.code;
      const kind = security.find((c) => c.system?.endsWith('/register-kind'))?.code as RegisterKindCode | undefined;
      const id = naturalId('renewal', rec.prescription, rec.authoredOn);
      await r.upsert(toRenewalTask({
        id, medicationRequestRef: refOf(prescription), patientRef, authoredOn: rec.authoredOn,
        ownerRef: rec.owner ? await r.organization(rec.owner) : prescription.requester?.reference,
        note: rec.note, status: rec.status,
        register: holder && kind ? { registerHolder: holder, registerKind: kind } : undefined,
      }), await r.read<Task>('Task', id));
      break;
    }
    case 'consent': {
      const patientRef = await r.patient(rec.patient);
      let performerRef = patientRef;
      if (rec.givenBy && rec.givenBy !== rec.patient) {
        const guardian = await r.guardian(patientRef, rec.givenBy);
        if (!guardian) fail(fileName, at('givenBy'), 'the giver is not a recorded guardian of the patient');
        performerRef = refOf(guardian);
      }
      const targets: ConsentTargetInput[] = [];
      for (const [j, t] of ((rec.targets ?? []) as Rec[]).entries()) {
        const tp = (f: string) => at(`targets[${j}].${f}`);
        const target: ConsentTargetInput = { serviceTask: t.serviceTask, dataClass: t.dataClass, dataStart: t.dataStart, dataEnd: t.dataEnd };
        if (t.registerHolder) target.registerHolderRef = await r.organization(t.registerHolder);
        if (t.recipient) target.recipientRef = await r.organization(t.recipient);
        if (t.serviceEvent) target.serviceEventRef = refOf(await requireByOid<Encounter>(r, fileName, tp('serviceEvent'), 'Encounter', t.serviceEvent));
        if (t.prescription) target.prescriptionRef = refOf(await requireByOid<MedicationRequest>(r, fileName, tp('prescription'), 'MedicationRequest', t.prescription));
        if (t.document) {
          const versions = await r.findByToken<DocumentReference>('DocumentReference', oidToken(t.document));
          if (!versions.length) fail(fileName, tp('document'), `no DocumentReference with identifier or setId urn:oid:${t.document} in the store or in this import`);
          const setIds = new Set(versions.map((v) => v.masterIdentifier?.value));
          const all: DocumentReference[] = [];
          for (const s of setIds) all.push(...(await r.findByToken<DocumentReference>('DocumentReference', `urn:ietf:rfc:3986|${s}`)));
          target.documentRefs = [...new Set(all.map(refOf))];
        }
        targets.push(target);
      }
      try {
        const id = naturalId('consent', rec.kind, rec.patient, rec.dateTime, rec.givenBy);
        await r.upsert(toConsent({
          id, kind: rec.kind as ConsentKindCode, patientRef, performerRef, dateTime: rec.dateTime, status: rec.status,
          start: rec.start, end: rec.end, decision: rec.decision, text: rec.text, app: rec.app, targets,
        }), await r.read<Consent>('Consent', id));
      } catch (err) {
        if (err instanceof OperationOutcomeError) {
          const detail = err.outcome.issue?.[0];
          fail(fileName, at(detail?.expression?.[0] ?? 'kind'), detail?.details?.text ?? 'invalid consent');
        }
        throw err;
      }
      break;
    }
  }
}
