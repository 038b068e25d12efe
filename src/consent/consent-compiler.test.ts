// Prohibition targets as the compiler reads them: any R4 form of a literal reference binds its record, and a target it cannot read binds everything (fail closed).
import type { Consent } from '@medplum/fhirtypes';
import { describe, expect, test } from 'vitest';
import { ConsentKind, LocalSystem } from '../kanta/codes.js';
import { compileConsents, localReference } from './consent-compiler.js';

const prohibitionOf = (id: string, references: string[], custodian?: string): Consent =>
  ({
    resourceType: 'Consent',
    id,
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: LocalSystem.ConsentKind, code: ConsentKind.Prohibition }] }],
    patient: { reference: 'Patient/p1' },
    dateTime: '2025-01-01T00:00:00Z',
    provision: {
      type: 'deny',
      ...(custodian ? { actor: [{ role: { coding: [{ code: 'CST' }] }, reference: { reference: custodian } }] } : {}),
      data: references.map((reference) => ({ meaning: 'instance', reference: { reference } })),
    },
  }) as unknown as Consent;

const compile = (c: Consent) => compileConsents('p1', [c], new Date('2025-06-01T00:00:00Z'), () => undefined).prohibitions;

describe('prohibition targets', () => {
  test('relative, absolute and versioned references name the same record', () => {
    for (const r of ['DocumentReference/d1', 'https://example.org/fhir/DocumentReference/d1', 'DocumentReference/d1/_history/3', 'http://h/fhir/DocumentReference/d1/_history/1']) {
      expect(localReference(r), r).toBe('DocumentReference/d1');
    }
    for (const r of ['#contained', 'urn:uuid:0d1c', 'DocumentReference', 'documentreference/d1']) expect(localReference(r), r).toBeUndefined();
  });

  test('a versioned or absolute document target is indexed as the document', () => {
    const idx = compile(prohibitionOf('c1', ['DocumentReference/d1/_history/2', 'https://example.org/fhir/DocumentReference/d2']));
    expect([...idx.byInstance.keys()].sort()).toEqual(['DocumentReference/d1', 'DocumentReference/d2']);
    expect(idx.everything).toEqual([]);
  });

  test('an unreadable target, or a custodian that resolves to no organisation, prohibits everything rather than nothing', () => {
    expect(compile(prohibitionOf('c2', ['DocumentReference/d1', 'urn:uuid:0d1c'])).everything).toHaveLength(1);
    expect(compile(prohibitionOf('c3', [], 'Organization/unknown')).everything).toHaveLength(1);
  });
});
