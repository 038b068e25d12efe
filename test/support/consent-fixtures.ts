// HTTP fixtures for the disclosure tests: seeds a Kanta-shaped world through a transaction Bundle and calls the gateway as personas.
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { expect } from 'vitest';
import type { AuditEvent, Bundle, BundleEntry, OperationOutcome, Patient, Resource } from '@medplum/fhirtypes';
import type { Principal, RequestContext } from '../../src/context.js';
import { Oid } from '../../src/kanta/codes.js';
import { hetuCheckCharacter } from '../../src/validation/hetu.js';
import { SystemClaims, type TestGateway } from './test-gateway.js';

/** Builders shared with the store-level tests; guardianOf is a guardian's RelatedPerson (GUARD) carrying the HETU their tokens name as subject. */
export { guardianLink as guardianOf, mandateLink as proxyOf, healthMarks, Org, organizations, socialMarks } from '../consent/world.js';

/** YYYY-MM-DD `years` years and `days` days before today (ages must hold whenever the suite runs). */
export function ago(years: number, days = 0): string {
  const d = new Date();
  d.setUTCFullYear(d.getUTCFullYear() - years);
  d.setUTCDate(d.getUTCDate() - days);
  return d.toISOString().slice(0, 10);
}

/** A well-formed HETU (test individual numbers 900-999) for a birth date. */
export function hetu(birthDate: string, n = 900): string {
  const [y, m, d] = birthDate.split('-');
  const sign = Number(y) >= 2000 ? 'A' : '-';
  const individual = String(n).padStart(3, '0');
  const ddmmyy = `${d}${m}${y.slice(2)}`;
  return `${ddmmyy}${sign}${individual}${hetuCheckCharacter(ddmmyy, individual)}`;
}

let hetuSeq = 900;
/** A Patient whose HETU passes the gateway's validation. */
export function patientOf(id: string, birthDate = '1980-01-01', hetuValue?: string): Resource {
  return { resourceType: 'Patient', id, birthDate, identifier: [{ system: Oid.Hetu, value: hetuValue ?? hetu(birthDate, 900 + (hetuSeq++ % 99)) }] } as Resource;
}

/** What a seeded world looks like from the test: local names <-> server ids, and the world as stored (for the oracle). */
export interface SeededWorld {
  /** Server id of a local `Type/name`. */
  id(ref: string): string;
  /** Server reference (`Type/serverId`) of a local `Type/name`. */
  ref(ref: string): string;
  /** Local name of a server id of `type`, or undefined when the resource is not part of this world (or its base). */
  name(type: string, serverId: string): string | undefined;
  /** The seeded resources (and those of the base world) with server ids and references, as the oracle needs them. */
  world: Resource[];
  /** Local `Type/name` -> server `Type/id`. */
  refs: ReadonlyMap<string, string>;
}

function rewriteRefs(value: unknown, map: ReadonlyMap<string, string>): unknown {
  if (Array.isArray(value)) return value.map((v) => rewriteRefs(v, map));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = k === 'reference' && typeof v === 'string' && map.has(v) ? map.get(v) : rewriteRefs(v, map);
    return out;
  }
  return value;
}

/**
 * Seeds `resources` (local ids, local references) with the archive operator's token as ONE transaction Bundle of
 * POST entries with urn:uuid fullUrls; the gateway assigns ids and rewrites the references. References to
 * resources of `base` (seeded earlier, e.g. the organisations) point at their server ids.
 */
export async function seedWorld(gw: TestGateway, resources: Resource[], base?: SeededWorld): Promise<SeededWorld> {
  const auth = `Bearer ${await gw.token(SystemClaims)}`;
  const map = new Map<string, string>(base?.refs ?? []);
  for (const r of resources) map.set(`${r.resourceType}/${r.id}`, `urn:uuid:${randomUUID()}`);
  const entry: BundleEntry[] = resources.map((r) => {
    const { id: _id, ...rest } = rewriteRefs(r, map) as Resource;
    return { fullUrl: map.get(`${r.resourceType}/${r.id}`), resource: rest as Resource, request: { method: 'POST', url: r.resourceType } };
  });
  const res = await request(gw.app).post('/fhir').set('Authorization', auth).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Bundle', type: 'transaction', entry });
  expect(res.status, JSON.stringify(res.body).slice(0, 2000)).toBe(200);
  const answer = res.body as Bundle;
  const refs = new Map<string, string>(base?.refs ?? []);
  const toLocal = new Map<string, string>();
  for (const [local, server] of base?.refs ?? []) toLocal.set(server, local.split('/')[1]);
  resources.forEach((r, i) => {
    const sid = answer.entry?.[i]?.resource?.id as string;
    refs.set(`${r.resourceType}/${r.id}`, `${r.resourceType}/${sid}`);
    toLocal.set(`${r.resourceType}/${sid}`, r.id as string);
  });
  const world = [
    ...(base?.world ?? []),
    ...resources.map((r) => ({ ...(rewriteRefs(r, refs) as Resource), id: refs.get(`${r.resourceType}/${r.id}`)!.split('/')[1] })),
  ];
  const ref = (local: string): string => {
    const server = refs.get(local);
    if (!server) throw new Error(`not seeded: ${local}`);
    return server;
  };
  return { ref, id: (local) => ref(local).split('/')[1], name: (type, sid) => toLocal.get(`${type}/${sid}`), world, refs };
}

/** Token claims of a caller in the shape the oracle's RequestContext uses. */
export type Caller = Partial<Principal> & Pick<Principal, 'kind'>;

/** S1: a citizen with no subject given acts as the person of the Patient they act for (that Patient's HETU). */
function subjectOf(c: Caller, world?: SeededWorld): string {
  if (c.subject || c.kind !== 'citizen' || !c.patient || !world) return c.subject ?? 'x';
  const me = world.world.find((r) => r.resourceType === 'Patient' && r.id === world.id(`Patient/${c.patient}`)) as Patient | undefined;
  return me?.identifier?.find((i) => i.system === Oid.Hetu)?.value ?? c.subject ?? 'x';
}

/** The SMART scopes a caller's token carries: its own, or ones wide enough that only consent decides. */
export function scopesOf(c: Caller): string[] {
  if (c.scopes?.length) return c.scopes;
  const scopeCtx = c.kind === 'professional' ? 'user' : c.kind === 'system' ? 'system' : 'patient';
  return [`${scopeCtx}/*.cruds`];
}

/** Dev-issuer claims for a caller. */
export function claimsOf(c: Caller, world?: SeededWorld): Record<string, unknown> {
  const claims: Record<string, unknown> = { sub: subjectOf(c, world), kanta_role: c.kind, scope: scopesOf(c).join(' ') };
  if (c.patient) claims.patient = world ? world.id(`Patient/${c.patient}`) : c.patient;
  if (c.organization) claims.organization = c.organization;
  if (c.unit) claims.unit = c.unit;
  if (c.sector) claims.sector = c.sector;
  if (c.purposeOfUse) claims.purpose_of_use = c.purposeOfUse;
  if (c.relationship) claims.care_relationship = c.relationship;
  if (c.legalBasis) claims.legal_basis = c.legalBasis;
  if (c.pharmacy !== undefined) claims.pharmacy = c.pharmacy;
  if (c.mandates?.length) claims.mandates = c.mandates;
  if (c.clientId) claims.client_id = c.clientId;
  return claims;
}

/** The oracle's view of the same caller (server patient id, evaluated now). */
export function contextOf(c: Caller, world: SeededWorld, now = new Date()): RequestContext {
  return {
    principal: { ...c, scopes: scopesOf(c), subject: subjectOf(c, world), ...(c.patient ? { patient: world.id(`Patient/${c.patient}`) } : {}) },
    requestId: 'oracle',
    now,
    language: 'en',
  };
}

export const professional = (organization: string, sector: 'health' | 'social', extra: Partial<Principal> = {}): Caller => ({
  kind: 'professional',
  subject: '010180-901T',
  organization,
  sector,
  patient: 'p1',
  relationship: 'hoitosuhde',
  purposeOfUse: 'TREAT',
  ...extra,
});

/** A small client bound to one gateway and one seeded world. */
export interface Client {
  auth(c: Caller): Promise<string>;
  get(path: string, c: Caller, headers?: Record<string, string>): Promise<request.Response>;
  post(path: string, c: Caller, body: unknown, headers?: Record<string, string>): Promise<request.Response>;
  put(path: string, c: Caller, body: unknown, headers?: Record<string, string>): Promise<request.Response>;
  del(path: string, c: Caller): Promise<request.Response>;
  /** Local names of this world's `type` resources a search returns (one page of up to 1000). */
  seen(c: Caller, type: string, query?: string): Promise<string[]>;
  operator(): Promise<string>;
}

export function clientFor(gw: TestGateway, w: () => SeededWorld): Client {
  const auth = async (c: Caller) => `Bearer ${await gw.token(claimsOf(c, w()))}`;
  const withHeaders = (r: request.Test, h: Record<string, string> = {}) => {
    for (const [k, v] of Object.entries(h)) r.set(k, v);
    return r;
  };
  return {
    auth,
    operator: async () => `Bearer ${await gw.token(SystemClaims)}`,
    get: async (path, c, h) => withHeaders(request(gw.app).get(path).set('Authorization', await auth(c)), h),
    post: async (path, c, body, h) => withHeaders(request(gw.app).post(path).set('Authorization', await auth(c)).set('Content-Type', 'application/fhir+json'), h).send(body as object),
    put: async (path, c, body, h) => withHeaders(request(gw.app).put(path).set('Authorization', await auth(c)).set('Content-Type', 'application/fhir+json'), h).send(body as object),
    del: async (path, c) => request(gw.app).delete(path).set('Authorization', await auth(c)),
    async seen(c, type, query = '') {
      const res = await request(gw.app)
        .get(`/fhir/${type}?_count=1000${query ? `&${query}` : ''}`)
        .set('Authorization', await auth(c));
      expect(res.status, JSON.stringify(res.body).slice(0, 1000)).toBe(200);
      const b = res.body as Bundle;
      const matches = (b.entry ?? []).filter((e) => e.search?.mode !== 'include' && e.resource?.resourceType === type);
      expect(b.total).toBe(matches.length);
      // Several worlds share one gateway: D1 shows the caller's register of every world, so keep this world's.
      return matches
        .map((e) => w().name(type, e.resource!.id!))
        .filter((n): n is string => n !== undefined)
        .sort();
    },
  };
}

/** The first issue's text of an OperationOutcome answer. */
export function issueText(body: unknown): string | undefined {
  const oo = body as OperationOutcome;
  expect(oo.resourceType).toBe('OperationOutcome');
  return oo.issue?.[0]?.details?.text;
}

/** The AuditEvents the gateway wrote for one request (found by its X-Request-Id), read with the operator token. */
export async function auditOf(gw: TestGateway, requestId: string): Promise<AuditEvent[]> {
  const res = await request(gw.app)
    .get('/fhir/AuditEvent?_count=1000&_sort=-date')
    .set('Authorization', `Bearer ${await gw.token(SystemClaims)}`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? [])
    .map((e) => e.resource as AuditEvent)
    .filter((ev) => (ev.entity ?? []).some((en) => en.what?.identifier?.value === requestId));
}

/** References of the withheld entities (D11 refusals) in AuditEvents. */
export const withheldIn = (events: AuditEvent[]): string[] =>
  events.flatMap((ev) => (ev.entity ?? []).filter((en) => en.type?.code === 'withheld').map((en) => en.what?.reference as string));
