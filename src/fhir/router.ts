// Maps (method, path) to an interaction and its handler; unknown routes get an OperationOutcome. https://hl7.org/fhir/R4/http.html
import { badRequest, notFound, OperationOutcomeError } from '@medplum/core';
import { methodNotAllowed } from './outcomes.js';
import type { OperationRegistry, OperationRoute } from './operations.js';
import type { ResourceTypeRegistry } from './resource-types.js';
import { Interaction, type FhirHandler, type FhirRequest, type InteractionCode } from './types.js';

export interface InteractionHandlers {
  read: FhirHandler;
  vread: FhirHandler;
  update: FhirHandler;
  patch: FhirHandler;
  conditionalUpdate: FhirHandler;
  conditionalDelete: FhirHandler;
  delete: FhirHandler;
  historyInstance: FhirHandler;
  historyType: FhirHandler;
  create: FhirHandler;
  searchType: FhirHandler;
  bundle: FhirHandler;
  searchSystem: FhirHandler;
  historySystem: FhirHandler;
  searchCompartment: FhirHandler;
}

export interface RouteMatch {
  interaction: InteractionCode;
  handler: FhirHandler;
  resourceType?: string;
  id?: string;
  operation?: OperationRoute;
  params: Record<string, string>;
}

const ID = /^[A-Za-z0-9\-.]{1,64}$/;

export interface FhirRouter {
  match(req: Pick<FhirRequest, 'method' | 'path'>): RouteMatch;
}

export function createRouter(types: ResourceTypeRegistry, ops: OperationRegistry, h: InteractionHandlers): FhirRouter {
  function requireType(t: string): void {
    if (!types.types().includes(t)) {
      throw new OperationOutcomeError(notFoundText(`Resource type '${t}' is not served by this server`));
    }
  }
  function requireId(id: string): void {
    if (!ID.test(id) || /^\.+$/.test(id)) throw new OperationOutcomeError(badRequest(`Invalid resource id '${id.slice(0, 80)}'`, 'id'));
  }
  function typed(t: string, interaction: InteractionCode, handler: FhirHandler, params: Record<string, string>): RouteMatch {
    requireType(t);
    if (!types.supports(t, interaction)) {
      throw new OperationOutcomeError(methodNotAllowed(`Interaction '${interaction}' is not supported for ${t}`));
    }
    return { interaction, handler, resourceType: t, id: params.id, params: { resourceType: t, ...params } };
  }
  function operation(name: string, level: 'system' | 'type' | 'instance', method: string, t?: string, id?: string): RouteMatch {
    if (t) requireType(t);
    const op = ops.find(name, level, t);
    if (!op) throw new OperationOutcomeError(notFoundText(`Operation '$${name}' is not supported${t ? ` on ${t}` : ''} at ${level} level`));
    if (method === 'GET' && op.affectsState) throw new OperationOutcomeError(methodNotAllowed(`Operation '$${name}' changes state and needs POST`));
    if (method !== 'GET' && method !== 'POST') throw new OperationOutcomeError(methodNotAllowed(`Operations accept GET or POST, not ${method}`));
    const params: Record<string, string> = { operation: name };
    if (t) params.resourceType = t;
    if (id) params.id = id;
    return { interaction: Interaction.Operation, handler: op.handler, resourceType: t, id, operation: op, params };
  }

  return {
    match({ method, path }) {
      const seg = path.split('/').filter((s) => s.length > 0);
      const [a, b, c, d] = seg;
      if (seg.length === 0) {
        if (method === 'POST') return { interaction: Interaction.Transaction, handler: h.bundle, params: {} };
        if (method === 'GET') return { interaction: Interaction.SearchSystem, handler: h.searchSystem, params: {} };
        throw new OperationOutcomeError(methodNotAllowed('The server base accepts GET (search) or POST of a batch or transaction Bundle'));
      }
      if (seg.length === 1 && a === '_search' && method === 'POST') return { interaction: Interaction.SearchSystem, handler: h.searchSystem, params: {} };
      if (seg.length === 1 && a === '_history' && method === 'GET') return { interaction: Interaction.HistorySystem, handler: h.historySystem, params: {} };
      if (a.startsWith('$')) return operation(a.slice(1), 'system', method);
      if (seg.length === 1) {
        if (method === 'GET') return typed(a, Interaction.SearchType, h.searchType, {});
        if (method === 'POST') return typed(a, Interaction.Create, h.create, {});
        // Conditional update and delete: the query string is the criteria (http.html#cond-update, #cdelete).
        if (method === 'PUT') return typed(a, Interaction.Update, h.conditionalUpdate, {});
        if (method === 'DELETE') return typed(a, Interaction.Delete, h.conditionalDelete, {});
        requireType(a);
        throw new OperationOutcomeError(methodNotAllowed(`${method} is not allowed on the ${a} type endpoint`));
      }
      if (seg.length === 2) {
        if (b === '_search' && method === 'POST') return typed(a, Interaction.SearchType, h.searchType, {});
        if (b === '_history' && method === 'GET') return typed(a, Interaction.HistoryType, h.historyType, {});
        if (b.startsWith('$')) return operation(b.slice(1), 'type', method, a);
        requireType(a);
        requireId(b);
        if (method === 'GET') return typed(a, Interaction.Read, h.read, { id: b });
        if (method === 'PUT') return typed(a, Interaction.Update, h.update, { id: b });
        if (method === 'DELETE') return typed(a, Interaction.Delete, h.delete, { id: b });
        if (method === 'PATCH') return typed(a, Interaction.Patch, h.patch, { id: b });
        throw new OperationOutcomeError(methodNotAllowed(`${method} is not allowed on a ${a} instance`));
      }
      requireType(a);
      requireId(b);
      if (seg.length === 3 && c.startsWith('$')) return operation(c.slice(1), 'instance', method, a, b);
      if (seg.length === 3 && a === 'Patient' && method === 'GET' && types.types().includes(c)) {
        return { ...typed(c, Interaction.SearchType, h.searchCompartment, {}), params: { resourceType: c, compartmentId: b } };
      }
      if (seg.length === 3 && c === '_history' && method === 'GET') return typed(a, Interaction.HistoryInstance, h.historyInstance, { id: b });
      if (seg.length === 4 && c === '_history' && method === 'GET') {
        if (!ID.test(d)) throw new OperationOutcomeError(badRequest(`Invalid version id '${d}'`, 'vid'));
        return typed(a, Interaction.Vread, h.vread, { id: b, vid: d });
      }
      throw new OperationOutcomeError(notFoundText(`No FHIR route for ${method} /${path}`));
    },
  };
}

function notFoundText(text: string) {
  return { ...notFound, issue: [{ ...notFound.issue![0], details: { text } }] };
}
