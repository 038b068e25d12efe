// Translates @medplum/core validateResource issues into the gateway's multilingual issues (SPEC F3). https://hl7.org/fhir/R4/operationoutcome.html
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import type { Language } from './language.js';
import type { MessageId, MessageParams } from './messages.js';
import { createIssue } from './messages.js';

/** Constraint keys whose R4 4.0.1 expressions are known to be wrong; ppc-2..5 never fire and are replaced by corrected rules. */
export const BrokenR4Invariants: ReadonlySet<string> = new Set(['ppc-2', 'ppc-3', 'ppc-4', 'ppc-5']);

interface Pattern {
  test: RegExp;
  id: MessageId;
  params?: (m: RegExpExecArray) => MessageParams;
}

/** Medplum 4.5 message texts (typeschema/validation.ts) in the order they are tried. */
const PATTERNS: Pattern[] = [
  { test: /^Missing required property$/, id: 'required-missing' },
  {
    test: /^Invalid number of values: expected (\d+)\.\.(\S+), but found (\d+)$/,
    id: 'cardinality',
    params: (m) => ({ min: m[1], max: m[2], found: m[3] }),
  },
  {
    test: /^Incorrect number of values provided for slice '([^']*)': expected (\d+)\.\.(\S+), but found (\d+)$/,
    id: 'slice-cardinality',
    params: (m) => ({ slice: m[1], min: m[2], max: m[3], found: m[4] }),
  },
  { test: /^Expected array of values for property$/, id: 'expected-array' },
  { test: /^Expected single value for property$/, id: 'expected-single' },
  { test: /^Invalid additional property "(.*)"$/, id: 'unknown-element', params: (m) => ({ name: m[1] }) },
  { test: /^Invalid (empty|empty non-primitive) value$/, id: 'empty-value' },
  { test: /^Invalid (null|undefined) value$/, id: 'null-value' },
  {
    test: /^Invalid JSON type: expected (\w+), but got (\w+)$/,
    id: 'wrong-type',
    params: (m) => ({ expected: m[1], found: m[2] }),
  },
  {
    test: /^Invalid JSON type: (\S+) is not a valid FHIR type$/,
    id: 'wrong-type',
    params: (m) => ({ expected: 'FHIR primitive', found: m[1] }),
  },
  { test: /^String must contain non-whitespace content$/, id: 'blank-string' },
  { test: /^String cannot be larger than 1 MB$/, id: 'string-too-long' },
  { test: /^Invalid (\w+) format$/, id: 'invalid-format', params: (m) => ({ type: m[1] }) },
  {
    test: /^(Invalid numeric value|Expected number to be an integer|Expected number to be positive|Expected number to be non-negative)$/,
    id: 'invalid-number',
    params: (m) => ({ detail: m[1] }),
  },
  {
    test: /^Constraint (\S+) not met: ([\s\S]*)$/,
    id: 'invariant',
    params: (m) => ({ key: m[1], human: m[2] }),
  },
  { test: /^Conflicting choice of type properties: ([\s\S]*)$/, id: 'choice-conflict', params: (m) => ({ detail: m[1] }) },
];

/** Returns the translated issue, or undefined for issues the gateway replaces with its own checks. */
export function translateMedplumIssue(issue: OperationOutcomeIssue, language: Language): OperationOutcomeIssue | undefined {
  const text = issue.details?.text ?? '';
  const expression = issue.expression?.[0] ?? '';
  if (text.startsWith('Invalid reference:') || text === 'Value did not match expected pattern') {
    return undefined; // checked by element-checks.ts per value (and with the project profiles' target types)
  }
  const invariantKey = /^Constraint (\S+) not met/.exec(text)?.[1];
  if (invariantKey && BrokenR4Invariants.has(invariantKey)) {
    return undefined;
  }
  if (text === 'Error evaluating invariant expression') {
    // An engine limitation is not the client's fault: report it, but do not reject the resource for it.
    return createIssue('invariant-not-evaluated', language, expression, {
      severity: 'warning',
      params: { key: 'FHIRPath', detail: issue.diagnostics ?? '' },
    });
  }
  for (const pattern of PATTERNS) {
    const match = pattern.test.exec(text);
    if (match) {
      return createIssue(pattern.id, language, expression, {
        severity: issue.severity,
        params: pattern.params?.(match),
        diagnostics: issue.diagnostics ?? text,
      });
    }
  }
  return createIssue('structure-other', language, expression, {
    severity: issue.severity,
    params: { detail: text },
    diagnostics: issue.diagnostics,
  });
}
