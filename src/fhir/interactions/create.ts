// FHIR create interaction, with conditional create (If-None-Exist) over what the caller may see. https://hl7.org/fhir/R4/http.html#create
import { allOk, created, multipleMatches, OperationOutcomeError } from '@medplum/core';
import type { FhirHandler } from '../types.js';
import { conditionalMatches, criteriaOf } from './conditional.js';
import { requireReferencesResolve } from './references.js';
import { authorizeAndValidate, requireResourceBody } from './resource-body.js';

export const create: FhirHandler = async (req, { store, services }) => {
  const { resourceType } = req.params;
  const body = requireResourceBody(req.body, resourceType);
  if (req.headers.ifNoneExist) {
    const matches = await conditionalMatches(store, services, resourceType, criteriaOf(req.headers.ifNoneExist), 'create (If-None-Exist)');
    if (matches.length > 1) throw new OperationOutcomeError(multipleMatches);
    // One match: nothing is created and the existing resource is the answer (200, not 201).
    if (matches.length === 1) return { outcome: allOk, resource: matches[0] };
  }
  // The server assigns ids; a transaction may have reserved one for a urn:uuid entry.
  const { id: _ignored, ...rest } = body;
  const resource = { ...rest, ...(req.params.assignedId ? { id: req.params.assignedId } : undefined), meta: { ...body.meta, versionId: undefined, lastUpdated: undefined } } as typeof body;
  // Who may write this is asked first (a refusal is a 403 naming its rule); the answer carries server-set facts to validate.
  const prepared = await authorizeAndValidate(store, services, 'create', resource);
  // Inside a transaction Bundle the references are checked once every entry is written (forward urn:uuid links).
  if (!req.params.deferReferenceCheck) await requireReferencesResolve(store, prepared);
  const stored = await store.create(prepared);
  return { outcome: created, resource: stored, location: `${resourceType}/${stored.id}/_history/${stored.meta?.versionId}` };
};
