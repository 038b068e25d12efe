// $meta, $meta-add and $meta-delete on a resource: read, add or remove its profiles and tags. https://hl7.org/fhir/R4/resource-operation-meta.html
import { allOk, badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import type { Coding, Meta, OperationDefinition, Parameters, Resource } from '@medplum/fhirtypes';
import type { OperationRoute } from '../operations.js';
import type { FhirHandler } from '../types.js';
import { requireReferencesResolve } from '../interactions/references.js';
import { authorizeAndValidate } from '../interactions/resource-body.js';

function definition(id: string, code: string, withInput: boolean): OperationDefinition {
  return {
    resourceType: 'OperationDefinition',
    id,
    url: `http://hl7.org/fhir/OperationDefinition/${id}`,
    name: id.replace(/-/g, ''),
    status: 'active',
    kind: 'operation',
    code,
    resource: ['Resource' as never],
    system: false,
    type: false,
    instance: true,
    affectsState: withInput,
    parameter: [...(withInput ? [{ name: 'meta', use: 'in' as const, min: 1, max: '1', type: 'Meta' as never }] : []), { name: 'return', use: 'out', min: 1, max: '1', type: 'Meta' as never }],
  };
}

const answer = (meta: Meta | undefined): Parameters => ({ resourceType: 'Parameters', parameter: [{ name: 'return', valueMeta: meta ?? {} }] });
const sameCoding = (a: Coding, b: Coding) => a.system === b.system && a.code === b.code;

function metaInput(body: unknown): Meta {
  const p = body as Parameters | undefined;
  const meta = p?.resourceType === 'Parameters' ? p.parameter?.find((x) => x.name === 'meta')?.valueMeta : undefined;
  if (!meta) throw new OperationOutcomeError(badRequest('The body must be Parameters with a meta parameter (valueMeta)', 'meta'));
  // Security labels decide who may see a record; they are set by the gateway's rules, never by these operations.
  if (meta.security?.length) throw new OperationOutcomeError(badRequest('Security labels cannot be changed with $meta-add or $meta-delete', 'meta.security'));
  return meta;
}

const metaHandler: FhirHandler = async (req, { store }) => {
  const r = await store.read(req.params.resourceType, req.params.id);
  if (!r) throw new OperationOutcomeError(notFound);
  return { outcome: allOk, resource: answer(r.meta) };
};

function change(apply: (current: Meta, given: Meta) => Meta): FhirHandler {
  return async (req, { store, services }) => {
    const given = metaInput(req.body);
    const current = await store.read(req.params.resourceType, req.params.id);
    if (!current) throw new OperationOutcomeError(notFound);
    // FHIR arrays are never empty: a list emptied by $meta-delete is left out.
    const meta = Object.fromEntries(Object.entries(apply(current.meta ?? {}, given)).filter(([, v]) => !(Array.isArray(v) && v.length === 0))) as Meta;
    const next = { ...current, meta: { ...meta, versionId: undefined, lastUpdated: undefined } } as Resource;
    // A changed profile list is a changed claim: validated like any update, and written through the same guarded store.
    const prepared = await authorizeAndValidate(store, services, 'update', next);
    await requireReferencesResolve(store, prepared);
    const stored = await store.update(prepared, { ifMatch: current.meta?.versionId });
    return { outcome: allOk, resource: answer(stored.meta) };
  };
}

const add = change((m, g) => ({
  ...m,
  profile: [...new Set([...(m.profile ?? []), ...(g.profile ?? [])])],
  tag: [...(m.tag ?? []), ...(g.tag ?? []).filter((t) => !(m.tag ?? []).some((x) => sameCoding(x, t)))],
}));
const remove = change((m, g) => ({
  ...m,
  profile: (m.profile ?? []).filter((p) => !(g.profile ?? []).includes(p)),
  tag: (m.tag ?? []).filter((t) => !(g.tag ?? []).some((x) => sameCoding(x, t))),
}));

/** $meta on every type; the changing two only on `updatable` types (never AuditEvent or the published conformance resources). */
export function metaOperations(updatable: readonly string[]): OperationRoute[] {
  return [
    { name: 'meta', definition: definition('Resource-meta', 'meta', false), instanceLevel: '*', affectsState: false, scope: 'r', handler: metaHandler },
    { name: 'meta-add', definition: definition('Resource-meta-add', 'meta-add', true), instanceLevel: updatable, affectsState: true, scope: 'u', handler: add },
    { name: 'meta-delete', definition: definition('Resource-meta-delete', 'meta-delete', true), instanceLevel: updatable, affectsState: true, scope: 'u', handler: remove },
  ];
}
