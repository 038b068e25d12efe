// Builds the DocumentReference of an archived Kanta document (health or social care) with every display mark. https://hl7.org/fhir/R4/documentreference.html
import type { Attachment, Coding, DocumentReference, Extension } from '@medplum/fhirtypes';
import { FiBaseExtension, LocalExtensionMore, ProfileId, RegisterKind, profileUrl } from './codes.js';
import { oidIdentifier } from './identifiers.js';
import { recordSecurity, type DocumentMarkCode, type RecordRegister } from './security-labels.js';
import { restrictionParentExtension } from './visit-to-encounter.js';

/** An archived document with its references resolved; CDA import and the generator both produce this. */
export interface ArchivedDocument extends RecordRegister {
  id?: string;
  documentOid: string;
  setOid: string;
  version: number;
  /** FHIR instant. */
  date: string;
  title?: string;
  patientRef: string;
  authorRef: string;
  custodianRef: string;
  /** Views; the first is the main view. */
  views: Coding[];
  type: Coding;
  confidentiality?: Coding;
  /** A coded special-content marking, kept as a security label besides the mark. */
  sensitiveLabel?: Coding;
  /** Encounter (health service event) or EpisodeOfCare (social-care service task). */
  contextRef?: string;
  /** Social care: the service task; kept in context.practiceSetting. */
  serviceTask?: Coding;
  /** Health: the task class (hl7fi:functionCode); kept in context.event. */
  functionCode?: Coding;
  marks: DocumentMarkCode[];
  /** End of the display delay (first day shown), YYYY-MM-DD. */
  releaseDate?: string;
  restrictionParent?: string;
  status: 'current' | 'superseded' | 'entered-in-error';
  replacesRef?: string;
  /** `url`, `size` and `hash` when the content is a Binary (archived-content-to-binary.ts); `data` only for inline text. */
  attachment: { contentType: string; data?: string; url?: string; size?: number; hash?: string; title?: string; format?: Coding };
}

export function isSocialDocument(doc: Pick<ArchivedDocument, 'registerKind'>): boolean {
  return doc.registerKind === RegisterKind.SocialCare;
}

export function toDocumentReference(doc: ArchivedDocument): DocumentReference {
  const extension: Extension[] = [{ url: LocalExtensionMore.DocumentVersion, valueInteger: doc.version }];
  if (doc.releaseDate) extension.push({ url: FiBaseExtension.ReleaseDateForPatientViewing, valueDate: doc.releaseDate });
  if (doc.restrictionParent) extension.push(restrictionParentExtension(doc.restrictionParent));
  const securityLabel = [doc.confidentiality, doc.sensitiveLabel].filter((c): c is Coding => !!c).map((c) => ({ coding: [c] }));
  const context: DocumentReference['context'] = {
    ...(doc.contextRef ? { encounter: [{ reference: doc.contextRef }] } : {}),
    ...(doc.functionCode ? { event: [{ coding: [doc.functionCode] }] } : {}),
    ...(doc.serviceTask ? { practiceSetting: { coding: [doc.serviceTask] } } : {}),
  };
  return {
    resourceType: 'DocumentReference',
    ...(doc.id ? { id: doc.id } : {}),
    meta: {
      profile: [profileUrl(isSocialDocument(doc) ? ProfileId.SocialDocument : ProfileId.HealthDocument)],
      security: recordSecurity(doc, doc.marks),
    },
    extension,
    masterIdentifier: oidIdentifier(doc.setOid),
    identifier: [oidIdentifier(doc.documentOid, 'official')],
    status: doc.status,
    docStatus: 'final',
    type: { coding: [doc.type] },
    category: doc.views.map((v) => ({ coding: [v] })),
    subject: { reference: doc.patientRef },
    date: doc.date,
    author: [{ reference: doc.authorRef }],
    custodian: { reference: doc.custodianRef },
    ...(doc.replacesRef ? { relatesTo: [{ code: 'replaces', target: { reference: doc.replacesRef } }] } : {}),
    ...(doc.title ? { description: doc.title } : {}),
    ...(securityLabel.length ? { securityLabel } : {}),
    content: [{ attachment: attachmentOf(doc.attachment), ...(doc.attachment.format ? { format: doc.attachment.format } : {}) }],
    ...(Object.keys(context).length ? { context } : {}),
  };
}

function attachmentOf(a: ArchivedDocument['attachment']): Attachment {
  const { format: _format, ...rest } = a;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined && v !== '')) as Attachment;
}
