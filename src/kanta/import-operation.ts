// The $kanta-import system operation: imports CDA and JSON record sources sent as Attachments, each all-or-nothing. https://hl7.org/fhir/R4/operations.html
import type { Attachment, OperationDefinition, OperationOutcome, OperationOutcomeIssue, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import { OperationOutcomeError, allOk, badRequest } from '@medplum/core';
import definitionJson from '../../profiles/OperationDefinition-kanta-import.json' with { type: 'json' };
import type { OperationRoute } from '../fhir/operations.js';
import type { FhirHandler } from '../fhir/types.js';
import { createValidatingStore } from '../store/validating-store.js';
import { importSources, type ImportInput } from './import.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const Base64 = /^[A-Za-z0-9+/\s]*={0,2}\s*$/;

function sourcesOf(body: unknown): ImportInput[] {
  const params = body as Parameters | undefined;
  if (!isObject(params) || params.resourceType !== 'Parameters') throw new OperationOutcomeError(badRequest('$kanta-import expects a Parameters resource', 'Parameters'));
  if (params.parameter !== undefined && !Array.isArray(params.parameter)) throw new OperationOutcomeError(badRequest('Parameters.parameter must be an array', 'Parameters.parameter'));
  const all = (params.parameter ?? []) as unknown[];
  all.forEach((p, i) => {
    if (!isObject(p) || typeof p.name !== 'string') throw new OperationOutcomeError(badRequest(`Parameters.parameter[${i}] must be an object with a name`, `Parameters.parameter[${i}]`));
  });
  const sources = (all as ParametersParameter[]).flatMap((p, i) => (p.name === 'source' ? [{ p, i }] : []));
  if (!sources.length) throw new OperationOutcomeError(badRequest("$kanta-import needs at least one 'source' parameter", 'Parameters.parameter'));
  return sources.map(({ p, i }) => {
    const a = p.valueAttachment as Attachment | undefined;
    const at = `Parameters.parameter[${i}].valueAttachment`;
    if (!isObject(a) || typeof a.data !== 'string' || a.data === '' || !Base64.test(a.data)) throw new OperationOutcomeError(badRequest(`source ${i}: valueAttachment.data (base64 text) is required`, `${at}.data`));
    if (a.title !== undefined && typeof a.title !== 'string') throw new OperationOutcomeError(badRequest(`source ${i}: valueAttachment.title must be a string`, `${at}.title`));
    return { name: a.title ?? `source-${i + 1}`, content: Buffer.from(a.data, 'base64').toString('utf8') };
  });
}

export const kantaImportHandler: FhirHandler = async (req, deps) => {
  // Imported records are validated like any REST write (base R4 and the Kanta profiles they claim).
  const report = await importSources(sourcesOf(req.body), createValidatingStore(deps.store, (r) => deps.services.validate(r)));
  const issues: OperationOutcomeIssue[] = report.inputs.flatMap((i) =>
    i.ok
      ? report.ok
        ? [{ severity: 'information' as const, code: 'informational' as const, details: { text: `${i.name}: imported (${i.created.length} created, ${i.updated.length} updated)` }, diagnostics: [...i.created, ...i.updated].join(' ') }]
        : [{ severity: 'information' as const, code: 'informational' as const, details: { text: `${i.name}: valid, but not stored because another source was refused` } }]
      : (i.outcome?.issue ?? []),
  );
  // Refusals first: the status follows the first issue (400 when any source was refused).
  issues.sort((a, b) => Number(b.severity === 'error') - Number(a.severity === 'error'));
  // One request is all-or-nothing: a refused source rolls back the ones that went in before it.
  if (!report.ok) throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: issues });
  const outcome: OperationOutcome = { ...allOk, issue: issues };
  return { outcome, resource: outcome };
};

export const kantaImportOperation: OperationRoute = {
  name: 'kanta-import',
  definition: definitionJson as OperationDefinition,
  systemLevel: true,
  affectsState: true,
  scope: 'c',
  // The import writes with the ids its sources carry, which only the archive operator (who sees everything) may choose.
  callers: 'archive-operator',
  handler: kantaImportHandler,
};
