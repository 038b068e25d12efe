// Checks the CapabilityStatement itself: served without a token as FHIR JSON, R4, an instance, a server. https://hl7.org/fhir/R4/http.html#capabilities
import { expectFhirJson, expectStatus } from '../expectations.js';
import type { FhirAnswer } from '../fhir-http.js';
import { assert } from '../report.js';

export function checkCapabilityStatement(metadata: FhirAnswer | Error): string {
  if (metadata instanceof Error) throw new Error(`GET metadata failed: ${metadata.message}`);
  expectStatus(metadata, 200, 'GET metadata');
  expectFhirJson(metadata, 'GET metadata');
  const cs = metadata.body;
  assert(cs.resourceType === 'CapabilityStatement', `metadata returned ${cs.resourceType}`);
  assert(cs.fhirVersion === '4.0.1', `fhirVersion is ${cs.fhirVersion}, expected 4.0.1`);
  assert(cs.kind === 'instance', `kind is ${cs.kind}, expected instance`);
  assert((cs.format ?? []).some((f: string) => /json/.test(f)), 'format does not list JSON');
  const rest = (cs.rest ?? []).find((r: { mode: string }) => r.mode === 'server');
  assert(rest, 'no rest entry with mode server');
  return `${rest.resource?.length ?? 0} resource types declared`;
}
