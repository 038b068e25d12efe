// Bounds on the cost of one search (OR values, repetition, chain and _has depth, offset) and on its characters; each breach is a 400 naming it. https://hl7.org/fhir/R4/search.html
import { badRequest, OperationOutcomeError } from '@medplum/core';
import { DefaultLimits, type RequestLimits } from '../config.js';
import { hasForbiddenCharacter, isPrototypeName } from '../fhir/safe-input.js';

export type SearchLimits = Pick<RequestLimits, 'paramRepeat' | 'orValues' | 'chainDepth' | 'hasDepth' | 'maxOffset'>;
export const DefaultSearchLimits: SearchLimits = DefaultLimits;

const bad = (text: string, expression: string): OperationOutcomeError => new OperationOutcomeError(badRequest(text, expression));

/** Checks a parameter's name and occurrences before any parsing (they may come from a Bundle entry's url, not only HTTP). */
export function checkParameter(name: string, values: readonly string[], limits: SearchLimits): void {
  if (isPrototypeName(name) || hasForbiddenCharacter(name)) throw bad(`'${name.replace(/[^\x20-\x7e]/g, '?')}' is not a valid search parameter name`, 'name');
  if (values.length > limits.paramRepeat) throw bad(`Parameter '${name}' is repeated more than ${limits.paramRepeat} times (LIMIT_PARAM_REPEAT)`, name);
  for (const v of values) {
    if (hasForbiddenCharacter(v)) throw bad(`The value of parameter '${name}' contains a character that is not allowed`, name);
  }
  const hasDepth = name.split('_has:').length - 1;
  if (hasDepth > limits.hasDepth) throw bad(`'${name.slice(0, 80)}' nests _has ${hasDepth} deep; at most ${limits.hasDepth} (LIMIT_HAS_DEPTH)`, name);
}

export function checkOrValues(name: string, parts: readonly string[], limits: SearchLimits): void {
  if (parts.length > limits.orValues) throw bad(`Parameter '${name}' ORs ${parts.length} values; at most ${limits.orValues} (LIMIT_OR_VALUES)`, name);
}

/** `links` is the number of dots in the chain (`subject.organization.name` has 2). */
export function checkChainDepth(name: string, links: number, limits: SearchLimits): void {
  if (links > limits.chainDepth) throw bad(`The chain '${name.slice(0, 80)}' has ${links} links; at most ${limits.chainDepth} (LIMIT_CHAIN_DEPTH)`, name);
}

export function checkOffset(offset: number, limits: SearchLimits): void {
  if (offset > limits.maxOffset) throw bad(`_offset ${offset} is beyond ${limits.maxOffset} (LIMIT_OFFSET); narrow the search instead`, '_offset');
}
