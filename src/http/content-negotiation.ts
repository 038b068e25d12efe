// Format negotiation: the gateway serves FHIR JSON only and says so with 406/415. https://hl7.org/fhir/R4/http.html#mime-type
import { OperationOutcomeError } from '@medplum/core';
import { notAcceptable, unsupportedMediaType } from '../fhir/outcomes.js';

export const FhirJson = 'application/fhir+json';
const JsonFormats = ['json', 'application/json', 'application/fhir+json', 'application/json+fhir'];

/** _format wins over Accept, as the spec allows; anything but JSON (XML, Turtle) is refused. */
export function requireJsonResponse(accept: string | undefined, format: string | undefined): void {
  if (format !== undefined) {
    if (!JsonFormats.includes(format.split(';')[0].trim().toLowerCase())) {
      throw new OperationOutcomeError(notAcceptable(`_format '${format}' is not supported; this server serves application/fhir+json`));
    }
    return;
  }
  if (!accept) return;
  const ok = accept.split(',').some((part) => {
    const type = part.split(';')[0].trim().toLowerCase();
    return type === '*/*' || type === 'application/*' || JsonFormats.includes(type);
  });
  if (!ok) throw new OperationOutcomeError(notAcceptable(`Accept '${accept}' cannot be served; this server serves application/fhir+json`));
}

/** Bodies must be JSON; POST _search also takes a form. */
export function requireJsonBody(contentType: string | undefined, allowForm: boolean): void {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (JsonFormats.includes(type)) return;
  if (allowForm && type === 'application/x-www-form-urlencoded') return;
  throw new OperationOutcomeError(unsupportedMediaType(`Content-Type '${contentType ?? '(none)'}' is not supported; send application/fhir+json`));
}

/** PATCH takes a JSON Patch document or a FHIRPath Patch Parameters resource (FHIR JSON). https://hl7.org/fhir/R4/http.html#patch */
export function requirePatchBody(contentType: string | undefined): void {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json-patch+json' || JsonFormats.includes(type)) return;
  throw new OperationOutcomeError(
    unsupportedMediaType(`Content-Type '${contentType ?? '(none)'}' is not supported for PATCH; send application/json-patch+json or a FHIRPath Patch as application/fhir+json`),
  );
}
