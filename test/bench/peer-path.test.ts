// The reference peer's request form (bench/peer-medplum.ts): only the patient search parameter is rewritten, nothing else.
import { describe, expect, test } from 'vitest';
import { peerPath } from '../../bench/peer-medplum.js';

describe('peerPath', () => {
  test('patient=<id> becomes subject=Patient/<id>, the other parameters stay', () => {
    expect(peerPath('/fhir/DocumentReference?patient=p12')).toBe('/fhir/DocumentReference?subject=Patient/p12');
    expect(peerPath('/fhir/DocumentReference?patient=p12&_include=DocumentReference:encounter')).toBe('/fhir/DocumentReference?subject=Patient/p12&_include=DocumentReference:encounter');
  });
  test('reads, creates and already-typed references are left alone', () => {
    expect(peerPath('/fhir/DocumentReference/p12-doc-0-v1')).toBe('/fhir/DocumentReference/p12-doc-0-v1');
    expect(peerPath('/fhir/Consent')).toBe('/fhir/Consent');
    expect(peerPath('/fhir/Encounter?patient=Patient/p1')).toBe('/fhir/Encounter?patient=Patient/p1');
  });
});
