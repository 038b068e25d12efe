// Request-shape checks at the HTTP edge (path segments, parameter names and repetition, JSON depth): each breach is a 400 naming it. https://hl7.org/fhir/R4/http.html
import { badRequest, OperationOutcomeError } from '@medplum/core';
import type { RequestLimits } from '../config.js';
import { hasForbiddenCharacter, isPrototypeName } from '../fhir/safe-input.js';

const bad = (text: string, expression?: string): OperationOutcomeError => new OperationOutcomeError(badRequest(text, expression));

/**
 * The path below /fhir, decoded segment by segment. Dot segments are refused rather than resolved, so
 * `AuditEvent/../Patient/x` can never turn into a Patient route; a malformed escape (`%ZZ`) or an encoded
 * slash is refused too.
 */
export function fhirPathOf(rawPathname: string): string {
  const segments = rawPathname.replace(/^\/fhir\/?/, '').split('/');
  return segments
    .map((seg) => {
      let s: string;
      try {
        s = decodeURIComponent(seg);
      } catch {
        throw bad(`The request path has a malformed percent escape in '${seg.slice(0, 64)}'`);
      }
      if (s === '.' || s === '..') throw bad(`The request path may not contain '${s}' segments`);
      if (s.includes('/')) throw bad('The request path may not contain an encoded slash');
      if (hasForbiddenCharacter(s)) throw bad('The request path contains a character that is not allowed');
      return s;
    })
    .join('/');
}

/** Adds one query parameter, refusing prototype names, forbidden characters and too many repetitions. */
export function addParam(query: Record<string, string[]>, name: string, value: unknown, limits: Pick<RequestLimits, 'paramRepeat'>): void {
  if (isPrototypeName(name)) throw bad(`'${name}' is not a valid parameter name`, name);
  if (typeof value !== 'string') throw bad(`Parameter '${name}' must be a string value, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`, name);
  if (hasForbiddenCharacter(name)) throw bad('A parameter name contains a character that is not allowed');
  if (hasForbiddenCharacter(value)) throw bad(`The value of parameter '${name}' contains a character that is not allowed`, name);
  const list = Object.prototype.hasOwnProperty.call(query, name) ? query[name] : (query[name] = []);
  if (list.length >= limits.paramRepeat) throw bad(`Parameter '${name}' is repeated more than ${limits.paramRepeat} times (LIMIT_PARAM_REPEAT)`, name);
  list.push(value);
}

/** Fails when a parsed JSON body nests deeper than `max` (measured without recursion, so any depth is safe to measure). */
export function requireJsonDepth(body: unknown, max: number): void {
  if (body === null || typeof body !== 'object') return;
  const stack: Array<[unknown, number]> = [[body, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (d > max) throw bad(`The request body nests deeper than ${max} levels (LIMIT_JSON_DEPTH)`);
    for (const child of Array.isArray(v) ? v : Object.values(v as object)) {
      if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
    }
  }
}
