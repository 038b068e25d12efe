// Bulk Data $export kick-off (system, Patient and Group level): checks the request and starts an asynchronous job. https://hl7.org/fhir/uv/bulkdata/export.html#bulk-data-kick-off-request
import { accepted, badRequest, forbidden, notFound, OperationOutcomeError } from '@medplum/core';
import type { Group, OperationDefinition, Parameters } from '@medplum/fhirtypes';
import definitionJson from '../../../conformance/operations/export.json' with { type: 'json' };
import groupDefinitionJson from '../../../conformance/operations/group-export.json' with { type: 'json' };
import type { OperationRoute } from '../operations.js';
import type { FhirHandler, FhirRequest } from '../types.js';

const definition = definitionJson as OperationDefinition;
const groupDefinition = groupDefinitionJson as OperationDefinition;
const PatientRef = /^Patient\/([A-Za-z0-9\-.]{1,64})$/;
/** Members one Group export takes: each is a bound value in the job's queries, which both databases limit. */
export const MaxGroupMembers = 500;

/**
 * The Group's current Patient members (Group.member.entity, not inactive). Read through the caller's guarded store:
 * a Group the caller may not see answers 404 exactly like one that does not exist.
 */
async function groupMembers(id: string, read: (type: string, id: string) => Promise<unknown>): Promise<string[]> {
  const group = (await read('Group', id)) as Group | undefined;
  if (!group) throw new OperationOutcomeError({ ...notFound, issue: [{ ...notFound.issue![0], details: { text: `Group/${id.slice(0, 64)} not found` } }] });
  const ids = (group.member ?? []).filter((m) => m.inactive !== true).map((m) => PatientRef.exec(m.entity?.reference ?? '')?.[1]);
  const members = [...new Set(ids.filter((m): m is string => !!m))];
  if (members.length > MaxGroupMembers) {
    throw new OperationOutcomeError(badRequest(`Group/${id.slice(0, 64)} has ${members.length} Patient members; Group/[id]/$export takes at most ${MaxGroupMembers} (split the Group)`, 'Group.member'));
  }
  return members;
}

/** The IG requires servers to accept these three spellings of NDJSON. */
const NdjsonFormats = ['application/fhir+ndjson', 'application/ndjson', 'ndjson'];
/** A FHIR instant: a full date-time with seconds and a time zone. */
const Instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const Known = ['_outputFormat', '_since', '_type'];

const refuse = (text: string, expression?: string): never => {
  throw new OperationOutcomeError(badRequest(text, expression));
};

/** Kick-off parameters from the query (GET) or a Parameters body (POST), each at most once except _type. */
function paramsOf(req: FhirRequest): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, vs] of Object.entries(req.query)) out[k] = [...vs];
  if (req.method === 'POST' && req.body !== undefined) {
    const body = req.body as Parameters;
    if (body?.resourceType !== 'Parameters' || (body.parameter !== undefined && !Array.isArray(body.parameter))) refuse('$export expects a Parameters resource', 'Parameters');
    for (const p of body.parameter ?? []) {
      const v = p?.valueString ?? p?.valueInstant ?? p?.valueCode;
      if (typeof p?.name !== 'string' || typeof v !== 'string') refuse(`Parameter '${String(p?.name)}' needs a string, instant or code value`, 'Parameters.parameter');
      (out[p.name] ??= []).push(v as string);
    }
  }
  return out;
}

const handler: FhirHandler = async (req, { ctx, services, store }) => {
  const bulk = services.bulkExport;
  if (!bulk) throw new OperationOutcomeError(badRequest('$export is not offered by this server'));
  // Bulk Data is for back-end services: the archive operator and organisations' system clients, never a person's token.
  if (ctx.principal.kind !== 'system') {
    throw new OperationOutcomeError({ ...forbidden, issue: [{ ...forbidden.issue![0], details: { text: '$export is only for system clients (kanta_role system)' } }] });
  }
  if (!/(^|[\s,;])respond-async($|[\s,;])/.test(req.headers.prefer ?? '')) refuse('$export runs asynchronously only: send Prefer: respond-async', 'Prefer');
  const params = paramsOf(req);
  for (const k of Object.keys(params)) {
    if (!Known.includes(k)) refuse(`$export parameter '${k.slice(0, 40)}' is not supported (supported: ${Known.join(', ')})`, k.slice(0, 40));
  }
  for (const k of ['_outputFormat', '_since']) if ((params[k]?.length ?? 0) > 1) refuse(`${k} may be given once`, k);
  const format = params._outputFormat?.[0];
  if (format !== undefined && !NdjsonFormats.includes(format)) refuse(`_outputFormat '${format.slice(0, 60)}' is not supported: use application/fhir+ndjson`, '_outputFormat');
  const since = params._since?.[0];
  if (since !== undefined && (!Instant.test(since) || Number.isNaN(Date.parse(since)))) {
    refuse(`_since '${since.slice(0, 40)}' is not a FHIR instant (e.g. 2025-01-01T00:00:00Z)`, '_since');
  }
  const groupLevel = req.params.resourceType === 'Group';
  const patientLevel = req.params.resourceType === 'Patient' || groupLevel;
  const exportable = bulk.types();
  // Patient level: the compartment plus the content its records name (Bulk Data allows referenced resources such as Binary).
  const patientTypes = [...services.patientCompartmentTypes(), ...(services.patientContentLinks?.() ?? []).map((l) => l.resourceType)];
  const scope = patientLevel ? ['Patient', ...patientTypes.filter((t) => t !== 'Patient' && exportable.includes(t))] : exportable;
  const asked = params._type?.flatMap((v) => v.split(',')).map((t) => t.trim()).filter((t) => t.length > 0);
  for (const t of asked ?? []) {
    if (!scope.includes(t)) refuse(`_type '${t.slice(0, 40)}' cannot be exported${patientLevel ? ` at ${groupLevel ? 'Group' : 'Patient'} level` : ''} (exportable: ${scope.join(', ')})`, '_type');
  }
  const types = asked?.length ? [...new Set(asked)] : scope;
  const qs = new URLSearchParams();
  for (const [k, vs] of Object.entries(params)) for (const v of vs) qs.append(k, v);
  const requestUrl = `${req.baseUrl}/${req.path}${qs.size ? `?${qs}` : ''}`;
  // The members at kick-off are the job's: a later change to the Group does not change a running export.
  const patients = groupLevel ? await groupMembers(req.params.id, (type, id) => store.read(type, id)) : undefined;
  const statusUrl = bulk.start({ ctx, baseUrl: req.baseUrl, requestUrl, types, since, patients });
  return { outcome: accepted(statusUrl), contentLocation: statusUrl };
};

export const exportOperation: OperationRoute = {
  name: 'export',
  definition,
  systemLevel: true,
  typeLevel: ['Patient'],
  affectsState: false,
  scope: 'r',
  handler,
};

/** `Group/[id]/$export`: the Patient-level export restricted to the Group's members (its own OperationDefinition, as in the IG). */
export const groupExportOperation: OperationRoute = {
  name: 'export',
  definition: groupDefinition,
  instanceLevel: ['Group'],
  affectsState: false,
  scope: 'r',
  handler,
};
