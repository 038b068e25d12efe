// FHIR update and conditional update; update-as-create (client-assigned id) only for the archive operator, whose migrations keep their ids. https://hl7.org/fhir/R4/http.html#update
import { allOk, badRequest, created, multipleMatches, notFound, OperationOutcomeError } from '@medplum/core';
import type { Resource } from '@medplum/fhirtypes';
import { isArchiveOperator, type RequestContext } from '../../context.js';
import type { ResourceStore } from '../../store/resource-store.js';
import type { FhirHandler, FhirRequest, FhirResponse, FhirServices } from '../types.js';
import { conditionalMatches } from './conditional.js';
import { requireReferencesResolve } from './references.js';
import { authorizeAndValidate, requireResourceBody } from './resource-body.js';

/**
 * Anyone else's PUT to an unknown id answers 404 exactly like one to a withheld id; the archive operator sees
 * everything, so for it a missing id is really missing and may be created.
 */
function mayCreateWithId(ctx: RequestContext): boolean {
  return isArchiveOperator(ctx.principal);
}

async function write(req: FhirRequest, store: ResourceStore, services: FhirServices, ctx: RequestContext, body: Resource, id: string): Promise<FhirResponse> {
  const current = await store.read(body.resourceType, id);
  if (!current && !mayCreateWithId(ctx)) throw new OperationOutcomeError(notFound);
  // Who may write this is asked first (a refusal is a 403 naming its rule); the answer carries server-set facts to validate.
  const prepared = await authorizeAndValidate(store, services, current ? 'update' : 'create', body);
  if (!req.params.deferReferenceCheck) await requireReferencesResolve(store, prepared);
  if (!current) {
    const stored = await store.update({ ...prepared, meta: { ...prepared.meta, versionId: undefined, lastUpdated: undefined } } as Resource);
    return { outcome: created, resource: stored, location: `${body.resourceType}/${stored.id}/_history/${stored.meta?.versionId}` };
  }
  const stored = await store.update(prepared, { ifMatch: req.headers.ifMatch });
  return { outcome: allOk, resource: stored };
}

export const update: FhirHandler = async (req, { store, services, ctx }) => {
  const { resourceType, id } = req.params;
  const body = requireResourceBody(req.body, resourceType);
  if (body.id !== id) {
    throw new OperationOutcomeError(badRequest(`The resource id '${body.id ?? ''}' does not match the URL id '${id}'`, 'id'));
  }
  return write(req, store, services, ctx, body, id);
};

/** PUT [type]?criteria: no match creates, one match is updated, more than one is 412. */
export const conditionalUpdate: FhirHandler = async (req, { store, services, ctx }) => {
  const { resourceType } = req.params;
  const body = requireResourceBody(req.body, resourceType);
  const matches = await conditionalMatches(store, services, resourceType, req.query, 'update');
  if (matches.length > 1) throw new OperationOutcomeError(multipleMatches);
  if (matches.length === 1) {
    const id = matches[0].id!;
    if (body.id !== undefined && body.id !== id) {
      throw new OperationOutcomeError(badRequest(`The resource id '${body.id}' is not the id '${id}' the criteria match`, 'id'));
    }
    return write(req, store, services, ctx, { ...body, id }, id);
  }
  if (body.id !== undefined) {
    if (!mayCreateWithId(ctx)) throw new OperationOutcomeError(badRequest('Nothing matches and a new resource cannot take a client-assigned id; leave id out', 'id'));
    return write(req, store, services, ctx, body, body.id);
  }
  const { id: _none, ...rest } = body;
  const resource = await authorizeAndValidate(store, services, 'create', { ...rest, meta: { ...body.meta, versionId: undefined, lastUpdated: undefined } } as Resource);
  if (!req.params.deferReferenceCheck) await requireReferencesResolve(store, resource);
  const stored = await store.create(resource);
  return { outcome: created, resource: stored, location: `${resourceType}/${stored.id}/_history/${stored.meta?.versionId}` };
};
