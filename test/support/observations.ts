// Test fixtures: a heart-rate Observation (LOINC 8867-4, UCUM /min), the record most interaction tests write.
import type { Observation } from '@medplum/fhirtypes';

export function heartRate(patientId: string, value: number, effectiveDateTime = '2026-01-05T10:00:00Z'): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime,
    valueQuantity: { value, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
  };
}
