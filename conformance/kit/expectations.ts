// Assertions on HTTP answers shared by the checks: status, FHIR JSON, OperationOutcome shape, Bundle type. https://hl7.org/fhir/R4/http.html
import type { Bundle } from '@medplum/fhirtypes';
import type { FhirAnswer } from './fhir-http.js';

function brief(a: FhirAnswer): string {
  return `${a.status} ${a.text.slice(0, 240)}`;
}

export function expectStatus(a: FhirAnswer, allowed: number | number[], what: string): void {
  const ok = Array.isArray(allowed) ? allowed : [allowed];
  if (!ok.includes(a.status)) throw new Error(`${what}: expected HTTP ${ok.join(' or ')}, got ${brief(a)} (${a.url})`);
}

export function expectFhirJson(a: FhirAnswer, what: string): void {
  const type = a.headers.get('content-type') ?? '';
  if (!/^application\/fhir\+json/i.test(type)) throw new Error(`${what}: Content-Type is '${type}', expected application/fhir+json`);
  if (!a.body || typeof a.body.resourceType !== 'string') throw new Error(`${what}: the body is not a FHIR resource: ${a.text.slice(0, 200)}`);
}

/** A 4xx/5xx must carry an OperationOutcome with at least one error issue that says something. */
export function expectOutcome(a: FhirAnswer, allowed: number | number[], what: string): void {
  expectStatus(a, allowed, what);
  expectFhirJson(a, what);
  if (a.body.resourceType !== 'OperationOutcome') throw new Error(`${what}: expected an OperationOutcome, got ${a.body.resourceType}`);
  const issues: Array<{ severity?: string; code?: string; details?: { text?: string }; diagnostics?: string }> = a.body.issue ?? [];
  const error = issues.find((i) => i.severity === 'error' || i.severity === 'fatal');
  if (!error) throw new Error(`${what}: the OperationOutcome has no error issue`);
  if (!error.code) throw new Error(`${what}: the OperationOutcome issue has no code`);
  if (!error.details?.text && !error.diagnostics) throw new Error(`${what}: the OperationOutcome issue has no text`);
}

/** A refusal of something not offered: any 4xx with an OperationOutcome, and certainly no success. */
export function expectRefused(a: FhirAnswer, what: string): void {
  if (a.status < 400 || a.status >= 500) throw new Error(`${what}: expected a 4xx refusal, got ${brief(a)}`);
  expectOutcome(a, a.status, what);
}

export function expectBundle(a: FhirAnswer, type: Bundle['type'], what: string): Bundle {
  expectStatus(a, 200, what);
  expectFhirJson(a, what);
  if (a.body.resourceType !== 'Bundle' || a.body.type !== type) throw new Error(`${what}: expected a ${type} Bundle, got ${a.body.resourceType} ${a.body.type ?? ''}`);
  return a.body as Bundle;
}

/** Weak or strong ETag carrying the version id, per https://hl7.org/fhir/R4/http.html#versioning */
export function etagVersion(a: FhirAnswer): string | undefined {
  return /^(?:W\/)?"([^"]+)"$/.exec(a.headers.get('etag') ?? '')?.[1];
}
