// The one behaviour suite every ResourceStore backend must pass (SQLite always, PostgreSQL when configured). https://hl7.org/fhir/R4/http.html
import { OperationOutcomeError } from '@medplum/core';
import type { Observation, Patient, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSearch } from '../../src/search/parse.js';
import { createSearchRegistry, type SearchRegistry } from '../../src/search/registry.js';
import type { AccessPolicy, Condition, ResourceStore, SearchResult } from '../../src/store/resource-store.js';
import type { SqlDatabase } from '../../src/store/sql/database.js';
import { createSqlResourceStore, migrateResourceStore } from '../../src/store/sql/sql-resource-store.js';

export interface Backend {
  db: SqlDatabase;
  cleanup(): Promise<void>;
}

/** Runs `fn` and returns the OperationOutcomeError it throws. */
export async function outcomeOf(fn: () => Promise<unknown>): Promise<OperationOutcomeError> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof OperationOutcomeError) return err;
    throw err;
  }
  throw new Error('expected an OperationOutcomeError');
}

const issueText = (err: OperationOutcomeError): string => err.outcome.issue?.[0]?.details?.text ?? '';

export function resourceStoreSuite(name: string, open: () => Promise<Backend>): void {
  describe(`ResourceStore on ${name}`, () => {
    let backend: Backend;
    let store: ResourceStore;
    let registry: SearchRegistry;
    /** Each test works in its own namespace of ids so tests never see each other's data. */
    let seq = 0;
    const ns = (): string => `t${++seq}-${Date.now().toString(36)}`;

    beforeAll(async () => {
      backend = await open();
      await migrateResourceStore(backend.db);
      await migrateResourceStore(backend.db); // idempotent
      registry = createSearchRegistry();
      store = createSqlResourceStore(backend.db, registry, { appendOnlyTypes: ['AuditEvent'] });
    });
    afterAll(async () => backend?.cleanup());

    function search(url: string, access?: AccessPolicy): Promise<SearchResult> {
      const [type, qs = ''] = url.split('?');
      const query: Record<string, string[]> = {};
      for (const [k, v] of new URLSearchParams(qs)) (query[k] ??= []).push(v);
      return store.search(parseSearch(type, query, registry, { strict: true }).query, access);
    }
    const ids = (r: SearchResult): string[] => r.resources.map((x) => x.id as string).sort();

    async function patient(id: string, extra: Partial<Patient> = {}): Promise<Patient> {
      return store.create<Patient>({ resourceType: 'Patient', id, ...extra });
    }
    async function observation(id: string, subject: string, extra: Partial<Observation> = {}): Promise<Observation> {
      return store.create<Observation>({
        resourceType: 'Observation',
        id,
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }] },
        subject: { reference: subject },
        ...extra,
      });
    }

    describe('create, read, update, delete and versions', () => {
      it('create assigns an id, version 1 and lastUpdated', async () => {
        const p = await store.create<Patient>({ resourceType: 'Patient', active: true });
        expect(p.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(p.meta?.versionId).toBe('1');
        expect(new Date(p.meta?.lastUpdated as string).toISOString()).toBe(p.meta?.lastUpdated);
        expect(await store.read('Patient', p.id as string)).toEqual(p);
      });

      it('create keeps a given id and refuses to create it twice', async () => {
        const id = ns();
        await patient(id);
        const err = await outcomeOf(() => patient(id));
        expect(err.outcome.issue?.[0]?.code).toBe('conflict');
        expect(issueText(err)).toContain(`Patient/${id}`);
      });

      it('createAbsent stores the new ids with their index in one call, and leaves taken ids (live or deleted) as they are', async () => {
        const p = ns();
        await patient(`${p}-live`, { gender: 'male' });
        await patient(`${p}-gone`);
        await store.delete('Patient', `${p}-gone`);
        const sent: Resource[] = [
          { resourceType: 'Patient', id: `${p}-new`, gender: 'female' } as Patient,
          { resourceType: 'Patient', id: `${p}-live`, gender: 'female' } as Patient,
          ...Array.from({ length: 130 }, (_, i) => ({
            resourceType: 'Observation',
            id: `${p}-o${i}`,
            status: 'final',
            code: { coding: [{ system: 'http://loinc.org', code: '29463-7' }] },
            subject: { reference: `Patient/${p}-new` },
            valueQuantity: { value: i, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
          }) as Observation),
          { resourceType: 'Patient', id: `${p}-gone`, gender: 'other' } as Patient,
        ];
        const out = await store.createAbsent!(sent);
        expect(out.map((r) => (r ? `${r.resourceType}/${r.id} v${r.meta?.versionId}` : undefined))).toEqual(
          sent.map((r) => (r.id === `${p}-live` || r.id === `${p}-gone` ? undefined : `${r.resourceType}/${r.id} v1`)),
        );
        expect(await store.read('Patient', `${p}-new`)).toEqual(out[0]);
        expect(((await store.read('Patient', `${p}-live`)) as Patient).gender).toBe('male');
        expect(await store.read('Patient', `${p}-gone`)).toBeUndefined();
        expect(await store.isDeleted('Patient', `${p}-gone`)).toBe(true);
        // More than one statement's chunk on PostgreSQL: every index row found its own resource.
        expect((await search(`Observation?subject=Patient/${p}-new&_count=1000`)).resources).toHaveLength(130);
        expect(ids(await search(`Observation?subject=Patient/${p}-new&value-quantity=ge128`))).toEqual([`${p}-o128`, `${p}-o129`]);
        expect(ids(await search(`Patient?_id=${p}-new,${p}-live&gender=female`))).toEqual([`${p}-new`]);
        expect((await store.history({ resourceType: 'Observation', id: `${p}-o7`, count: 10, offset: 0 })).entries).toHaveLength(1);
      });

      it('createAbsent writes nothing when a resource is refused, even after others of the same call', async () => {
        const p = ns();
        const err = await outcomeOf(() =>
          store.transaction((tx) => tx.createAbsent!([{ resourceType: 'Patient', id: `${p}-a` } as Patient, { resourceType: 'Patient', id: 'not/valid' } as Patient])),
        );
        expect(issueText(err)).toContain("Invalid or missing id 'not/valid'");
        expect(await store.read('Patient', `${p}-a`)).toBeUndefined();
      });

      it('update makes a new version with a strictly later lastUpdated, keeping every version', async () => {
        const id = ns();
        const v1 = await patient(id, { gender: 'male' });
        const v2 = await store.update<Patient>({ ...v1, gender: 'female' });
        const v3 = await store.update<Patient>({ ...v2, gender: 'other' });
        expect([v2.meta?.versionId, v3.meta?.versionId]).toEqual(['2', '3']);
        expect(v3.meta!.lastUpdated! > v2.meta!.lastUpdated!).toBe(true);
        expect(v2.meta!.lastUpdated! > v1.meta!.lastUpdated!).toBe(true);
        expect(((await store.vread('Patient', id, '1')) as Patient).gender).toBe('male');
        expect(((await store.vread('Patient', id, '2')) as Patient).gender).toBe('female');
        expect(((await store.read('Patient', id)) as Patient).gender).toBe('other');
        expect(await store.vread('Patient', id, '9')).toBeUndefined();
      });

      it('update of a missing id creates version 1', async () => {
        const id = ns();
        const p = await store.update<Patient>({ resourceType: 'Patient', id });
        expect(p.meta?.versionId).toBe('1');
      });

      it('a stale If-Match fails with 412 precondition failed and stores nothing', async () => {
        const id = ns();
        const v1 = await patient(id);
        await store.update<Patient>({ ...v1, active: true }, { ifMatch: 'W/"1"' });
        const err = await outcomeOf(() => store.update<Patient>({ ...v1, active: false }, { ifMatch: 'W/"1"' }));
        expect(err.outcome.id).toBe('precondition-failed');
        expect(issueText(err)).toContain('If-Match 1, current 2');
        expect(((await store.read('Patient', id)) as Patient).active).toBe(true);
      });

      it('delete writes a deletion marker: read and vread of it are undefined, older versions stay', async () => {
        const id = ns();
        await patient(id);
        await store.delete('Patient', id);
        expect(await store.read('Patient', id)).toBeUndefined();
        expect(await store.isDeleted('Patient', id)).toBe(true);
        expect(await store.vread('Patient', id, '2')).toBeUndefined();
        expect(await store.vread('Patient', id, '1')).toBeDefined();
        expect(await store.isDeleted('Patient', ns())).toBe(false);
        expect((await search(`Patient?_id=${id}`)).resources).toEqual([]);
        const again = await store.update<Patient>({ resourceType: 'Patient', id, active: true });
        expect(again.meta?.versionId).toBe('3');
      });

      it('append-only types refuse update and delete at the store level', async () => {
        const ev = await store.create({ resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: '2024-01-01T00:00:00Z', agent: [], source: { observer: {} } } as Resource);
        const upd = await outcomeOf(() => store.update({ ...ev }));
        expect(upd.outcome.id).toBe('forbidden');
        expect(issueText(upd)).toContain('append-only');
        const del = await outcomeOf(() => store.delete('AuditEvent', ev.id as string));
        expect(del.outcome.id).toBe('forbidden');
        expect(await store.read('AuditEvent', ev.id as string)).toEqual(ev);
      });
    });

    describe('search parameter types', () => {
      let p1: string, p2: string;
      beforeAll(async () => {
        p1 = ns();
        p2 = ns();
        await patient(p1, {
          name: [{ family: 'Äijälä', given: ['Matti'] }],
          gender: 'male',
          birthDate: '1980-05-01',
          active: true,
          identifier: [{ system: 'urn:oid:1.2.246.21', value: `010180-${p1}` }],
          telecom: [{ system: 'email', value: `${p1}@example.fi` }],
          meta: { profile: ['http://example.fi/StructureDefinition/fi-patient'], tag: [{ system: 'urn:tags', code: 'demo' }] },
        });
        await patient(p2, { name: [{ family: 'Virtanen', given: ['Maija'] }], gender: 'female', birthDate: '1990' });
        await observation(`${p1}-o1`, `Patient/${p1}`, {
          effectiveDateTime: '2020-03-04T10:00:00Z',
          valueQuantity: { value: 82.5, system: 'http://unitsofmeasure.org', code: 'kg', unit: 'kg' },
          code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Body weight' }], text: 'Paino' },
        });
        await observation(`${p1}-o2`, `http://other.example/fhir/Patient/${p1}`, {
          effectivePeriod: { start: '2021-01-01', end: '2021-02-01' },
          valueQuantity: { value: 120, system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
          code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
        });
        await observation(`${p2}-o1`, `Patient/${p2}`, { effectivePeriod: { start: '2022-06-01' } });
        await store.create({
          resourceType: 'RiskAssessment',
          id: `${p1}-r1`,
          status: 'final',
          subject: { reference: `Patient/${p1}` },
          prediction: [{ probabilityDecimal: 0.75 }],
        } as Resource);
      });

      it('string: starts-with ignoring case and accents, :exact and :contains', async () => {
        expect(ids(await search(`Patient?name=aija&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?family=ÄIJ&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?family:exact=Äijälä&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?family:exact=aijala&_id=${p1},${p2}`))).toEqual([]);
        expect(ids(await search(`Patient?name:contains=rtan&_id=${p1},${p2}`))).toEqual([p2]);
        expect(ids(await search(`Patient?name=matti,maija&_id=${p1},${p2}`))).toEqual([p1, p2].sort());
        expect(ids(await search(`Patient?name=matti&name=virt&_id=${p1},${p2}`))).toEqual([]);
      });

      it('token: code, system|code, |code, system|, :not, :text, identifiers and booleans', async () => {
        const within = `&subject=Patient/${p1}`;
        expect(ids(await search(`Observation?code=29463-7${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?code=http://loinc.org|8480-6${within}`))).toEqual([`${p1}-o2`]);
        expect(ids(await search(`Observation?code=http://snomed.info/sct|8480-6${within}`))).toEqual([]);
        expect(ids(await search(`Observation?code=|8480-6${within}`))).toEqual([]);
        expect(ids(await search(`Observation?code=http://loinc.org|${within}`))).toHaveLength(2);
        expect(ids(await search(`Observation?code:not=8480-6${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?code:text=paino${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?code:text=weight${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Patient?identifier=urn:oid:1.2.246.21|010180-${p1}`))).toEqual([p1]);
        expect(ids(await search(`Patient?active=true&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?gender=female&_id=${p1},${p2}`))).toEqual([p2]);
        expect(ids(await search(`Patient?email=${p1}@example.fi`))).toEqual([p1]);
        expect(ids(await search(`Patient?_tag=urn:tags|demo&_id=${p1},${p2}`))).toEqual([p1]);
      });

      it('date: precision ranges, prefixes, periods and open ends', async () => {
        const within = `&subject=Patient/${p1},Patient/${p2}`;
        expect(ids(await search(`Observation?date=2020${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?date=2020-03-04${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?date=2020-03-05${within}`))).toEqual([]);
        expect(ids(await search(`Observation?date=ge2021${within}`))).toEqual([`${p1}-o2`, `${p2}-o1`].sort());
        expect(ids(await search(`Observation?date=lt2021${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?date=2021-01${within}`))).toEqual([]);
        expect(ids(await search(`Observation?date=sa2020-12-31${within}`))).toEqual([`${p1}-o2`, `${p2}-o1`].sort());
        expect(ids(await search(`Observation?date=eb2021${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?date=gt2030${within}`))).toEqual([`${p2}-o1`]);
        expect(ids(await search(`Observation?date=ne2020${within}`))).toEqual([`${p1}-o2`, `${p2}-o1`].sort());
        expect(ids(await search(`Patient?birthdate=1980&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?birthdate=ge1985-01-01&_id=${p1},${p2}`))).toEqual([p2]);
      });

      it('quantity and number: prefixes, units and implied precision', async () => {
        const within = `&subject=Patient/${p1}`;
        expect(ids(await search(`Observation?value-quantity=82.5${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?value-quantity=82.5|http://unitsofmeasure.org|kg${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?value-quantity=82.5||mm[Hg]${within}`))).toEqual([]);
        expect(ids(await search(`Observation?value-quantity=gt100${within}`))).toEqual([`${p1}-o2`]);
        expect(ids(await search(`Observation?value-quantity=le82.5${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?value-quantity=83${within}`))).toEqual([`${p1}-o1`]);
        expect(ids(await search(`Observation?value-quantity=84${within}`))).toEqual([]);
        expect(ids(await search(`RiskAssessment?probability=0.75&subject=Patient/${p1}`))).toEqual([`${p1}-r1`]);
        expect(ids(await search(`RiskAssessment?probability=0.9&subject=Patient/${p1}`))).toEqual([`${p1}-r1`].slice(0, 0));
        expect(ids(await search(`RiskAssessment?probability=gt0.5&subject=Patient/${p1}`))).toEqual([`${p1}-r1`]);
        expect(ids(await search(`RiskAssessment?probability=lt0.5&subject=Patient/${p1}`))).toEqual([]);
      });

      it('_lastUpdated and _security search the stored meta', async () => {
        const id = ns();
        const created = await patient(id, { meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' }] } });
        const at = created.meta?.lastUpdated as string;
        expect(ids(await search(`Patient?_lastUpdated=ge${at}&_id=${id}`))).toEqual([id]);
        expect(ids(await search(`Patient?_lastUpdated=lt${at}&_id=${id}`))).toEqual([]);
        expect(ids(await search(`Patient?_security=R&_id=${id},${p1}`))).toEqual([id]);
        expect(ids(await search(`Patient?_security:not=R&_id=${id},${p1}`))).toEqual([p1]);
      });

      it('uri: exact and :below on canonical profiles', async () => {
        expect(ids(await search(`Patient?_profile=http://example.fi/StructureDefinition/fi-patient&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?_profile:below=http://example.fi/StructureDefinition&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?_profile=http://example.fi&_id=${p1},${p2}`))).toEqual([]);
      });

      it('reference: Type/id, bare id, absolute URL, :Type, :missing', async () => {
        expect(ids(await search(`Observation?subject=Patient/${p1}`))).toEqual([`${p1}-o1`, `${p1}-o2`]);
        expect(ids(await search(`Observation?patient=${p1}`))).toEqual([`${p1}-o1`, `${p1}-o2`]);
        expect(ids(await search(`Observation?subject:Patient=${p1}`))).toEqual([`${p1}-o1`, `${p1}-o2`]);
        expect(ids(await search(`Observation?subject=http://gw.example/fhir/Patient/${p2}`))).toEqual([`${p2}-o1`]);
        expect(ids(await search(`Observation?subject=Patient/${p1}&value-quantity:missing=true`))).toEqual([]);
        expect(ids(await search(`Observation?subject=Patient/${p2}&value-quantity:missing=true`))).toEqual([`${p2}-o1`]);
      });

      it('chains: single and multi-level, with and without a target type', async () => {
        const org = await store.create({ resourceType: 'Organization', id: `${p1}-org`, name: `Acme ${p1}` } as Resource);
        await store.update<Patient>({ ...((await store.read('Patient', p1)) as Patient), managingOrganization: { reference: `Organization/${org.id}` } });
        expect(ids(await search(`Observation?subject:Patient.name=aijala&subject=Patient/${p1},Patient/${p2}`))).toEqual([`${p1}-o1`, `${p1}-o2`]);
        expect(ids(await search(`Observation?patient.gender=female&subject=Patient/${p1},Patient/${p2}`))).toEqual([`${p2}-o1`]);
        expect(ids(await search(`Observation?subject:Patient.organization.name=acme ${p1}`))).toEqual([`${p1}-o1`, `${p1}-o2`]);
      });

      it('_has: reverse chains, nested', async () => {
        expect(ids(await search(`Patient?_has:Observation:subject:code=8480-6&_id=${p1},${p2}`))).toEqual([p1]);
        expect(ids(await search(`Patient?_has:Observation:patient:date=ge2022&_id=${p1},${p2}`))).toEqual([p2]);
        expect(ids(await search(`Patient?_has:Observation:patient:_has:Provenance:target:agent=Practitioner/none&_id=${p1},${p2}`))).toEqual([]);
      });

      it('compartment membership covers the patient itself and resources referring to it', async () => {
        const where: Condition[] = [{ kind: 'compartment', compartment: 'Patient', id: p1 }];
        const base = { sort: [], count: 50, offset: 0, total: 'accurate' as const, include: [], revinclude: [] };
        expect(ids(await store.search({ ...base, resourceType: 'Observation', where }))).toEqual([`${p1}-o1`, `${p1}-o2`]);
        expect(ids(await store.search({ ...base, resourceType: 'Patient', where }))).toEqual([p1]);
        expect(ids(await store.search({ ...base, resourceType: 'RiskAssessment', where }))).toEqual([`${p1}-r1`]);
      });

      it('_include and _revinclude, with :iterate and *', async () => {
        const r = await search(`Observation?subject=Patient/${p1}&code=29463-7&_include=Observation:subject`);
        expect(r.included.map((x) => `${x.resourceType}/${x.id}`)).toEqual([`Patient/${p1}`]);
        const rev = await search(`Patient?_id=${p1}&_revinclude=Observation:subject`);
        expect(rev.included.map((x) => x.id).sort()).toEqual([`${p1}-o1`, `${p1}-o2`]);
        const star = await search(`Observation?_id=${p1}-o1&_include=*`);
        expect(star.included.map((x) => x.id)).toEqual([p1]);
        const iter = await search(`Observation?_id=${p1}-o1&_include=Observation:subject&_include:iterate=Patient:organization`);
        expect(iter.included.map((x) => x.resourceType).sort()).toEqual(['Organization', 'Patient']);
        const noIter = await search(`Observation?_id=${p1}-o1&_include=Observation:subject&_include=Patient:organization`);
        expect(noIter.included.map((x) => x.resourceType)).toEqual(['Patient']);
      });
    });

    describe('sort, paging and totals', () => {
      let p: string;
      beforeAll(async () => {
        p = ns();
        await patient(p);
        for (let i = 0; i < 7; i++) {
          await observation(`${p}-${i}`, `Patient/${p}`, { effectiveDateTime: `2020-01-0${(i % 3) + 1}` });
        }
      });

      it('sorts by a date parameter descending with a stable tiebreaker, and by _id', async () => {
        const r = await search(`Observation?subject=Patient/${p}&_sort=-date,_id`);
        expect(r.resources.map((x) => x.id)).toEqual([2, 5, 1, 4, 0, 3, 6].map((i) => `${p}-${i}`));
        const byId = await search(`Observation?subject=Patient/${p}&_sort=-_id`);
        expect(byId.resources.map((x) => x.id)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => `${p}-${i}`));
      });

      it('pages with _count and _offset and reports the total across pages', async () => {
        const page1 = await search(`Observation?subject=Patient/${p}&_sort=_id&_count=3`);
        const page3 = await search(`Observation?subject=Patient/${p}&_sort=_id&_count=3&_offset=6`);
        expect(page1.resources.map((x) => x.id)).toEqual([0, 1, 2].map((i) => `${p}-${i}`));
        expect(page3.resources.map((x) => x.id)).toEqual([`${p}-6`]);
        expect(page1.total).toBe(7);
        expect(page3.total).toBe(7);
        const beyond = await search(`Observation?subject=Patient/${p}&_count=3&_offset=30`);
        expect(beyond.resources).toEqual([]);
        expect(beyond.total).toBe(7);
      });

      it('keyset pages (afterId) return each match exactly once although resources are created and deleted between pages', async () => {
        const subject = [{ kind: 'param' as const, code: 'subject', values: [`Patient/${p}`] }];
        const page = (afterId: string) =>
          store.search({ resourceType: 'Observation', where: subject, sort: [], count: 2, offset: 0, afterId, total: 'none', include: [], revinclude: [] });
        const seen: string[] = [];
        let after = '';
        for (let round = 0; ; round++) {
          const r = await page(after);
          seen.push(...r.resources.map((x) => x.id as string));
          if (r.resources.length < 2) break;
          after = r.resources[r.resources.length - 1].id as string;
          if (round === 0) {
            // Before the cursor: offset paging would now repeat a resource; after it: it must still be found once.
            await observation(`${p}-0a`, `Patient/${p}`);
            await observation(`${p}-9`, `Patient/${p}`);
          }
          if (round === 1) await store.delete('Observation', `${p}-1`); // already read: offset paging would now skip one
        }
        expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 9].map((i) => `${p}-${i}`));
        await store.delete('Observation', `${p}-0a`);
        await store.delete('Observation', `${p}-9`);
        await store.update({ ...(await store.vread('Observation', `${p}-1`, '1'))!, meta: undefined });
      });

      it('_summary=count returns only the total, _total=none omits it', async () => {
        const c = await search(`Observation?subject=Patient/${p}&_summary=count`);
        expect(c.resources).toEqual([]);
        expect(c.total).toBe(7);
        expect((await search(`Observation?subject=Patient/${p}&_total=none`)).total).toBeUndefined();
      });
    });

    describe('history', () => {
      it('instance history is newest first with deletion markers, _since and paging', async () => {
        const id = ns();
        const v1 = await patient(id);
        const v2 = await store.update<Patient>({ ...v1, active: true });
        await store.delete('Patient', id);
        const h = await store.history({ resourceType: 'Patient', id, count: 10, offset: 0 });
        expect(h.total).toBe(3);
        expect(h.entries.map((e) => [e.resource.meta?.versionId, e.deleted])).toEqual([
          ['3', true],
          ['2', false],
          ['1', false],
        ]);
        expect(h.entries[0].resource).toMatchObject({ resourceType: 'Patient', id });
        // R4 _since: "changes at or after the given instant", so v1's own instant includes v1.
        const since = await store.history({ resourceType: 'Patient', id, since: v1.meta?.lastUpdated, count: 10, offset: 0 });
        expect(since.entries.map((e) => e.resource.meta?.versionId)).toEqual(['3', '2', '1']);
        const after = await store.history({ resourceType: 'Patient', id, since: new Date(Date.parse(v1.meta!.lastUpdated!) + 1).toISOString(), count: 10, offset: 0 });
        expect(after.entries.map((e) => e.resource.meta?.versionId)).not.toContain('1');
        const paged = await store.history({ resourceType: 'Patient', id, count: 1, offset: 1 });
        expect(paged.entries.map((e) => e.resource.meta?.versionId)).toEqual(['2']);
        expect(paged.total).toBe(3);
        void v2;
      });

      it('type and system history include every version since an instant', async () => {
        const start = new Date(Date.now() - 1).toISOString();
        const id = ns();
        const v1 = await store.create({ resourceType: 'Organization', id, name: 'x' } as Resource);
        await store.update({ ...v1, name: 'y' } as Resource);
        const t = await store.history({ resourceType: 'Organization', since: start, count: 100, offset: 0 });
        expect(t.entries.filter((e) => e.resource.id === id).map((e) => e.resource.meta?.versionId)).toEqual(['2', '1']);
        const s = await store.history({ since: start, count: 100, offset: 0 });
        expect(s.entries.filter((e) => e.resource.id === id)).toHaveLength(2);
      });
    });

    describe('D11: access policies withhold without leaking', () => {
      let p: string, hidden: string;
      /** Observations are visible only with LOINC 29463-7; Patients only when active. */
      const policy: AccessPolicy = {
        forType(type) {
          if (type === 'Observation') return { kind: 'param', code: 'code', values: ['http://loinc.org|29463-7'] };
          if (type === 'Patient') return { kind: 'param', code: 'active', values: ['true'] };
          return { kind: 'true' };
        },
      };
      beforeAll(async () => {
        p = ns();
        hidden = ns();
        await patient(p, { active: true });
        await patient(hidden, { active: false });
        await observation(`${p}-ok`, `Patient/${p}`);
        await observation(`${p}-no`, `Patient/${p}`, { code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] } });
        await observation(`${hidden}-ok`, `Patient/${hidden}`);
      });

      it('D11: withheld rows are absent from results and totals, even across pages', async () => {
        const r = await search(`Observation?subject=Patient/${p},Patient/${hidden}&_count=1&_sort=_id`, policy);
        expect(r.total).toBe(2);
        expect(r.resources.map((x) => x.id)).toEqual([`${p}-ok`]);
        const c = await search(`Observation?subject=Patient/${p}&_summary=count`, policy);
        expect(c.total).toBe(1);
      });

      it('D11: withheld resources are not included or revincluded', async () => {
        const r = await search(`Observation?subject=Patient/${hidden}&_include=Observation:subject`, policy);
        expect(r.resources.map((x) => x.id)).toEqual([`${hidden}-ok`]);
        expect(r.included).toEqual([]);
        const rev = await search(`Patient?_id=${p}&_revinclude=Observation:subject`, policy);
        expect(rev.included.map((x) => x.id)).toEqual([`${p}-ok`]);
      });

      it('D11: chains and _has do not match through withheld resources', async () => {
        const chained = await search(`Observation?subject:Patient.active=false&subject=Patient/${p},Patient/${hidden}`, policy);
        expect(chained.resources).toEqual([]);
        const has = await search(`Patient?_has:Observation:subject:code=8480-6&_id=${p}`, policy);
        expect(has.resources).toEqual([]);
        const hasOk = await search(`Patient?_has:Observation:subject:code=29463-7&_id=${p}`, policy);
        expect(ids(hasOk)).toEqual([p]);
      });

      it('D11: read, vread and history of a withheld resource look like a missing one', async () => {
        expect(await store.read('Observation', `${p}-no`, policy)).toBeUndefined();
        expect(await store.vread('Observation', `${p}-no`, '1', policy)).toBeUndefined();
        expect(await store.read('Observation', `${p}-ok`, policy)).toBeDefined();
        const h = await store.history({ resourceType: 'Observation', id: `${p}-no`, count: 10, offset: 0 }, policy);
        expect(h).toEqual({ entries: [], total: 0 });
        const sys = await store.history({ count: 1000, offset: 0 }, policy);
        expect(sys.entries.some((e) => e.resource.id === `${p}-no`)).toBe(false);
        expect(sys.entries.some((e) => e.resource.id === `${p}-ok`)).toBe(true);
      });

      it('D11: a policy judges the version whose index it reads; earlier versions stay withheld, every version only under TRUE', async () => {
        // Version 1 is withheld (inactive), version 2 passes: the policy never judged version 1.
        const id = ns();
        const v1 = await patient(id, { active: false });
        const v2 = await store.update<Patient>({ ...v1, active: true });
        expect(await store.vread('Patient', id, '1', policy)).toBeUndefined();
        expect(((await store.vread('Patient', id, '2', policy)) as Patient | undefined)?.active).toBe(true);
        const h = await store.history({ resourceType: 'Patient', id, count: 10, offset: 0 }, policy);
        expect([h.total, h.entries.map((e) => e.resource.meta?.versionId)]).toEqual([1, ['2']]);
        const typed = await store.history({ resourceType: 'Patient', count: 1000, offset: 0 }, policy);
        expect(typed.entries.filter((e) => e.resource.id === id).map((e) => e.resource.meta?.versionId)).toEqual(['2']);
        const sys = await store.history({ count: 1000, offset: 0 }, policy);
        expect(sys.entries.filter((e) => e.resource.id === id).map((e) => e.resource.meta?.versionId)).toEqual(['2']);
        // A deletion keeps the last live version's index: the marker and that version are judged, version 1 is not.
        await store.update<Patient>({ ...v2, active: true, gender: 'female' });
        await store.delete('Patient', id);
        const after = await store.history({ resourceType: 'Patient', id, count: 10, offset: 0 }, policy);
        expect(after.entries.map((e) => [e.resource.meta?.versionId ?? null, e.deleted])).toEqual([
          ['4', true],
          ['3', false],
        ]);
        expect(await store.vread('Patient', id, '2', policy)).toBeUndefined();
        // TRUE reads no index row: Organizations under this policy, and no policy at all, show every version.
        const all = await store.history({ resourceType: 'Patient', id, count: 10, offset: 0 });
        expect(all.total).toBe(4);
        const org = await store.create({ resourceType: 'Organization', name: 'a' } as Resource);
        await store.update({ ...org, name: 'b' } as Resource);
        expect((await store.history({ resourceType: 'Organization', id: org.id, count: 10, offset: 0 }, policy)).total).toBe(2);
        expect(await store.vread('Organization', org.id as string, '1', policy)).toBeDefined();
      });
    });

    describe('transactions', () => {
      it('a failing transaction stores nothing', async () => {
        const id = ns();
        await expect(
          store.transaction(async (tx) => {
            await tx.create<Patient>({ resourceType: 'Patient', id });
            expect(await tx.read('Patient', id)).toBeDefined();
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await store.read('Patient', id)).toBeUndefined();
        expect((await store.history({ resourceType: 'Patient', id, count: 10, offset: 0 })).total).toBe(0);
      });

      it('a nested transaction rolls back alone and the outer one commits', async () => {
        const a = ns();
        const b = ns();
        await store.transaction(async (tx) => {
          await tx.create<Patient>({ resourceType: 'Patient', id: a });
          await expect(
            tx.transaction(async (inner) => {
              await inner.create<Patient>({ resourceType: 'Patient', id: b });
              throw new Error('inner');
            }),
          ).rejects.toThrow('inner');
        });
        expect(await store.read('Patient', a)).toBeDefined();
        expect(await store.read('Patient', b)).toBeUndefined();
      });

      it('concurrent updates of one resource keep every version with distinct ids', async () => {
        const id = ns();
        const v1 = await patient(id);
        await Promise.all(Array.from({ length: 10 }, (_, i) => store.update<Patient>({ ...v1, birthDate: `20${10 + i}` })));
        const h = await store.history({ resourceType: 'Patient', id, count: 100, offset: 0 });
        expect(h.entries.map((e) => Number(e.resource.meta?.versionId)).sort((x, y) => x - y)).toEqual(
          Array.from({ length: 11 }, (_, i) => i + 1),
        );
      });
    });

    describe('consent-facts change stamps (per patient)', () => {
      /** The consent facts of a patient are their Patient, Consents and RelatedPersons; Organizations are shared. */
      const consent = (id: string, patientRef: string): Resource =>
        ({ resourceType: 'Consent', id, status: 'active', scope: { coding: [{ code: 'patient-privacy' }] }, category: [{ coding: [{ code: 'x' }] }], patient: { reference: patientRef } }) as Resource;
      const stamp = async (p?: string) => {
        const s = await store.changeStamp!(p);
        if (!s) throw new Error('no stamp outside a transaction');
        return s;
      };

      it("a patient's own fact records move only that patient's stamp; an Organization moves the shared one", async () => {
        const [p1, p2] = [ns(), ns()];
        const before1 = await stamp(p1);
        const before2 = await stamp(p2);
        await store.create(consent(ns(), `Patient/${p1}`));
        expect((await stamp(p1)).patient).not.toBe(before1.patient);
        expect(await stamp(p2)).toEqual(before2);
        await patient(p2);
        expect((await stamp(p2)).patient).not.toBe(before2.patient);
        const shared = (await stamp()).shared;
        await store.create({ resourceType: 'Organization', id: ns(), name: 'Org' } as Resource);
        expect((await stamp()).shared).not.toBe(shared);
        expect((await stamp(p1)).shared).not.toBe(shared);
      });

      it('moving a Consent to another patient moves both; deleting it moves its patient', async () => {
        const [p1, p2, c] = [ns(), ns(), ns()];
        const created = await store.create(consent(c, `Patient/${p1}`));
        const s1 = await stamp(p1);
        const s2 = await stamp(p2);
        await store.update({ ...created, patient: { reference: `Patient/${p2}` } } as Resource);
        expect((await stamp(p1)).patient).not.toBe(s1.patient);
        expect((await stamp(p2)).patient).not.toBe(s2.patient);
        const s3 = await stamp(p2);
        await store.delete('Consent', c);
        expect((await stamp(p2)).patient).not.toBe(s3.patient);
      });

      it('a reference in any other form (absolute, versioned) moves the shared stamp, which every patient stamp includes', async () => {
        const p = ns();
        for (const ref of [`https://example.org/fhir/Patient/${p}`, `Patient/${p}/_history/1`]) {
          const before = await stamp(p);
          await store.create(consent(ns(), ref));
          expect((await stamp(p)).shared).not.toBe(before.shared);
        }
      });

      it('inside a transaction the stamp is the committed one until it writes a fact record, then provisional; a rollback takes its writes back', async () => {
        const p = ns();
        const before = await stamp(p);
        expect(before.provisional).toBeUndefined();
        await expect(
          store.transaction(async (tx) => {
            expect(await tx.changeStamp!(p)).toEqual(before);
            // A record no consent decision rests on leaves the stamp committed.
            await tx.create({ resourceType: 'Observation', id: ns(), status: 'final', code: { text: 'x' }, subject: { reference: `Patient/${p}` } } as Resource);
            expect(await tx.changeStamp!(p)).toEqual(before);
            // In a savepoint too: the whole transaction's stamps are provisional from its first fact write on.
            await tx.transaction(async (inner) => inner.create(consent(ns(), `Patient/${ns()}`)));
            expect(await tx.changeStamp!(p)).toEqual({ ...before, provisional: true });
            await tx.create(consent(ns(), `Patient/${p}`));
            const inside = await tx.changeStamp!(p);
            expect(inside?.provisional).toBe(true);
            expect(inside?.patient).not.toBe(before.patient);
            throw new Error('roll back');
          })
        ).rejects.toThrow('roll back');
        expect(await stamp(p)).toEqual(before);
      });
    });
  });
}
