// OperationOutcomes beyond @medplum/core's set, and the single outcome-to-HTTP-status mapping. https://hl7.org/fhir/R4/operationoutcome.html
import { getStatus, OperationOutcomeError } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';

/** Outcome ids this gateway adds; getStatus from @medplum/core knows the rest. */
const ExtraStatus: Record<string, number> = {
  'method-not-allowed': 405,
  'not-acceptable': 406,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  'service-unavailable': 503,
  'insufficient-scope': 403,
  unprocessable: 422,
};

function outcome(id: string, code: OperationOutcomeIssue['code'], text: string, expression?: string): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    id,
    issue: [{ severity: 'error', code, details: { text }, ...(expression ? { expression: [expression] } : undefined) }],
  };
}

export const methodNotAllowed = (text: string): OperationOutcome => outcome('method-not-allowed', 'not-supported', text);
export const notAcceptable = (text: string): OperationOutcome => outcome('not-acceptable', 'not-supported', text);
export const payloadTooLarge = (text: string): OperationOutcome => outcome('payload-too-large', 'too-costly', text);
export const unsupportedMediaType = (text: string): OperationOutcome => outcome('unsupported-media-type', 'not-supported', text);
export const serviceUnavailable = (text: string): OperationOutcome => outcome('service-unavailable', 'transient', text);
/** 403 because the token's SMART scopes do not cover the request (RFC 6750 insufficient_scope). */
export const insufficientScope = (text: string): OperationOutcome => outcome('insufficient-scope', 'forbidden', text);

/** 422: the request is well-formed but cannot be applied to this resource (a PATCH test or path that fails). */
export const unprocessable = (text: string, expression?: string): OperationOutcome => outcome('unprocessable', 'processing', text, expression);

/** An error outcome (validation results) keeps its issues but is reported as 400/422 by its id. */
export function invalidResource(issues: OperationOutcomeIssue[]): OperationOutcome {
  return { resourceType: 'OperationOutcome', id: 'invalid', issue: issues };
}

/** The one place an OperationOutcome becomes an HTTP status. */
export function statusOf(o: OperationOutcome): number {
  return (o.id && ExtraStatus[o.id]) || getStatus(o);
}

export function isErrorOutcome(o: OperationOutcome): boolean {
  return (o.issue ?? []).some((i) => i.severity === 'error' || i.severity === 'fatal');
}

/** Normalises anything thrown into an OperationOutcome; unknown errors become a 500 without internals. */
export function toOutcome(err: unknown): OperationOutcome {
  if (err instanceof OperationOutcomeError) return err.outcome;
  return outcome('server-error', 'exception', 'Internal server error');
}

export { OperationOutcomeError };
