// An archived document's content as a Binary its DocumentReference names by url, with size and SHA-1 hash on the attachment. https://hl7.org/fhir/R4/binary.html
import { createHash } from 'node:crypto';
import type { Attachment, Binary, Coding } from '@medplum/fhirtypes';
import { ProfileId, profileUrl } from './codes.js';
import { naturalId } from './reference-resolver.js';

/** The Binary of a document: one per archived document version, so re-importing the same document finds it again. */
export const contentBinaryId = (documentOid: string): string => naturalId('cda', documentOid);

/**
 * The attachment the DocumentReference carries instead of inline data: where the content is (relative
 * `Binary/[id]`, resolved against this server) and what lets a reader check it (R4 Attachment: size in bytes, SHA-1
 * of the bytes, base64).
 */
export function contentAttachment(bytes: Buffer, contentType: string, binaryId: string): Required<Pick<Attachment, 'contentType' | 'url' | 'size' | 'hash'>> {
  return { contentType, url: `Binary/${binaryId}`, size: bytes.length, hash: createHash('sha1').update(bytes).digest('base64') };
}

/**
 * The Binary itself. securityContext names the DocumentReference (R4: "use the access control of that resource");
 * the consent policy reads the link from the DocumentReference's side (src/consent/record-links.ts), so a Binary's
 * own claims never widen who may read it. The record's marks are copied for the audit's register-holder detail.
 */
export function toContentBinary(bytes: Buffer, contentType: string, binaryId: string, documentRef: string, security: Coding[] | undefined): Binary {
  return {
    resourceType: 'Binary',
    id: binaryId,
    meta: { profile: [profileUrl(ProfileId.ArchivedDocumentContent)], ...(security?.length ? { security } : {}) },
    contentType,
    securityContext: { reference: documentRef },
    data: bytes.toString('base64'),
  };
}
