// FHIR batch and transaction interactions: transaction is all-or-nothing, batch entries stand alone. https://hl7.org/fhir/R4/http.html#transaction
import { allOk, badRequest, multipleMatches, OperationOutcomeError } from '@medplum/core';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import { statusOf, toOutcome } from '../outcomes.js';
import { isPrototypeName } from '../safe-input.js';
import { requireReferencesResolve } from './references.js';
import { conditionalMatches, criteriaOf } from './conditional.js';
import type { ResourceStore } from '../../store/resource-store.js';
import type { FhirHandler, FhirRequest, FhirResponse } from '../types.js';

/** Entry methods served in batches and transactions (declared in the CapabilityStatement from here). */
export const EntryMethods = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const Methods = EntryMethods;
type EntryMethod = (typeof Methods)[number];
/** Processing order the spec prescribes for transactions (PATCH with PUT: both change existing resources). */
const TransactionOrder: Record<EntryMethod, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3 };

function requireBundle(body: unknown): Bundle {
  const b = body as Bundle | undefined;
  if (!b || typeof b !== 'object' || b.resourceType !== 'Bundle') {
    throw new OperationOutcomeError(badRequest('POST to the server base needs a Bundle', 'resourceType'));
  }
  if (b.type !== 'batch' && b.type !== 'transaction') {
    throw new OperationOutcomeError(badRequest(`Bundle.type must be batch or transaction, not '${String(b.type).slice(0, 40)}'`, 'Bundle.type'));
  }
  if (b.entry !== undefined && !Array.isArray(b.entry)) throw new OperationOutcomeError(badRequest('Bundle.entry must be an array', 'Bundle.entry'));
  (b.entry ?? []).forEach(requireEntryShape);
  return b;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every entry is an object whose request fields are strings, before anything reads them. */
function requireEntryShape(entry: unknown, i: number): void {
  const at = `Bundle.entry[${i}]`;
  const fail = (text: string, path: string): never => {
    throw new OperationOutcomeError(badRequest(`${at}: ${text}`, `${at}${path}`));
  };
  if (!isObject(entry)) fail(`an entry must be an object, not ${entry === null ? 'null' : Array.isArray(entry) ? 'an array' : typeof entry}`, '');
  const e = entry as Record<string, unknown>;
  if (e.fullUrl !== undefined && typeof e.fullUrl !== 'string') fail('fullUrl must be a string', '.fullUrl');
  if (e.resource !== undefined && !isObject(e.resource)) fail('resource must be a JSON object', '.resource');
  if (!isObject(e.request)) fail('request must be an object with method and url', '.request');
  const r = e.request as Record<string, unknown>;
  for (const k of ['method', 'url', 'ifMatch', 'ifNoneMatch', 'ifNoneExist', 'ifModifiedSince']) {
    if (r[k] !== undefined && typeof r[k] !== 'string') fail(`request.${k} must be a string`, `.request.${k}`);
  }
}

function entryRequest(parent: FhirRequest, entry: BundleEntry, index: number): FhirRequest {
  const method = entry.request?.method as EntryMethod | undefined;
  const url = entry.request?.url;
  if (!method || !Methods.includes(method) || !url) {
    throw new OperationOutcomeError(badRequest(`Bundle entry ${index} needs request.method (GET, POST, PUT, PATCH, DELETE) and request.url`, `Bundle.entry[${index}].request`));
  }
  const relative = url.startsWith(parent.baseUrl) ? url.slice(parent.baseUrl.length) : url;
  const [path, qs = ''] = relative.replace(/^\//, '').split('?');
  const query: Record<string, string[]> = {};
  for (const [k, v] of new URLSearchParams(qs)) {
    if (isPrototypeName(k)) throw new OperationOutcomeError(badRequest(`Bundle entry ${index}: '${k}' is not a valid parameter name`, `Bundle.entry[${index}].request.url`));
    (query[k] ??= []).push(v);
  }
  return {
    method,
    path,
    params: {},
    query,
    body: entry.resource,
    headers: { ifMatch: entry.request?.ifMatch, ifNoneExist: entry.request?.ifNoneExist, ifNoneMatch: entry.request?.ifNoneMatch, prefer: parent.headers.prefer, acceptLanguage: parent.headers.acceptLanguage },
    baseUrl: parent.baseUrl,
  };
}

/** Rewrites every reference to a urn:uuid fullUrl into the Type/id reserved for it. */
function rewriteReferences(value: unknown, ids: Map<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteReferences(v, ids));
  if (value && typeof value === 'object') {
    // fromEntries defines own properties: an element named __proto__ stays an element (and is refused), not a prototype.
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, k === 'reference' && typeof v === 'string' && ids.has(v) ? ids.get(v) : rewriteReferences(v, ids)]),
    );
  }
  return value;
}

function responseEntry(res: FhirResponse, baseUrl: string): BundleEntry {
  const status = statusOf(res.outcome);
  // A 304 names the version (etag) but carries no body.
  const r = status === 304 ? undefined : res.resource;
  return {
    ...(r?.id && r.resourceType !== 'OperationOutcome' ? { fullUrl: `${baseUrl}/${r.resourceType}/${r.id}` } : undefined),
    ...(r ? { resource: r } : undefined),
    response: {
      status: String(status),
      ...(res.location ? { location: res.location } : undefined),
      ...(res.resource?.meta?.versionId && res.resource.resourceType !== 'Bundle' ? { etag: `W/"${res.resource.meta.versionId}"`, lastModified: res.resource.meta.lastUpdated } : undefined),
      ...(!r || status >= 400 ? { outcome: res.outcome } : undefined),
    },
  };
}

/** Every `reference` of the form `Type?criteria` in a value (conditional references, resolved before a transaction runs). */
function conditionalReferences(value: unknown, out: Set<string>): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => conditionalReferences(v, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'reference' && typeof v === 'string' && /^[A-Z][A-Za-z]+\?./.test(v)) out.add(v);
      else conditionalReferences(v, out);
    }
  }
  return out;
}

const atEntry = (err: unknown, i: number): never => {
  const outcome = toOutcome(err);
  throw new OperationOutcomeError({ ...outcome, issue: (outcome.issue ?? []).map((x) => ({ ...x, expression: [`Bundle.entry[${i}]`, ...(x.expression ?? [])] })) });
};

/** The one resource conditional criteria name (none or several fail the transaction), matched like any conditional interaction. */
async function resolveOne(store: ResourceStore, services: Parameters<FhirHandler>[1]['services'], reference: string, i: number): Promise<string> {
  const type = reference.slice(0, reference.indexOf('?'));
  const matches = await conditionalMatches(store, services, type, criteriaOf(reference), 'reference').catch((err: unknown) => atEntry(err, i));
  if (matches.length > 1) atEntry(new OperationOutcomeError(multipleMatches), i);
  if (matches.length === 0) atEntry(new OperationOutcomeError(badRequest(`Conditional reference '${reference}' matches no resource`)), i);
  return `${type}/${matches[0].id}`;
}

export const bundle: FhirHandler = async (req, { store, services }) => {
  const b = requireBundle(req.body);
  const entries = b.entry ?? [];
  const isTransaction = b.type === 'transaction';
  const ids = new Map<string, string>();
  const assigned: (string | undefined)[] = new Array(entries.length);
  for (const [i, e] of entries.entries()) {
    if (!(isTransaction && e.request?.method === 'POST' && e.fullUrl?.startsWith('urn:uuid:') && e.resource?.resourceType)) continue;
    if (e.request.ifNoneExist) {
      // A conditional create that finds its resource links the entry's urn:uuid to it instead of a new id.
      const type = e.resource.resourceType;
      const matches = await conditionalMatches(store, services, type, criteriaOf(e.request.ifNoneExist), 'create (If-None-Exist)').catch((err: unknown) => atEntry(err, i));
      if (matches.length > 1) atEntry(new OperationOutcomeError(multipleMatches), i);
      if (matches.length === 1) {
        ids.set(e.fullUrl, `${type}/${matches[0].id}`);
        continue;
      }
    }
    const id = randomUUID();
    ids.set(e.fullUrl, `${e.resource.resourceType}/${id}`);
    assigned[i] = id;
  }
  if (isTransaction) {
    for (const [i, e] of entries.entries()) {
      for (const ref of conditionalReferences(e.resource, new Set())) if (!ids.has(ref)) ids.set(ref, await resolveOne(store, services, ref, i));
    }
  }
  const requests = entries.map((e, i) => {
    const r = entryRequest(req, isTransaction ? { ...e, resource: rewriteReferences(e.resource, ids) as Resource } : e, i);
    if (assigned[i]) r.params.assignedId = assigned[i]!;
    if (isTransaction) r.params.deferReferenceCheck = '1';
    return r;
  });

  const responses: BundleEntry[] = new Array(entries.length);
  if (isTransaction) {
    const order = requests.map((_, i) => i).sort((x, y) => TransactionOrder[requests[x].method as EntryMethod] - TransactionOrder[requests[y].method as EntryMethod] || x - y);
    // The pipeline runs the whole request in one database transaction: a throw here rolls every entry back.
    for (const i of order) {
      const res = await services.dispatch(requests[i], store).catch((err: unknown) => ({ outcome: toOutcome(err) }) as FhirResponse);
      if (statusOf(res.outcome) >= 400) {
        const issue = (res.outcome.issue ?? []).map((x) => ({ ...x, expression: [`Bundle.entry[${i}]`, ...(x.expression ?? [])] }));
        throw new OperationOutcomeError({ ...res.outcome, issue });
      }
      responses[i] = responseEntry(res, req.baseUrl);
    }
    for (const [i, entry] of responses.entries()) {
      const written = entry.resource;
      const method = requests[i].method;
      const isWrite = (method === 'POST' && entry.response?.status === '201') || ((method === 'PUT' || method === 'PATCH') && entry.response?.status === '200');
      if (written && isWrite) {
        await requireReferencesResolve(store, written).catch((err: unknown) => {
          const outcome = toOutcome(err);
          throw new OperationOutcomeError({ ...outcome, issue: (outcome.issue ?? []).map((x) => ({ ...x, expression: [`Bundle.entry[${i}]`, ...(x.expression ?? [])] })) });
        });
      }
    }
  } else {
    for (let i = 0; i < requests.length; i++) {
      // Each batch entry commits or rolls back alone (a savepoint inside the request transaction).
      const res = await store
        .transaction((tx) => services.dispatch(requests[i], tx))
        .catch((err: unknown) => ({ outcome: toOutcome(err) }) as FhirResponse);
      responses[i] = responseEntry(res, req.baseUrl);
    }
  }
  return {
    outcome: allOk,
    resource: { resourceType: 'Bundle', type: isTransaction ? 'transaction-response' : 'batch-response', entry: responses },
  };
};
