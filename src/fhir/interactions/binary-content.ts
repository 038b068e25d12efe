// How a Binary read answers: the Binary resource as FHIR JSON, or its content in its own media type. https://hl7.org/fhir/R4/binary.html#rest
import { OperationOutcomeError } from '@medplum/core';
import type { Binary, Resource } from '@medplum/fhirtypes';
import { notAcceptable } from '../outcomes.js';
import type { FhirRequest, FhirResponse } from '../types.js';

const FhirJsonTypes = ['json', 'application/json', 'application/fhir+json', 'application/json+fhir'];

const mediaType = (s: string): string => s.split(';')[0].trim().toLowerCase();

/** Media ranges of an Accept header with a non-zero quality. */
function ranges(accept: string): string[] {
  return accept
    .split(',')
    .filter((part) => !/;\s*q\s*=\s*0(\.0*)?\s*($|;)/i.test(part))
    .map(mediaType)
    .filter(Boolean);
}

/**
 * R4 binary.html: a Binary read that does not explicitly ask for a FHIR format gets the content itself, with the
 * Binary's contentType; asking for FHIR JSON (Accept or _format) gets the resource. A type that is neither the
 * content's nor FHIR JSON is 406 naming both choices.
 */
export function binaryForm(req: Pick<FhirRequest, 'headers' | 'query'>, binary: Binary): 'resource' | 'native' {
  const format = req.query._format?.[0];
  if (format !== undefined) {
    if (FhirJsonTypes.includes(mediaType(format))) return 'resource';
    throw new OperationOutcomeError(notAcceptable(`_format '${format.slice(0, 60)}' is not supported; this server serves application/fhir+json`));
  }
  const accept = req.headers.accept;
  if (!accept) return 'native';
  const asked = ranges(accept);
  if (asked.some((t) => FhirJsonTypes.includes(t))) return 'resource';
  const own = mediaType(binary.contentType ?? '');
  if (asked.some((t) => t === '*/*' || t === own || (t.endsWith('/*') && own.startsWith(t.slice(0, -1))))) return 'native';
  throw new OperationOutcomeError(
    notAcceptable(`Accept '${accept.slice(0, 80)}' cannot be served: this Binary is ${own || 'of no stated type'}; ask for that type or application/fhir+json`),
  );
}

/** The answer to a read or vread: a Binary may go out in its own media type, everything else as the resource. */
export function readAnswer(req: Pick<FhirRequest, 'headers' | 'query'>, resource: Resource, shape: (r: Resource) => Resource): Pick<FhirResponse, 'resource' | 'native'> {
  if (resource.resourceType === 'Binary' && binaryForm(req, resource) === 'native') return { resource, native: true };
  return { resource: shape(resource) };
}
