// Reads an operation's input parameters from the query string (GET) or a Parameters body (POST). https://hl7.org/fhir/R4/operations.html#request
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { Coding, CodeableConcept, Parameters, ParametersParameter, Resource } from '@medplum/fhirtypes';
import type { FhirRequest } from '../types.js';

export interface OperationInput {
  /** A primitive parameter as text (valueString, valueUri, valueCode, valueInteger... or the query value). */
  text(name: string): string | undefined;
  coding(name: string): Coding | undefined;
  codeableConcept(name: string): CodeableConcept | undefined;
  resource(name: string): Resource | undefined;
}

function primitive(p: ParametersParameter): string | undefined {
  for (const [k, v] of Object.entries(p)) {
    if (k.startsWith('value') && (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return String(v);
  }
  return undefined;
}

export function operationInput(req: FhirRequest, known: readonly string[]): OperationInput {
  const body = req.body as Resource | undefined;
  const params = body && typeof body === 'object' && body.resourceType === 'Parameters' ? ((body as Parameters).parameter ?? []) : [];
  if (body && typeof body === 'object' && Object.keys(body).length > 0 && body.resourceType !== 'Parameters') {
    throw new OperationOutcomeError(badRequest('The operation body must be a Parameters resource'));
  }
  for (const k of [...Object.keys(req.query), ...params.map((p) => p.name)]) {
    if (!known.includes(k) && k !== '_format' && k !== '_pretty') throw new OperationOutcomeError(badRequest(`Unknown parameter '${k}'`, k));
  }
  const find = (name: string) => params.find((p) => p.name === name);
  return {
    text: (name) => req.query[name]?.[0] ?? (find(name) ? primitive(find(name)!) : undefined),
    coding: (name) => find(name)?.valueCoding,
    codeableConcept: (name) => find(name)?.valueCodeableConcept,
    resource: (name) => find(name)?.resource,
  };
}
