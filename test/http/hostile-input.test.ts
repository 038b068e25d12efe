// SPEC §4 against an attacker's inputs (issue 17): each answers 4xx with an OperationOutcome naming what was wrong, never 500, and stores nothing.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { answerClientErrors } from '../../src/http/client-error.js';
import { backends } from '../support/backends.js';
import { startTestGateway, SystemClaims, type TestGateway } from '../support/test-gateway.js';

const Fixtures = join(import.meta.dirname, '../fixtures/kanta');

type Case = { name: string; method: 'get' | 'post' | 'put'; path: string; body?: unknown; raw?: { type: string; encoding?: string; data: Buffer | string }; text?: RegExp };

const patient = (extra: Record<string, unknown>) => ({ resourceType: 'Patient', ...extra });
const narrative = (div: string) => patient({ text: { status: 'generated', div } });
const tx = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });
const nested = (depth: number): unknown => {
  let v: unknown = { family: 'x' };
  for (let i = 0; i < depth; i++) v = { extension: [{ url: 'http://x', valueString: 'y', extension: [v] }] };
  return v;
};

const cases: Case[] = [
  // prototype-named parameters and elements
  ...['constructor', '__proto__', 'toString', 'hasOwnProperty'].flatMap((n): Case[] => [
    { name: `search parameter ${n}`, method: 'get', path: `/fhir/Patient?${n}=x`, text: new RegExp(n) },
    { name: `_search body parameter ${n}`, method: 'post', path: '/fhir/Patient/_search', raw: { type: 'application/x-www-form-urlencoded', data: `${n}=x` }, text: new RegExp(n) },
    { name: `element named ${n}`, method: 'post', path: '/fhir/Patient', raw: { type: 'application/fhir+json', data: `{"resourceType":"Patient","${n}":{"x":1}}` }, text: new RegExp(n) },
    { name: `element named ${n} in $validate`, method: 'post', path: '/fhir/Patient/$validate', raw: { type: 'application/fhir+json', data: `{"resourceType":"Patient","name":[{"${n}":"x"}]}` }, text: new RegExp(n) },
  ]),
  { name: '_elements naming a prototype member', method: 'get', path: '/fhir/Patient?_elements=__proto__', text: /_elements/ },
  { name: 'a prototype name in _sort', method: 'get', path: '/fhir/Patient?_sort=constructor', text: /constructor/ },
  { name: 'a chained prototype name', method: 'get', path: '/fhir/Encounter?subject.constructor=x', text: /constructor/ },
  // Bundle entries of the wrong shape
  { name: 'a null Bundle entry', method: 'post', path: '/fhir', body: tx([null]), text: /entry/ },
  { name: 'a string Bundle entry', method: 'post', path: '/fhir', body: tx(['Patient']), text: /entry/ },
  { name: 'entry.request.url a number', method: 'post', path: '/fhir', body: tx([{ request: { method: 'POST', url: 5 }, resource: patient({}) }]), text: /request/ },
  { name: 'entry.request.ifMatch an object', method: 'post', path: '/fhir', body: tx([{ request: { method: 'PUT', url: 'Patient/a', ifMatch: {} }, resource: patient({ id: 'a' }) }]), text: /ifMatch/ },
  { name: 'entry.request a string', method: 'post', path: '/fhir', body: tx([{ request: 'POST Patient', resource: patient({}) }]), text: /request/ },
  { name: 'Bundle.entry an object', method: 'post', path: '/fhir', body: { resourceType: 'Bundle', type: 'batch', entry: { a: 1 } }, text: /entry/ },
  { name: 'entry.fullUrl a number', method: 'post', path: '/fhir', body: tx([{ fullUrl: 7, request: { method: 'POST', url: 'Patient' }, resource: patient({}) }]), text: /fullUrl/ },
  { name: 'entry.resource a string', method: 'post', path: '/fhir', body: tx([{ request: { method: 'POST', url: 'Patient' }, resource: 'Patient' }]), text: /resource/ },
  { name: 'a dangling urn:uuid reference', method: 'post', path: '/fhir', body: tx([{ request: { method: 'POST', url: 'Encounter' }, resource: { resourceType: 'Encounter', status: 'finished', class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' }, subject: { reference: 'urn:uuid:11111111-1111-4111-8111-111111111111' } } }]), text: /urn:uuid/ },
  { name: 'a transaction resource nested 10,000 levels', method: 'post', path: '/fhir', raw: { type: 'application/fhir+json', data: `{"resourceType":"Bundle","type":"transaction","entry":[{"request":{"method":"POST","url":"Patient"},"resource":{"resourceType":"Patient","name":[${'{"extension":['.repeat(5000)}${']}'.repeat(5000)}]}}]}` }, text: /deep|depth|nest/i },
  // operation parameters of the wrong type
  { name: '$validate with Parameters.parameter a string', method: 'post', path: '/fhir/Patient/$validate', body: { resourceType: 'Parameters', parameter: 'x' }, text: /parameter/ },
  { name: '$validate with a resource parameter that is a string', method: 'post', path: '/fhir/Patient/$validate', body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: 'Patient' }] }, text: /resource/ },
  { name: '$validate with a profile that is a number', method: 'post', path: '/fhir/Patient/$validate', body: { resourceType: 'Parameters', parameter: [{ name: 'resource', resource: patient({}) }, { name: 'profile', valueUri: 5 }] }, text: /profile/ },
  { name: '$kanta-import with a parameter list of nulls', method: 'post', path: '/fhir/$kanta-import', body: { resourceType: 'Parameters', parameter: [null] }, text: /parameter/ },
  { name: '$kanta-import with data a number', method: 'post', path: '/fhir/$kanta-import', body: { resourceType: 'Parameters', parameter: [{ name: 'source', valueAttachment: { data: 5 } }] }, text: /data/ },
  // _search bodies with objects
  { name: '_search JSON body with an object value', method: 'post', path: '/fhir/Patient/_search', body: { name: { a: 1 } }, text: /name/ },
  { name: '_search JSON body with a nested array', method: 'post', path: '/fhir/Patient/_search', body: { name: [['x']] }, text: /name/ },
  // paths
  { name: 'a malformed percent escape', method: 'get', path: '/fhir/Patient/%ZZ', text: /path|escape|%ZZ/i },
  { name: 'dot segments', method: 'get', path: '/fhir/AuditEvent/../Patient/x', text: /\.\./ },
  { name: 'encoded dot segments', method: 'get', path: '/fhir/AuditEvent/%2e%2e/Patient/x', text: /\.\./ },
  // modifiers
  { name: 'a multi-part modifier', method: 'get', path: '/fhir/Patient?name:exact:contains=x', text: /exact:contains/ },
  // narrative
  { name: 'a narrative with <script>', method: 'post', path: '/fhir/Patient', body: narrative('<div xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script>x</div>'), text: /script|txt-1/ },
  { name: 'a narrative with an event attribute', method: 'post', path: '/fhir/Patient', body: narrative('<div xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">x</p></div>'), text: /onclick|txt-1/ },
  { name: 'a narrative that is not XHTML', method: 'post', path: '/fhir/Patient', body: narrative('<div>unclosed <b>'), text: /div|txt-1|xhtml/i },
  { name: 'an empty narrative', method: 'post', path: '/fhir/Patient', body: narrative('<div xmlns="http://www.w3.org/1999/xhtml">  </div>'), text: /txt-2|content/ },
  // dates
  { name: 'February 30th', method: 'post', path: '/fhir/Patient', body: patient({ birthDate: '2026-02-30' }), text: /birthDate/ },
  { name: 'February 29th of a common year', method: 'post', path: '/fhir/Patient', body: patient({ birthDate: '2025-02-29' }), text: /birthDate/ },
  { name: 'a dateTime with time but no zone', method: 'post', path: '/fhir/Patient', body: patient({ deceasedDateTime: '2024-01-01T10:00:00' }), text: /deceasedDateTime/ },
  { name: 'a search date of February 30th', method: 'get', path: '/fhir/Patient?birthdate=2026-02-30', text: /birthdate/ },
  // references and ids
  { name: 'a path traversal reference', method: 'post', path: '/fhir/Patient', body: patient({ generalPractitioner: [{ reference: 'Patient/../../etc/passwd' }] }), text: /reference/ },
  { name: 'a 65-character id', method: 'put', path: `/fhir/Patient/${'a'.repeat(65)}`, body: patient({ id: 'a'.repeat(65) }), text: /id/ },
  { name: 'a 65-character id in $validate', method: 'post', path: '/fhir/Patient/$validate', body: patient({ id: 'a'.repeat(65) }), text: /Patient\.id/ },
  { name: 'a reference of only dots', method: 'post', path: '/fhir/Patient', body: patient({ generalPractitioner: [{ reference: 'Practitioner/..' }] }), text: /reference/ },
  // characters
  { name: 'a lone surrogate in a string', method: 'post', path: '/fhir/Patient', raw: { type: 'application/fhir+json', data: '{"resourceType":"Patient","name":[{"family":"a\\ud800b"}]}' }, text: /family|character/ },
  { name: 'U+FFFF in a string', method: 'post', path: '/fhir/Patient', body: patient({ name: [{ family: 'a\uffffb' }] }), text: /family|character/ },
  { name: 'NUL in a string', method: 'post', path: '/fhir/Patient', body: patient({ name: [{ family: 'a\u0000b' }] }), text: /family|character/ },
  { name: 'NUL in a search value', method: 'get', path: '/fhir/Patient?family=a%00b', text: /family/ },
  { name: 'U+FFFF in a search value', method: 'get', path: '/fhir/Patient?family=a%EF%BF%BFb', text: /family/ },
  { name: 'a lone surrogate in a _search value', method: 'post', path: '/fhir/Patient/_search', raw: { type: 'application/json', data: '{"family":"a\\ud800b"}' }, text: /family/ },
  { name: 'NUL in a _search value', method: 'post', path: '/fhir/Patient/_search', body: { family: 'a\u0000b' }, text: /family/ },
  { name: 'a prototype name in a Bundle entry url', method: 'post', path: '/fhir', body: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient?constructor=x' } }] }, text: /constructor/ },
  {
    name: '$kanta-import with one good and one bad source',
    method: 'post',
    path: '/fhir/$kanta-import',
    body: {
      resourceType: 'Parameters',
      parameter: [
        { name: 'source', valueAttachment: { title: 'good.json', data: readFileSync(join(Fixtures, 'records-base.json')).toString('base64') } },
        { name: 'source', valueAttachment: { title: 'bad.json', data: readFileSync(join(Fixtures, 'records-bad-hetu.json')).toString('base64') } },
      ],
    },
    text: /bad\.json/,
  },
  // _since, _offset
  ...['2026-02-30', '1', '10000-01-01', '2024-01-01T10:00:00'].map((v): Case => ({ name: `_since=${v}`, method: 'get', path: `/fhir/Patient/_history?_since=${v}`, text: /_since/ })),
  { name: '_offset beyond range', method: 'get', path: '/fhir/Patient?_offset=99999999999999999999', text: /_offset/ },
  { name: '_offset beyond range in history', method: 'get', path: '/fhir/Patient/_history?_offset=99999999999999999999', text: /_offset/ },
  // limits
  { name: '1,100 OR values', method: 'get', path: `/fhir/Patient?family=${Array.from({ length: 1100 }, (_, i) => `f${i}`).join(',')}`, text: /family/ },
  { name: 'a parameter repeated 1,100 times', method: 'get', path: `/fhir/Patient?${Array.from({ length: 1100 }, (_, i) => `family=f${i}`).join('&')}`, text: /family/ },
  { name: 'a 30-deep chain', method: 'get', path: `/fhir/Encounter?${'part-of.'.repeat(30)}status=finished`, text: /chain/ },
  { name: 'a 60-deep _has', method: 'get', path: `/fhir/Patient?${'_has:Encounter:patient:'.repeat(1)}${'_has:Encounter:part-of:'.repeat(59)}status=finished`, text: /_has/ },
  // bodies
  { name: 'garbage gzip', method: 'post', path: '/fhir/Patient', raw: { type: 'application/fhir+json', encoding: 'gzip', data: Buffer.from('not gzip at all') }, text: /gzip|encod|body/i },
  { name: 'garbage br', method: 'post', path: '/fhir/Patient', raw: { type: 'application/fhir+json', encoding: 'br', data: Buffer.from('not brotli at all') }, text: /br|encod|body/i },
];

describe.each(backends())('hostile input (%s)', (backend) => {
  let gw: TestGateway;
  let auth: string;
  const total = async (path: string) => (await request(gw.app).get(path).set('Authorization', auth)).body.total as number;
  const stored = async () => (await total('/fhir/Patient?_summary=count')) + (await total('/fhir/Encounter?_summary=count'));

  beforeAll(async () => {
    gw = await startTestGateway(backend);
    auth = `Bearer ${await gw.token(SystemClaims)}`;
  });
  afterAll(async () => gw?.close());

  test.each(cases.map((c) => [c.name, c] as const))('%s: 4xx OperationOutcome, nothing stored', async (_n, c) => {
    const before = await stored();
    let r = request(gw.app)[c.method](c.path).set('Authorization', auth);
    if (c.raw) {
      r = r.set('Content-Type', c.raw.type);
      if (c.raw.encoding) r = r.set('Content-Encoding', c.raw.encoding);
      r = r.send(c.raw.data);
    } else if (c.body !== undefined) r = r.set('Content-Type', 'application/fhir+json').send(JSON.stringify(c.body));
    const res = await r;
    const okValidate = c.path.includes('$validate') && res.status === 200;
    if (!okValidate) {
      expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(400);
      expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    }
    expect(res.body.resourceType).toBe('OperationOutcome');
    const text = JSON.stringify(res.body.issue);
    if (okValidate) expect(res.body.issue.some((i: { severity: string }) => i.severity === 'error'), text).toBe(true);
    if (c.text) expect(text).toMatch(c.text);
    expect(text).not.toMatch(/Maximum call stack|Cannot (read|convert)|undefined or null|TypeError|SQLITE|syntax error/);
    expect(await stored()).toBe(before);
  });
});

describe('Node refusals before Express (431, 400)', () => {
  let gw: TestGateway;
  let server: Server;
  let port: number;
  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    server = createServer(gw.app);
    answerClientErrors(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await gw?.close();
  });

  const raw = (bytes: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(bytes));
      let out = '';
      socket.on('data', (d) => (out += String(d)));
      socket.on('end', () => resolve(out));
      socket.on('error', reject);
    });

  test('headers over the size limit answer 431 with an OperationOutcome', async () => {
    const res = await raw(`GET /fhir/metadata HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(res).toMatch(/^HTTP\/1\.1 431 /);
    expect(res).toMatch(/Content-Type: application\/fhir\+json/);
    expect(JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4))).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ details: { text: 'The request headers are too large' } }] });
  });

  test('a malformed request line answers 400 with an OperationOutcome', async () => {
    const res = await raw('GARBAGE\r\n\r\n');
    expect(res).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(res.slice(res.indexOf('\r\n\r\n') + 4)).resourceType).toBe('OperationOutcome');
  });
});
