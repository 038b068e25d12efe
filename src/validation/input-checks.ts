// Checks on the raw JSON that type-driven validation misses: prototype-named elements, forbidden characters, narrative XHTML (txt-1/txt-2), id and reference syntax. https://hl7.org/fhir/R4/json.html
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { hasForbiddenCharacter, isPrototypeName } from '../fhir/safe-input.js';
import type { Language } from './language.js';
import { createIssue } from './messages.js';
import { narrativeProblem } from './narrative.js';

const Id = /^[A-Za-z0-9\-.]{1,64}$/;
const RelativeReference = /^[A-Z][A-Za-z]+\/[A-Za-z0-9\-.]{1,64}(\/_history\/[A-Za-z0-9\-.]{1,64})?$/;
const OnlyDots = /^\.+$/;

function referenceIsWellFormed(ref: string): boolean {
  if (ref.startsWith('#')) return Id.test(ref.slice(1)) || ref === '#';
  if (/^urn:uuid:[0-9a-fA-F-]{36}$/.test(ref) || /^urn:oid:[0-2](\.(0|[1-9][0-9]*))+$/.test(ref)) return true;
  if (/^[A-Z][A-Za-z]+\?/.test(ref)) return true; // conditional reference, resolved by the transaction
  if (/^[a-z][a-z0-9+.-]*:/i.test(ref)) {
    try {
      const url = new URL(ref);
      return (url.protocol === 'http:' || url.protocol === 'https:') && !ref.split(/[/?#]/).some((s) => s === '..' || s === '.');
    } catch {
      return false;
    }
  }
  if (!RelativeReference.test(ref)) return false;
  return !ref.split('/').some((s) => OnlyDots.test(s));
}

/** Every issue of the raw JSON, with FHIRPath-like expressions (`Patient.name[0].family`). */
export function checkInput(resource: Record<string, unknown>, language: Language): OperationOutcomeIssue[] {
  const issues: OperationOutcomeIssue[] = [];
  const stack: Array<[unknown, string, string | undefined]> = [[resource, String(resource.resourceType), undefined]];
  while (stack.length > 0) {
    const [value, path, key] = stack.pop()!;
    if (typeof value === 'string') {
      if (hasForbiddenCharacter(value)) issues.push(createIssue('forbidden-character', language, path));
      else if (key === 'div') {
        const p = narrativeProblem(value);
        if (p?.rule === 'txt-1') issues.push(createIssue('narrative-not-xhtml', language, path, { params: { detail: p.detail } }));
        else if (p?.rule === 'txt-2') issues.push(createIssue('narrative-empty', language, path));
      } else if (key === 'reference' && !referenceIsWellFormed(value)) {
        issues.push(createIssue('invalid-reference', language, path, { params: { reference: value.slice(0, 80) } }));
      }
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((v, i) => stack.push([v, `${path}[${i}]`, key]));
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    const obj = value as Record<string, unknown>;
    if (typeof obj.resourceType === 'string' && obj.id !== undefined && (typeof obj.id !== 'string' || !Id.test(obj.id) || OnlyDots.test(obj.id))) {
      issues.push(createIssue('invalid-id', language, `${path}.id`, { params: { id: String(obj.id).slice(0, 80) } }));
    }
    for (const [k, v] of Object.entries(obj)) {
      if (isPrototypeName(k) || hasForbiddenCharacter(k)) {
        issues.push(createIssue('unknown-element', language, path, { params: { name: k.replace(/[^\x20-\x7e]/g, '?').slice(0, 40) } }));
        continue;
      }
      stack.push([v, `${path}.${k}`, k]);
    }
  }
  return issues;
}
