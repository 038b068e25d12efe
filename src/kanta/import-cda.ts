// Stores one Kanta CDA document as a DocumentReference and the Binary holding the CDA: new versions supersede, invalidations mark entered-in-error. https://hl7.org/fhir/R4/documentreference.html
import type { Binary, DocumentReference, Encounter, EpisodeOfCare } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest, conflict } from '@medplum/core';
import { RegisterKind, type RegisterKindCode } from './codes.js';
import { cdaBinary, cdaRegisterKind, cdaToDocumentReference, isInvalidation, one, type CdaHeader } from './cda-to-document-reference.js';
import { tsToDateTime } from './hl7-time.js';
import { oidToken } from './identifiers.js';
import { conceptMaps, translate } from './mapping-tables.js';
import { refOf, type ReferenceResolver } from './reference-resolver.js';
import { toEncounter } from './visit-to-encounter.js';

function fail(fileName: string, element: string, reason: string): never {
  throw new OperationOutcomeError(badRequest(`${fileName}: ${element}: ${reason}`, element));
}

export async function importCda(header: CdaHeader, r: ReferenceResolver): Promise<DocumentReference> {
  const file = header.fileName;
  const registerKind: RegisterKindCode = cdaRegisterKind(header);
  const documentOid = one(header, 'documentId') as string;
  // Importing the same document again changes nothing; a document id is never reused for another patient.
  const archived = (await r.findByToken<DocumentReference>('DocumentReference', oidToken(documentOid))).find((d) => d.identifier?.some((i) => i.value === `urn:oid:${documentOid}`));
  const patientRef = await r.patient(one(header, 'patientHetu') as string, { family: one(header, 'patientFamily'), given: header.values.patientGiven });
  const custodianType = header.codings.custodianType[0]?.code as '1' | '2' | undefined;
  const custodianOid = one(header, 'custodianOid') as string;
  const custodianRef = await r.organization(custodianOid, { name: one(header, 'custodianName'), registerKinds: [registerKind], custodianType });
  const authorOid = one(header, 'authorOrganizationOid') as string;
  const authorRef = await r.organization(authorOid, { name: one(header, 'authorOrganizationName'), registerKinds: [registerKind] });

  let contextRef: string | undefined;
  const serviceEventOid = one(header, 'serviceEventId');
  if (serviceEventOid && registerKind === RegisterKind.SocialCare) {
    const episode = await r.findByOid<EpisodeOfCare>('EpisodeOfCare', serviceEventOid);
    if (!episode) fail(file, 'ClinicalDocument/componentOf/encompassingEncounter/id', `no social-care client relationship (EpisodeOfCare) urn:oid:${serviceEventOid} in the store or in this import`);
    contextRef = refOf(episode);
  } else if (serviceEventOid) {
    const encounter = await r.findByOid<Encounter>('Encounter', serviceEventOid);
    contextRef = encounter ? refOf(encounter) : refOf(await r.create(toEncounter({
      serviceEventOid,
      kind: translate(conceptMaps.serviceEventKindToEncounterClass, header.codings.serviceEventKind[0]?.system ?? 'urn:oid:1.2.246.537.5.40156.2008', header.codings.serviceEventKind[0]?.code) === 'IMP' ? 'care-period' : 'visit',
      patientRef,
      providerRef: one(header, 'serviceEventProviderOid') ? await r.organization(one(header, 'serviceEventProviderOid') as string, { registerKinds: [registerKind] }) : authorRef,
      registerHolder: custodianOid, registerKind, origin: 'kanta',
      start: tsToDateTime(one(header, 'serviceEventStart') ?? (one(header, 'effectiveTime') as string)) as string,
      end: one(header, 'serviceEventEnd') ? tsToDateTime(one(header, 'serviceEventEnd') as string) : undefined,
    })));
  }

  let previous: DocumentReference | undefined;
  const replacesOid = one(header, 'replacesDocumentId');
  if (replacesOid) {
    previous = (await r.findByToken<DocumentReference>('DocumentReference', oidToken(replacesOid))).find((d) => d.identifier?.some((i) => i.value === `urn:oid:${replacesOid}`));
    if (!previous) fail(file, "ClinicalDocument/relatedDocument[@typeCode='RPLC']/parentDocument/id", `the replaced document urn:oid:${replacesOid} is not archived and not in this import`);
    if (previous.subject?.reference !== patientRef) fail(file, "ClinicalDocument/relatedDocument[@typeCode='RPLC']/parentDocument/id", 'the replaced document belongs to another patient');
    if (previous.masterIdentifier?.value !== `urn:oid:${one(header, 'setId')}`) fail(file, 'ClinicalDocument/setId', 'a new version keeps the setId of the document it replaces');
  }
  if (archived && archived.subject?.reference !== patientRef) {
    throw new OperationOutcomeError(conflict(`${file}: ClinicalDocument/id: document urn:oid:${documentOid} is already archived for another patient`));
  }
  const mapped = cdaToDocumentReference(header, { patientRef, authorRef, custodianRef, contextRef, replacesRef: previous ? refOf(previous) : undefined });
  // A later version (or an invalidation) already changed the stored status; the same source does not undo that.
  if (archived && mapped.status === 'current' && (archived.status === 'superseded' || archived.status === 'entered-in-error')) mapped.status = archived.status;
  const stored = await r.upsert(mapped, archived);
  // After the DocumentReference, so the Binary's securityContext names a stored record.
  const binary = cdaBinary(header, stored);
  await r.upsert(binary, await r.read<Binary>('Binary', binary.id as string));
  if (previous) await r.upsert({ ...previous, status: isInvalidation(header) ? 'entered-in-error' : 'superseded' }, previous);
  return stored;
}
