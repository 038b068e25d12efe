// The $kanta-import system operation: imports CDA and JSON record sources sent as Attachments, each all-or-nothing. https://hl7.org/fhir/R4/operations.html
import type { Attachment, OperationDefinition, OperationOutcome, OperationOutcomeIssue, Parameters } from '@medplum/fhirtypes';
import { OperationOutcomeError, allOk, badRequest } from '@medplum/core';
import definitionJson from '../../profiles/OperationDefinition-kanta-import.json' with { type: 'json' };
import type { OperationRoute } from '../fhir/operations.js';
import type { FhirHandler } from '../fhir/types.js';
import { createValidatingStore } from '../store/validating-store.js';
import { importSources, type ImportInput } from './import.js';

function sourcesOf(body: unknown): ImportInput[] {
  const params = body as Parameters | undefined;
  if (params?.resourceType !== 'Parameters') throw new OperationOutcomeError(badRequest('$kanta-import expects a Parameters resource', 'Parameters'));
  const sources = (params.parameter ?? []).filter((p) => p.name === 'source');
  if (!sources.length) throw new OperationOutcomeError(badRequest("$kanta-import needs at least one 'source' parameter", 'Parameters.parameter'));
  return sources.map((p, i) => {
    const a = p.valueAttachment as Attachment | undefined;
    if (!a?.data) throw new OperationOutcomeError(badRequest(`source ${i}: valueAttachment.data (base64) is required`, `Parameters.parameter[${i}].valueAttachment.data`));
    return { name: a.title ?? `source-${i + 1}`, content: Buffer.from(a.data, 'base64').toString('utf8') };
  });
}

export const kantaImportHandler: FhirHandler = async (req, deps) => {
  // Imported records are validated like any REST write (base R4 and the Kanta profiles they claim).
  const report = await importSources(sourcesOf(req.body), createValidatingStore(deps.store, (r) => deps.services.validate(r)));
  const issues: OperationOutcomeIssue[] = report.inputs.flatMap((i) =>
    i.ok
      ? [{ severity: 'information' as const, code: 'informational' as const, details: { text: `${i.name}: imported (${i.created.length} created, ${i.updated.length} updated)` }, diagnostics: [...i.created, ...i.updated].join(' ') }]
      : (i.outcome?.issue ?? []),
  );
  // Refusals first: the status follows the first issue (400 when any source was refused).
  issues.sort((a, b) => Number(b.severity === 'error') - Number(a.severity === 'error'));
  const outcome: OperationOutcome = report.ok ? { ...allOk, issue: issues } : { resourceType: 'OperationOutcome', issue: issues };
  return { outcome, resource: outcome };
};

export const kantaImportOperation: OperationRoute = {
  name: 'kanta-import',
  definition: definitionJson as OperationDefinition,
  systemLevel: true,
  affectsState: true,
  scope: 'c',
  handler: kantaImportHandler,
};
