// Patient/[id]/$delete-wellness-data: the citizen erases all own wellness data, or one app's, in one request (C6, FINLAND.md §3). https://hl7.org/fhir/R4/operations.html
import { allOk, notFound, OperationOutcomeError } from '@medplum/core';
import type { OperationDefinition, Parameters } from '@medplum/fhirtypes';
import { LOCAL_BASE, LocalSystem, RegisterKind } from '../kanta/codes.js';
import type { OperationRoute } from '../fhir/operations.js';
import type { FhirHandler, FhirRequest } from '../fhir/types.js';
import type { Condition } from '../store/resource-store.js';
import { invalidOutcome, PdsText } from './messages.js';
import { DeleteWellnessDataOperation } from './wellness-rules.js';

export const DeleteWellnessDataUrl = `${LOCAL_BASE}/OperationDefinition/Patient-delete-wellness-data`;

const definition: OperationDefinition = {
  resourceType: 'OperationDefinition',
  id: 'Patient-delete-wellness-data',
  url: DeleteWellnessDataUrl,
  name: 'DeleteWellnessData',
  title: 'Delete own wellness data (Omatietovaranto)',
  status: 'active',
  kind: 'operation',
  description:
    "The citizen deletes every wellness Observation of the personal data store about them, or only those one app wrote (parameter app = the app's client id), " +
    'in one all-or-nothing request. Deletion is real: each Observation keeps only a deletion marker; its content, earlier versions and search index are erased. ' +
    'The request is audited, naming every deleted Observation. Only the citizen themselves may call it (never a proxy, guardian, professional or app).',
  code: DeleteWellnessDataOperation,
  affectsState: true,
  resource: ['Patient'],
  system: false,
  type: false,
  instance: true,
  parameter: [
    { name: 'app', use: 'in', min: 0, max: '1', type: 'string', documentation: 'Client id of the app whose data to delete; absent = all wellness data.' },
    { name: 'deleted', use: 'out', min: 1, max: '1', type: 'integer', documentation: 'How many Observations were deleted.' },
  ],
};

/** Observations erased per round; each round searches again from the start, as erased ones no longer match. */
const Batch = 200;

function appParameter(req: FhirRequest, language: 'fi' | 'sv' | 'en'): string | undefined {
  const fromQuery = req.query.app?.[0];
  const body = req.body as Parameters | undefined;
  const fromBody = body?.resourceType === 'Parameters' ? body.parameter?.find((p) => p.name === 'app') : undefined;
  if (body !== undefined && body !== null && (body as { resourceType?: string }).resourceType !== 'Parameters') {
    throw new OperationOutcomeError(invalidOutcome(PdsText.BadParameters, language, 'Parameters'));
  }
  const value = fromBody ? (fromBody.valueString ?? fromBody.valueCode ?? fromBody.valueId) : fromQuery;
  if (fromBody && typeof value !== 'string') throw new OperationOutcomeError(invalidOutcome(PdsText.BadParameters, language, 'Parameters.parameter'));
  return value?.trim() || undefined;
}

// Who may call it (the citizen, for their own data) is decided by the consent layer before the handler runs.
const handler: FhirHandler = async (req, { store, ctx }) => {
  const { id } = req.params;
  if (!(await store.read('Patient', id))) throw new OperationOutcomeError(notFound);
  const app = appParameter(req, ctx.language);
  if (!store.purge) {
    throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-supported', details: { text: 'This store cannot erase data' } }] });
  }

  const where: Condition[] = [
    { kind: 'param', code: 'patient', values: [`Patient/${id}`] },
    { kind: 'param', code: '_security', values: [`${LocalSystem.RegisterKind}|${RegisterKind.PersonalDataStore}`] },
    ...(app ? [{ kind: 'param', code: 'creating-application', values: [app] } as Condition] : []),
  ];
  const erased = new Set<string>();
  for (;;) {
    const page = await store.search({ resourceType: 'Observation', where, sort: [], count: Batch, offset: 0, total: 'none', include: [], revinclude: [] });
    for (const r of page.resources) {
      // A purged resource found again means the store did not erase it: stop rather than loop (the transaction rolls back).
      if (erased.has(r.id as string)) throw new OperationOutcomeError({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', details: { text: `Observation/${r.id} could not be erased` } }] });
      await store.purge('Observation', r.id as string);
      erased.add(r.id as string);
    }
    if (page.resources.length < Batch) break;
  }
  const out: Parameters = {
    resourceType: 'Parameters',
    parameter: [{ name: 'deleted', valueInteger: erased.size }, ...(app ? [{ name: 'app', valueString: app }] : [])],
  };
  return { outcome: allOk, resource: out };
};

export const deleteWellnessDataOperation: OperationRoute = {
  name: DeleteWellnessDataOperation,
  definition,
  instanceLevel: ['Patient'],
  affectsState: true,
  scope: 'd',
  handler,
};
