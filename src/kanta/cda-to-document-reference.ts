// Reads a Kanta CDA R2 document's header (hl7fi local header) through mappings/cda-header.map.json into a DocumentReference. https://hl7.org/fhir/R4/documentreference.html
import type { Binary, Coding, DocumentReference } from '@medplum/fhirtypes';
import { OperationOutcomeError, badRequest } from '@medplum/core';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { RegisterKindCode } from './codes.js';
import { selectElements, selectValues, type XmlNode } from './cda-xml-path.js';
import { isValidHetu } from './hetu.js';
import { tsToDate, tsToDateTime, tsToInstant } from './hl7-time.js';
import { isOid } from './identifiers.js';
import { cdaHeaderMap, conceptMaps, translate, type CdaFieldSpec } from './mapping-tables.js';
import { toDocumentReference, type ArchivedDocument } from './archived-document-to-document-reference.js';
import { contentAttachment, contentBinaryId, toContentBinary } from './archived-content-to-binary.js';
import type { DocumentMarkCode } from './security-labels.js';

/** The header values named by the map; codings carry their FHIR system. */
export interface CdaHeader {
  fileName: string;
  /** The original XML, archived in the attachment. */
  xml: string;
  values: Record<string, string[]>;
  codings: Record<string, Coding[]>;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
  isArray: (_name, _jpath, _isLeaf, isAttribute) => !isAttribute,
  alwaysCreateTextNode: true,
  parseTagValue: false,
  parseAttributeValue: false,
  processEntities: false,
  trimValues: true,
});

function fail(fileName: string, element: string, reason: string): never {
  throw new OperationOutcomeError(badRequest(`${fileName}: ${element}: ${reason}`, element));
}

/** OID code systems become urn:oid:<OID>; URLs are local systems and stay as they are. */
export function codeSystemUri(codeSystem: string): string {
  return isOid(codeSystem) ? `urn:oid:${codeSystem}` : codeSystem;
}

function checkValue(spec: CdaFieldSpec, value: string): string | undefined {
  switch (spec.type) {
    case 'oid':
      return isOid(value) ? undefined : `'${value}' is not an OID`;
    case 'integer':
      return /^[0-9]+$/.test(value) ? undefined : `'${value}' is not a whole number`;
    case 'ts':
      return tsToDateTime(value) ? undefined : `'${value}' is not an HL7 timestamp (YYYYMMDD[HHMM[SS]][+ZZZZ])`;
    case 'hetu':
      return isValidHetu(value) ? undefined : `'${value}' is not a valid HETU (format, date or check character)`;
    case 'boolean':
      return value === 'true' || value === 'false' ? undefined : `'${value}' is not true or false`;
    default:
      return value ? undefined : 'is empty';
  }
}

/** Parses the XML and reads every mapped header field; throws '<file>: <element>: <reason>' on the first problem. */
export function parseCdaHeader(fileName: string, xml: string): CdaHeader {
  if (/<!DOCTYPE/i.test(xml)) fail(fileName, 'DOCTYPE', 'document type declarations are not accepted');
  const valid = XMLValidator.validate(xml);
  if (valid !== true) fail(fileName, `line ${valid.err.line}, column ${valid.err.col}`, `malformed XML: ${valid.err.msg}`);
  const parsed = parser.parse(xml) as XmlNode;
  const roots = (parsed[cdaHeaderMap.root] as XmlNode[] | undefined) ?? [];
  if (roots.length !== 1) fail(fileName, cdaHeaderMap.root, 'the root element must be one ClinicalDocument');
  const values: Record<string, string[]> = {};
  const codings: Record<string, Coding[]> = {};
  for (const [name, spec] of Object.entries(cdaHeaderMap.fields)) {
    const element = `${cdaHeaderMap.root}/${spec.element ?? spec.paths[0]}`;
    if (spec.type === 'coding') {
      const nodes = spec.paths.map((p) => selectElements(roots, p)).find((n) => n.length) ?? [];
      const found = nodes.map((n) => ({ node: n, code: n['@code'] as string | undefined, system: n['@codeSystem'] as string | undefined }));
      if (spec.required && !found.length) fail(fileName, element, 'required element is missing');
      for (const f of found) {
        if (spec.required && !f.code) fail(fileName, `${element}/@code`, 'required attribute is missing');
        if (spec.requireSystem && !f.system) fail(fileName, `${element}/@codeSystem`, 'required attribute is missing');
      }
      codings[name] = found.map((f) => ({
        ...(f.system ? { system: codeSystemUri(f.system) } : {}),
        ...(f.code ? { code: f.code } : {}),
        ...(typeof f.node['@displayName'] === 'string' ? { display: f.node['@displayName'] as string } : {}),
        // A present element without a code still counts (e.g. sensitiveDocument value="true").
        ...(typeof f.node['@value'] === 'string' ? { userSelected: f.node['@value'] !== 'false' } : {}),
      }));
      continue;
    }
    const found = spec.paths.map((p) => selectValues(roots, p)).find((v) => v.length) ?? [];
    if (spec.required && !found.length) fail(fileName, element, 'required value is missing');
    for (const v of found) {
      const problem = checkValue(spec, v);
      if (problem) fail(fileName, element, problem);
    }
    values[name] = spec.multiple ? found : found.slice(0, 1);
  }
  return { fileName, xml, values, codings };
}

/** References the importer resolved for one CDA document. */
export interface CdaRefs {
  patientRef: string;
  authorRef: string;
  custodianRef: string;
  contextRef?: string;
  replacesRef?: string;
}

export function one(header: CdaHeader, name: string): string | undefined {
  return header.values[name]?.[0];
}

/** The register kind the header's ClinicalDocument/code names, via ConceptMap register-identifier-to-register-kind. */
export function cdaRegisterKind(header: CdaHeader): RegisterKindCode {
  const register = header.codings.register[0];
  const kind = translate(conceptMaps.registerIdentifierToRegisterKind, register.system ?? '', register.code);
  if (!kind) fail(header.fileName, 'ClinicalDocument/code', `register code '${register.code}' of '${register.system}' is not in ConceptMap register-identifier-to-register-kind`);
  return kind as RegisterKindCode;
}

export function isInvalidation(header: CdaHeader): boolean {
  const rule = cdaHeaderMap.rules.invalidation;
  return header.codings.recordStatus.some((c) => c.system === rule.system && c.code === rule.code);
}

export function cdaToArchivedDocument(header: CdaHeader, refs: CdaRefs): ArchivedDocument {
  const registerKind = cdaRegisterKind(header);
  const social = registerKind === cdaHeaderMap.rules.socialRegisterKind;
  const views = dedupe(header.codings.views);
  const marks: DocumentMarkCode[] = [];
  if (one(header, 'otherPersonParticipant')) marks.push('other-person');
  const sensitive = header.codings.sensitiveDocument[0];
  if (sensitive && sensitive.userSelected !== false) marks.push('special-content');
  const mainView = views[0]?.system;
  const localMain = one(header, 'localMainView') === 'true' || (mainView !== undefined && !cdaHeaderMap.rules.knownViewSystems.includes(mainView));
  if (!social && localMain) marks.push('local-main-view');
  const releaseTs = one(header, 'releaseDateForPatientViewing');
  if (releaseTs && social) marks.push('professional-delay');
  const invalidation = isInvalidation(header);
  if (invalidation && !refs.replacesRef) fail(header.fileName, 'ClinicalDocument/relatedDocument', "an invalidation must name the invalidated document with relatedDocument typeCode='RPLC'");
  const functionCode = header.codings.functionCode[0];
  const title = one(header, 'title');
  return {
    documentOid: one(header, 'documentId') as string,
    setOid: one(header, 'setId') as string,
    version: Number(one(header, 'versionNumber')),
    date: tsToInstant(one(header, 'effectiveTime') as string) as string,
    title,
    patientRef: refs.patientRef,
    authorRef: refs.authorRef,
    custodianRef: refs.custodianRef,
    registerHolder: one(header, 'custodianOid') as string,
    registerKind,
    origin: cdaHeaderMap.rules.dataOrigin as 'kanta',
    views: views.map(stripSelection),
    type: stripSelection(header.codings.documentType[0]),
    confidentiality: stripSelection(header.codings.confidentiality[0]),
    sensitiveLabel: sensitive?.code && sensitive.system ? stripSelection(sensitive) : undefined,
    contextRef: refs.contextRef,
    serviceTask: social && functionCode ? stripSelection(functionCode) : undefined,
    functionCode: !social && functionCode ? stripSelection(functionCode) : undefined,
    marks,
    releaseDate: releaseTs ? tsToDate(releaseTs) : undefined,
    restrictionParent: header.codings.restrictionParent[0]?.code,
    status: invalidation ? 'entered-in-error' : 'current',
    replacesRef: refs.replacesRef,
    // The CDA itself is a Binary (cdaBinary); the attachment says where it is, how long it is and its hash.
    attachment: {
      ...contentAttachment(cdaBytes(header), cdaHeaderMap.rules.attachmentContentType, contentBinaryId(one(header, 'documentId') as string)),
      title,
      format: cdaHeaderMap.rules.fileFormat,
    },
  };
}

/** The archived bytes: the CDA exactly as received. */
const cdaBytes = (header: CdaHeader): Buffer => Buffer.from(header.xml, 'utf8');

/** The Binary holding the CDA, for the stored DocumentReference `documentRef` whose marks it repeats. */
export function cdaBinary(header: CdaHeader, document: DocumentReference): Binary {
  const id = contentBinaryId(one(header, 'documentId') as string);
  return toContentBinary(cdaBytes(header), cdaHeaderMap.rules.attachmentContentType, id, `DocumentReference/${document.id}`, document.meta?.security);
}

/** Header + resolved references -> DocumentReference (profile kanta-health-document or kanta-social-document). */
export function cdaToDocumentReference(header: CdaHeader, refs: CdaRefs): DocumentReference {
  return toDocumentReference(cdaToArchivedDocument(header, refs));
}

function stripSelection(c: Coding): Coding {
  const { userSelected: _ignored, ...rest } = c;
  return rest;
}

function dedupe(codings: Coding[]): Coding[] {
  const seen = new Set<string>();
  return codings.filter((c) => {
    const key = `${c.system}|${c.code}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

