// Issue 17 property test: generated bad input on every write and search route answers 4xx with an OperationOutcome (never 500),
// stores nothing, and leaves an audit chain that verifies; on both stores.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { runAuditVerify } from '../../src/cli/audit-verify.js';
import { DefaultLimits } from '../../src/config.js';
import { backends } from '../support/backends.js';
import { SystemClaims } from '../support/test-gateway.js';
import { startWithRawAccess, type Started } from './audit-support.js';

/** Runs per route class; enough to meet every corruption kind many times while the suite stays quick. */
const Runs = Number(process.env.BAD_INPUT_RUNS ?? 200);
const Fixtures = join(import.meta.dirname, '../fixtures/kanta');

type Json = Record<string, unknown>;

const basePatient = (): Json => ({ resourceType: 'Patient', name: [{ family: 'Testi', given: ['Aino'] }], birthDate: '1980-01-01', gender: 'female' });

const setOwn = (o: Json, k: string, v: unknown): Json => Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true }) as Json;

const protoName = fc.constantFrom(...Object.getOwnPropertyNames(Object.prototype));
const badChar = fc.constantFrom('\u0000', '\u0001', '\u0008', '\u000b', '\u001f', '\ufffe', '\uffff', '\ud800', '\udfff');
const badString = fc.tuple(fc.string({ maxLength: 4 }), badChar, fc.string({ maxLength: 4 })).map(([a, c, b]) => `${a}${c}${b}`);
const daysIn = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const impossibleDay = fc
  .record({ y: fc.integer({ min: 1900, max: 2100 }), m: fc.constantFrom(2, 4, 6, 9, 11) })
  .chain(({ y, m }) => fc.integer({ min: daysIn(y, m) + 1, max: 31 }).map((d) => `${y}-${pad(m)}-${pad(d)}`));
const zonelessTime = fc
  .record({ h: fc.integer({ min: 0, max: 23 }), mi: fc.integer({ min: 0, max: 59 }), s: fc.integer({ min: 0, max: 59 }) })
  .map(({ h, mi, s }) => `2024-05-17T${pad(h)}:${pad(mi)}:${pad(s)}`);
const badReference = fc.oneof(
  fc.stringMatching(/^[a-z]{1,8}$/).map((x) => `Patient/../../${x}`),
  fc.integer({ min: 65, max: 90 }).map((n) => `Organization/${'a'.repeat(n)}`),
  fc.constantFrom('../x', 'Practitioner/a b', 'Patient/1/extra/segments', 'urn:uuid:not-a-uuid', 'http://[bad', 'Patient/..', 'patient/1', 'Patient/'),
);
const badNarrative = fc.oneof(
  fc.constantFrom('script', 'iframe', 'object', 'embed', 'form', 'input', 'style', 'link', 'meta', 'svg').map((e) => `<div xmlns="http://www.w3.org/1999/xhtml"><${e}>x</${e}></div>`),
  fc.constantFrom('onclick', 'onload', 'onerror', 'onmouseover', 'formaction').map((a) => `<div xmlns="http://www.w3.org/1999/xhtml"><p ${a}="x()">x</p></div>`),
  fc.constantFrom('<div>x', '<p>x</p>', 'plain text', '<div xmlns="http://www.w3.org/1999/xhtml"> </div>', '<div xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:x()">x</a></div>'),
);
const wrongJsonType = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.integer(), { minKeys: 1, maxKeys: 2 }), fc.array(fc.integer(), { minLength: 1, maxLength: 2 }));
const tooDeep = fc.integer({ min: DefaultLimits.jsonDepth + 1, max: 200 }).map((depth) => {
  let v: Json = { url: 'http://example.org/x', valueString: 'y' };
  for (let i = 0; i < depth; i++) v = { url: 'http://example.org/x', extension: [v] };
  return v;
});

/** A valid Patient with exactly one thing wrong in it. */
const badPatient: fc.Arbitrary<Json> = fc.oneof(
  fc.tuple(protoName, fc.boolean()).map(([k, inName]) => {
    const p = basePatient();
    setOwn(inName ? ((p.name as Json[])[0] as Json) : p, k, { x: 1 });
    return p;
  }),
  badString.map((s) => ({ ...basePatient(), name: [{ family: s }] })),
  badString.map((s) => ({ ...basePatient(), name: [{ family: 'Testi', given: [s] }] })),
  impossibleDay.map((d) => ({ ...basePatient(), birthDate: d })),
  zonelessTime.map((t) => ({ ...basePatient(), deceasedDateTime: t })),
  impossibleDay.map((d) => ({ ...basePatient(), deceasedDateTime: `${d}T10:00:00Z` })),
  badReference.map((r) => ({ ...basePatient(), generalPractitioner: [{ reference: r }] })),
  badNarrative.map((div) => ({ ...basePatient(), text: { status: 'generated', div } })),
  fc
    .tuple(fc.constantFrom('birthDate', 'name', 'gender', 'active', 'telecom'), wrongJsonType)
    .filter(([k, v]) => !(k === 'active' && typeof v === 'boolean'))
    .map(([k, v]) => ({ ...basePatient(), [k]: v })),
  fc.stringMatching(/^[a-z]{1,10}$/).filter((g) => !['male', 'female', 'other', 'unknown'].includes(g)).map((g) => ({ ...basePatient(), gender: g })),
  tooDeep.map((ext) => ({ ...basePatient(), extension: [ext] })),
);

const goodEntry = { fullUrl: 'urn:uuid:0b3a7c1e-5e2f-4d7a-9b1e-2c7d3e4f5a6b', resource: basePatient(), request: { method: 'POST', url: 'Patient' } };
const badEntryShape = fc.oneof(
  fc.constantFrom(null, 'Patient', 5, true, [] as unknown[]),
  wrongJsonType.map((v) => ({ resource: basePatient(), request: v })),
  fc.tuple(fc.constantFrom('method', 'url', 'ifMatch', 'ifNoneExist'), fc.oneof(fc.integer(), fc.boolean(), fc.constant({}), fc.constant([]))).map(([k, v]) => ({
    resource: basePatient(),
    request: { method: 'POST', url: 'Patient', [k]: v },
  })),
  fc.constantFrom({ request: { method: 'PATCHY', url: 'Patient' } }, { resource: 'Patient', request: { method: 'POST', url: 'Patient' } }, { fullUrl: 7, request: { method: 'POST', url: 'Patient' } }),
);
const badTransaction = fc.oneof(
  fc.tuple(badEntryShape, fc.boolean(), fc.constantFrom('transaction', 'batch')).map(([bad, first, type]) => ({ resourceType: 'Bundle', type, entry: first ? [bad, goodEntry] : [goodEntry, bad] })),
  fc.tuple(badPatient, fc.boolean()).map(([p, first]) => {
    const bad = { resource: p, request: { method: 'POST', url: 'Patient' } };
    return { resourceType: 'Bundle', type: 'transaction', entry: first ? [bad, goodEntry] : [goodEntry, bad] };
  }),
  fc.constantFrom(
    { resourceType: 'Bundle', type: 'transaction', entry: { a: 1 } },
    { resourceType: 'Bundle', type: 'collection', entry: [goodEntry] },
    { resourceType: 'Bundle', type: 'transaction', entry: [goodEntry, { request: { method: 'POST', url: 'Encounter' }, resource: { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } } }] },
  ),
);

const source = (file: string) => ({ name: 'source', valueAttachment: { title: file, data: readFileSync(join(Fixtures, file)).toString('base64') } });
const badOperation: fc.Arbitrary<{ path: string; body: unknown }> = fc.oneof(
  fc.tuple(fc.constantFrom('Patient/$validate', '$kanta-import'), fc.oneof(wrongJsonType, fc.constant('x'))).map(([path, v]) => ({ path, body: { resourceType: 'Parameters', parameter: v } })),
  wrongJsonType.map((v) => ({ path: 'Patient/$validate', body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: v }] } })),
  wrongJsonType.map((v) => ({ path: 'Patient/$validate', body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: basePatient() }, { name: 'profile', valueUri: v }] } })),
  wrongJsonType.map((v) => ({ path: '$kanta-import', body: { resourceType: 'Parameters', parameter: [{ name: 'source', valueAttachment: { data: v } }] } })),
  fc.constantFrom('records-bad-hetu.json', 'records-unknown-reference.json', 'malformed.xml', 'bad-hetu.xml', 'missing-patient.xml').map((bad) => ({
    path: '$kanta-import',
    body: { resourceType: 'Parameters', parameter: [source('records-base.json'), source(bad)] },
  })),
);

const enc = encodeURIComponent;
const badSearch: fc.Arbitrary<{ type: string; params: Array<[string, string]> }> = fc.oneof(
  protoName.map((n) => ({ type: 'Patient', params: [[n, 'x']] as Array<[string, string]> })),
  fc.tuple(fc.constantFrom('exact', 'contains', 'missing', 'not', 'text'), fc.constantFrom('exact', 'contains', 'missing', 'not', 'text')).map(([a, b]) => ({ type: 'Patient', params: [[`name:${a}:${b}`, 'x']] as Array<[string, string]> })),
  badString.map((s) => ({ type: 'Patient', params: [['family', s]] as Array<[string, string]> })),
  fc.integer({ min: DefaultLimits.orValues + 1, max: DefaultLimits.orValues + 60 }).map((n) => ({ type: 'Patient', params: [['family', Array.from({ length: n }, (_, i) => `f${i}`).join(',')]] as Array<[string, string]> })),
  fc.integer({ min: DefaultLimits.paramRepeat + 1, max: DefaultLimits.paramRepeat + 30 }).map((n) => ({ type: 'Patient', params: Array.from({ length: n }, (_, i) => ['family', `f${i}`] as [string, string]) })),
  fc.integer({ min: DefaultLimits.chainDepth + 1, max: 30 }).map((n) => ({ type: 'Encounter', params: [[`${'part-of.'.repeat(n)}status`, 'finished']] as Array<[string, string]> })),
  fc.integer({ min: DefaultLimits.hasDepth, max: 60 }).map((n) => ({ type: 'Patient', params: [[`_has:Encounter:patient:${'_has:Encounter:part-of:'.repeat(n)}status`, 'finished']] as Array<[string, string]> })),
  fc.oneof(impossibleDay, fc.constantFrom('2024-13-01', 'yesterday', '20240101', '2024-1-1')).map((d) => ({ type: 'Patient', params: [['birthdate', d]] as Array<[string, string]> })),
  fc.oneof(fc.bigInt({ min: BigInt(DefaultLimits.maxOffset + 1), max: 10n ** 25n }).map(String), fc.constantFrom('-1', 'x', '1e5', '')).map((o) => ({ type: 'Patient', params: [['_offset', o || ' ']] as Array<[string, string]> })),
  fc.constantFrom('-1', 'abc', '1.5', '99999999999').map((c) => ({ type: 'Observation', params: [['_count', c]] as Array<[string, string]> })),
  fc.constantFrom('nonsense', '-whatever', 'name:exact').map((s) => ({ type: 'Patient', params: [['_sort', s]] as Array<[string, string]> })),
);

const badHistory = fc.oneof(
  fc.oneof(impossibleDay, zonelessTime, fc.stringMatching(/^\d{1,6}$/), fc.constantFrom('10000-01-01', 'now', '2024-02-30T00:00:00Z', '2024-01-01T25:00:00Z')).map((v) => `_since=${enc(v)}`),
  fc.bigInt({ min: BigInt(DefaultLimits.maxOffset + 1), max: 10n ** 25n }).map((o) => `_offset=${o}`),
  protoName.map((n) => `${n}=1`),
);

describe.each(backends())('generated bad input on every write and search route (%s)', (backend) => {
  let s: Started;
  let auth: string;
  let patientId: string;
  const stored = async (): Promise<number> => {
    const [{ n }] = await s.raw.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM resource_version v JOIN resource r ON r.rid = v.rid WHERE r.resource_type <> 'AuditEvent'`).catch(
      async () => s.raw.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM resource WHERE resource_type <> 'AuditEvent'`),
    );
    return Number(n);
  };

  /** Every answer to bad input: 4xx, an OperationOutcome with an error, no internals, and the store unchanged. */
  async function expectRefused(send: () => request.Test, allowValidateReport = false): Promise<void> {
    const before = await stored();
    const res = await send();
    const body = JSON.stringify(res.body);
    if (allowValidateReport && res.status === 200) {
      expect(res.body.issue?.some((i: { severity: string }) => i.severity === 'error'), body).toBe(true);
    } else {
      expect(res.status, body).toBeGreaterThanOrEqual(400);
      expect(res.status, body).toBeLessThan(500);
    }
    expect(res.body.resourceType, body).toBe('OperationOutcome');
    expect(body).not.toMatch(/Maximum call stack|Cannot (read|convert)|undefined or null|TypeError|SQLITE|syntax error|Internal server error/);
    expect(await stored()).toBe(before);
  }

  beforeAll(async () => {
    s = await startWithRawAccess(backend);
    auth = `Bearer ${await s.gateway.devIssuer!.mint(SystemClaims)}`;
    const p = await request(s.gateway.app).post('/fhir/Patient').set('Authorization', auth).send(basePatient()).expect(201);
    patientId = p.body.id;
  }, 60_000);
  afterAll(async () => s?.close());

  const app = () => request(s.gateway.app);
  const json = (t: request.Test, body: unknown) => t.set('Authorization', auth).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));

  test('create and update (POST/PUT of a resource with one thing wrong)', async () => {
    await fc.assert(
      fc.asyncProperty(badPatient, fc.boolean(), async (p, put) => {
        await expectRefused(() => (put ? json(app().put(`/fhir/Patient/${patientId}`), { ...p, id: patientId }) : json(app().post('/fhir/Patient'), p)));
      }),
      { numRuns: Runs },
    );
  }, 300_000);

  test('$validate reports the same resources as errors', async () => {
    await fc.assert(
      fc.asyncProperty(badPatient, async (p) => {
        await expectRefused(() => json(app().post('/fhir/Patient/$validate'), p), true);
      }),
      { numRuns: Math.ceil(Runs / 2) },
    );
  }, 300_000);

  test('batch and transaction Bundles with a bad entry', async () => {
    await fc.assert(
      fc.asyncProperty(badTransaction, async (b) => {
        await expectRefused(() => json(app().post('/fhir'), b));
      }),
      { numRuns: Runs },
    );
  }, 300_000);

  test('operations with wrongly typed parameters ($validate, $kanta-import)', async () => {
    await fc.assert(
      fc.asyncProperty(badOperation, async ({ path, body }) => {
        await expectRefused(() => json(app().post(`/fhir/${path}`), body));
      }),
      { numRuns: Math.ceil(Runs / 2) },
    );
  }, 300_000);

  test('search by GET, POST form and POST JSON (_search)', async () => {
    await fc.assert(
      fc.asyncProperty(badSearch, fc.constantFrom('get', 'form', 'json'), async ({ type, params }, asked) => {
        // An unpaired surrogate has no UTF-8 form, so it cannot travel in a URL or form: JSON carries it.
        const how = params.some(([k, v]) => /\p{Cs}/u.test(k + v)) ? 'json' : asked;
        const qs = how === 'json' ? '' : params.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
        await expectRefused(() => {
          if (how === 'get') return app().get(`/fhir/${type}?${qs}`).set('Authorization', auth);
          if (how === 'form') return app().post(`/fhir/${type}/_search`).set('Authorization', auth).set('Content-Type', 'application/x-www-form-urlencoded').send(qs);
          const body: Record<string, string[]> = {};
          for (const [k, v] of params) (Object.prototype.hasOwnProperty.call(body, k) ? body[k] : setOwn(body, k, [])[k] as string[]).push(v);
          return app().post(`/fhir/${type}/_search`).set('Authorization', auth).set('Content-Type', 'application/json').send(JSON.stringify(body));
        });
      }),
      { numRuns: Runs },
    );
  }, 300_000);

  test('history with bad _since, _offset or parameter names', async () => {
    await fc.assert(
      fc.asyncProperty(badHistory, fc.boolean(), async (qs, instance) => {
        await expectRefused(() => app().get(`/fhir/Patient/${instance ? `${patientId}/` : ''}_history?${qs}`).set('Authorization', auth));
      }),
      { numRuns: Math.ceil(Runs / 2) },
    );
  }, 300_000);

  test('A3: after all of it the audit chain verifies', async () => {
    const lines: string[] = [];
    expect(await runAuditVerify(s.env, (l) => lines.push(l))).toBe(0);
    expect(lines.join('\n')).toMatch(/Audit chain intact/);
  }, 120_000);
});
