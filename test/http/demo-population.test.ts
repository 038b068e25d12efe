// The demo population shows the rules: personas' views differ, dates span years, a child visit predates 2016-08-01, seeded professional accesses reach the citizen's log (A4), HETUs agree with gender.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { seedDemoAccesses } from '../../src/demo/seed-demo-accesses.js';
import { backends } from '../support/backends.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

type Bundle = { entry?: Array<{ resource: Record<string, any>; search?: { mode?: string } }> };

// DVV's rule, written here apart from src/validation/hetu.ts so that one mistake cannot pass both: the nine digits of
// birth date (DDMMYY) and individual number (NNN) divided by 31 leave a remainder that indexes 0123456789ABCDEFHJKLMNPRSTUVWXY
// (G, I, O, Q, Z left out); the individual number is odd for men and even for women.
const CheckCharacters = '0123456789ABCDEFHJKLMNPRSTUVWXY';
const Century: Record<string, string> = { '+': '18', '-': '19', U: '19', V: '19', W: '19', X: '19', Y: '19', A: '20', B: '20', C: '20', D: '20', E: '20', F: '20' };
function readHetu(hetu: string): { valid: boolean; gender: 'male' | 'female'; birthDate: string } | undefined {
  const m = /^(\d\d)(\d\d)(\d\d)([-+A-FU-Y])(\d{3})([0-9A-Y])$/.exec(hetu);
  if (!m) return undefined;
  const [, dd, mm, yy, sign, nnn, check] = m;
  return { valid: CheckCharacters[Number(`${dd}${mm}${yy}${nnn}`) % 31] === check, gender: Number(nnn) % 2 === 1 ? 'male' : 'female', birthDate: `${Century[sign]}${yy}-${mm}-${dd}` };
}
/** The demo people's given names, by the gender those Finnish names are given to. */
const GenderOfName: Record<string, 'male' | 'female'> = {
  Maija: 'female', Aino: 'female', Eino: 'male', Elsa: 'female', Matti: 'male', Kalle: 'male',
  Laura: 'female', Hanna: 'female', Pekka: 'male', Sari: 'female', Paula: 'female', Sanna: 'female', Vilho: 'male',
};
const givenOf = (name: string) => name.replace(/^Dr\.\s+/, '').split(/\s+/)[0];

describe.each(backends())('demo population (%s)', (backend) => {
  let gw: TestGateway;
  let server: Server;
  let origin: string;

  beforeAll(async () => {
    gw = await startTestGateway(backend, { DEMO_DATA: '1' });
    server = gw.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await gw?.close();
  });

  async function search(persona: string, query: string): Promise<Array<Record<string, any>>> {
    const token = await gw.gateway.devIssuer!.mintPersona(persona);
    const res = await fetch(`${origin}/fhir/${query}`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Bundle;
    return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource);
  }
  const ids = async (persona: string, query: string) => (await search(persona, query)).map((r) => r.id as string).sort().join(' ');

  test('D2/D3/D7: the second Uusimaa, other-county and private doctors do not all see the same documents of Maija', async () => {
    const q = 'DocumentReference?patient=demo-patient-maija&_count=100';
    const views = new Set([await ids('nurse-uusimaa-2', q), await ids('doctor-other-county', q), await ids('doctor-private', q)]);
    expect(views.size).toBe(3);
  });

  test('document dates span years, and a child visit is dated before the guardian cut-off 2016-08-01', async () => {
    const docs = await search('importer', 'DocumentReference?_count=200');
    const years = new Set(docs.map((d) => String(d.date).slice(0, 4)));
    expect(years.size).toBeGreaterThanOrEqual(5);
    const visits = await search('importer', 'Encounter?patient=demo-patient-eino');
    const [eino] = await search('importer', 'Patient?_id=demo-patient-eino');
    const early = visits.filter((e) => String(e.period?.start) < '2016-08-01');
    expect(early.length).toBeGreaterThan(0);
    for (const e of early) expect(String(e.period.start) >= eino.birthDate).toBe(true);
    // Its document carries the visit's date, so C3 really withholds it from the guardian while the archive holds it.
    const earlyDocs = (await search('importer', 'DocumentReference?patient=demo-patient-eino&_count=100')).filter((d) => String(d.date) < '2016-08-01').map((d) => d.id as string);
    expect(earlyDocs.length).toBeGreaterThan(0);
    const guardianSees = (await ids('guardian-child-12', 'DocumentReference?patient=demo-patient-eino&_count=100')).split(' ');
    for (const id of earlyDocs) expect(guardianSees).not.toContain(id);
  });

  test("A4: the seeded professional accesses appear in the citizen's own log", async () => {
    await seedDemoAccesses(origin, (id) => gw.gateway.devIssuer!.mintPersona(id), { info: () => undefined, warn: () => undefined });
    const events = await search('citizen', 'AuditEvent?patient=Patient/demo-patient-maija&_count=100');
    const who = new Set(events.map((e) => e.agent?.find((a: Record<string, any>) => a.requestor)?.who?.display));
    expect([...who]).toEqual(expect.arrayContaining(['Dr. Laura Lääkäri', 'Hanna Hoitaja', 'Dr. Pekka Potilas', 'Paula Proviisori']));
  });

  test('every demo Patient has a valid HETU whose individual number agrees with Patient.gender, the given name and birthDate', async () => {
    const patients = await search('importer', 'Patient?_count=100');
    expect(patients.map((p) => p.id).sort()).toEqual(expect.arrayContaining(['demo-patient-maija', 'demo-patient-aino', 'demo-patient-eino', 'demo-patient-elsa', 'demo-patient-matti', 'demo-patient-kalle']));
    for (const p of patients) {
      const hetu = p.identifier?.find((i: Record<string, any>) => i.system === 'urn:oid:1.2.246.21')?.value as string;
      const read = readHetu(hetu);
      const given = p.name?.[0]?.given?.[0] as string;
      expect({ id: p.id, hetu, valid: read?.valid, gender: p.gender, birthDate: p.birthDate }).toEqual({ id: p.id, hetu, valid: true, gender: read?.gender, birthDate: read?.birthDate });
      expect({ id: p.id, given, gender: p.gender }).toEqual({ id: p.id, given, gender: GenderOfName[given] });
    }
  });

  test("every persona signing in with a HETU has a valid one matching the name's gender, and the same HETU as that person's Patient", async () => {
    const patients = await search('importer', 'Patient?_count=100');
    const hetuOfName = new Map(patients.map((p) => [`${p.name?.[0]?.given?.[0]} ${p.name?.[0]?.family}`, p.identifier?.find((i: Record<string, any>) => i.system === 'urn:oid:1.2.246.21')?.value]));
    const personas = (await (await fetch(`${origin}/auth/dev/personas`)).json()) as Array<{ id: string }>;
    let people = 0;
    for (const { id } of personas) {
      const res = await fetch(`${origin}/auth/dev/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ persona: id }) });
      expect(res.status).toBe(200);
      const { access_token } = (await res.json()) as { access_token: string };
      const claims = JSON.parse(Buffer.from(access_token.split('.')[1], 'base64url').toString('utf8')) as { sub: string; name?: string; kanta_role: string };
      if (claims.kanta_role === 'system' || claims.kanta_role === 'app') continue;
      people++;
      const read = readHetu(claims.sub);
      const given = givenOf(claims.name ?? '');
      expect({ id, sub: claims.sub, valid: read?.valid, gender: read?.gender }).toEqual({ id, sub: claims.sub, valid: true, gender: GenderOfName[given] });
      if (hetuOfName.has(claims.name!)) expect({ id, sub: claims.sub }).toEqual({ id, sub: hetuOfName.get(claims.name!) });
    }
    expect(people).toBeGreaterThanOrEqual(10);
  });
});
