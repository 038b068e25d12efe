// Exercises every declared type and instance interaction, and proves undeclared ones are refused (SPEC F1). https://hl7.org/fhir/R4/http.html
import type { Resource } from '@medplum/fhirtypes';
import { TypeInteractions, type TypeInteraction } from '../capability.js';
import { etagVersion, expectBundle, expectFhirJson, expectRefused, expectStatus } from '../expectations.js';
import { buildFixture, createdIds, FixtureOrder, KitIdentifierSystem, type CreatedIds } from '../fixtures.js';
import { matchIds, type KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

/** Creates the kit's fixtures (the `create` interaction), referenced types first. */
export async function checkCreate(ctx: KitContext): Promise<void> {
  const { caps, http, report } = ctx;
  const ids: CreatedIds = {};
  const order = [...FixtureOrder, ...caps.types().filter((t) => !(FixtureOrder as readonly string[]).includes(t))];
  for (const type of order.filter((t) => caps.types().includes(t))) {
    if (!caps.declares(type, 'create')) continue;
    await report.check(`interaction/${type}/create`, async () => {
      const fixture = buildFixture(type, ctx.runId, ids);
      if (!fixture) throw new SkipCheck(`the kit has no fixture for ${type}`);
      const res = await http.request('POST', type, { body: fixture, headers: { prefer: 'return=representation' } });
      expectStatus(res, 201, `POST ${type}`);
      expectFhirJson(res, `POST ${type}`);
      const created = res.body as Resource;
      assert(created.resourceType === type && created.id, `POST ${type} returned no ${type} with an id`);
      assert(created.meta?.versionId, `POST ${type}: meta.versionId missing`);
      const location = res.headers.get('location') ?? '';
      assert(location.includes(`${type}/${created.id}`), `POST ${type}: Location '${location}' does not name ${type}/${created.id}`);
      assert(etagVersion(res) === created.meta.versionId, `POST ${type}: ETag '${res.headers.get('etag')}' does not carry version ${created.meta.versionId}`);
      ids[type] = created.id;
      ctx.created.set(type, created);
    });
  }
}

async function instanceOf(ctx: KitContext, type: string): Promise<Resource> {
  const [sample] = await ctx.samples(type);
  if (!sample?.id) throw new SkipCheck(`no ${type} instance on the server to exercise`);
  return sample;
}

/** The fixture with one harmless change, so an update makes a new version. */
function changed(r: Resource, runId: string): Resource {
  if (r.resourceType === 'Binary') return { ...r, data: Buffer.from(`<kit updated="${runId}"/>`, 'utf8').toString('base64') } as Resource;
  const withIdentifier = r as Resource & { identifier?: unknown[] };
  if (Array.isArray(withIdentifier.identifier)) return { ...r, identifier: [...withIdentifier.identifier, { system: KitIdentifierSystem, value: `updated-${runId}` }] } as Resource;
  return { ...r, policy: [...((r as { policy?: string[] }).policy ?? []), `urn:kit:updated-${runId}`] } as Resource;
}

type Exercise = (ctx: KitContext, type: string) => Promise<string | void>;

const exercises: Partial<Record<TypeInteraction, Exercise>> = {
  async read(ctx, type) {
    const r = await instanceOf(ctx, type);
    const res = await ctx.http.get(`${type}/${r.id}`);
    expectStatus(res, 200, `GET ${type}/${r.id}`);
    expectFhirJson(res, `GET ${type}/${r.id}`);
    assert(res.body.resourceType === type && res.body.id === r.id, `read returned ${res.body.resourceType}/${res.body.id}`);
    assert(!res.body.meta?.versionId || etagVersion(res) === res.body.meta.versionId, `read: ETag '${res.headers.get('etag')}' does not match meta.versionId ${res.body.meta?.versionId}`);
    assert(!res.body.meta?.lastUpdated || res.headers.get('last-modified'), 'read: Last-Modified header missing');
  },
  async vread(ctx, type) {
    const r = await instanceOf(ctx, type);
    assert(r.meta?.versionId, `${type}/${r.id} has no meta.versionId to vread`);
    const res = await ctx.http.get(`${type}/${r.id}/_history/${r.meta.versionId}`);
    expectStatus(res, 200, 'vread');
    assert(res.body.id === r.id && res.body.meta?.versionId === r.meta.versionId, `vread returned ${res.body.id} version ${res.body.meta?.versionId}`);
    const missing = await ctx.http.get(`${type}/${r.id}/_history/999999`);
    expectRefused(missing, 'vread of a version that does not exist');
  },
  async update(ctx, type) {
    const r = ctx.created.get(type);
    if (!r) throw new SkipCheck(`the kit created no ${type} to update`);
    const next = changed(r, ctx.runId);
    const res = await ctx.http.request('PUT', `${type}/${r.id}`, { body: next });
    expectStatus(res, 200, `PUT ${type}/${r.id}`);
    expectFhirJson(res, `PUT ${type}/${r.id}`);
    assert(res.body.meta?.versionId && res.body.meta.versionId !== r.meta?.versionId, `update did not make a new version (still ${res.body.meta?.versionId})`);
    assert(etagVersion(res) === res.body.meta.versionId, `update: ETag '${res.headers.get('etag')}' does not carry ${res.body.meta.versionId}`);
    ctx.created.set(type, res.body as Resource);
  },
  async 'history-instance'(ctx, type) {
    const r = await instanceOf(ctx, type);
    const bundle = expectBundle(await ctx.http.get(`${type}/${r.id}/_history`), 'history', 'instance history');
    const versions = (bundle.entry ?? []).map((e) => e.resource?.meta?.versionId);
    assert(versions.includes(r.meta?.versionId), `instance history lacks the current version ${r.meta?.versionId} (has ${versions.join(',')})`);
  },
  async 'history-type'(ctx, type) {
    const bundle = expectBundle(await ctx.http.get(`${type}/_history?_count=5`), 'history', 'type history');
    assert((bundle.entry ?? []).every((e) => e.resource?.resourceType === type || e.request), 'type history holds other types');
  },
  async 'search-type'(ctx, type) {
    const r = await instanceOf(ctx, type);
    const viaGet = expectBundle(await ctx.http.get(`${type}?_id=${encodeURIComponent(r.id!)}`), 'searchset', 'GET search');
    assert(matchIds(viaGet).includes(r.id!), `GET ${type}?_id=${r.id} did not find it`);
    const viaPost = await ctx.http.request('POST', `${type}/_search`, { rawBody: `_id=${encodeURIComponent(r.id!)}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert(matchIds(expectBundle(viaPost, 'searchset', 'POST _search')).includes(r.id!), `POST ${type}/_search did not find ${r.id}`);
  },
  async delete(ctx, type) {
    // The fixture references what the kit created (patient, subject), as the type's required references need.
    const fixture = buildFixture(type, `${ctx.runId}del`, createdIds(ctx.created));
    if (!fixture || !ctx.caps.declares(type, 'create')) throw new SkipCheck(`the kit cannot create a ${type} to delete`);
    const created = await ctx.http.request('POST', type, { body: fixture });
    expectStatus(created, 201, 'create before delete');
    const res = await ctx.http.request('DELETE', `${type}/${created.body.id}`);
    expectStatus(res, [200, 204], 'DELETE');
    const after = await ctx.http.get(`${type}/${created.body.id}`);
    expectStatus(after, [404, 410], 'read after delete');
    // R4 allows 404 as well; 410 (the gateway's answer) is its own policy-level check.
    ctx.report.record({ id: `policy/${type}/gone-after-delete`, level: 'policy', verdict: after.status === 410 ? 'passed' : 'failed', message: `read after delete answered ${after.status}` });
  },
  async patch(ctx, type) {
    const r = ctx.created.get(type);
    if (!r) throw new SkipCheck(`the kit created no ${type} to patch`);
    const ops = [{ op: 'add', path: '/meta/tag', value: [{ system: 'urn:kit', code: ctx.runId }] }];
    const res = await ctx.http.request('PATCH', `${type}/${r.id}`, { rawBody: JSON.stringify(ops), headers: { 'content-type': 'application/json-patch+json' } });
    expectStatus(res, 200, 'PATCH');
    ctx.created.set(type, res.body as Resource);
  },
};

/** Requests for an interaction that is not declared; the answer must be a refusal and change nothing. */
async function tryUndeclared(ctx: KitContext, type: string, interaction: TypeInteraction): Promise<string | void> {
  const [sample] = await ctx.samples(type);
  const id = sample?.id ?? `kit-${ctx.runId}`;
  const body = sample ?? { resourceType: type };
  const http = ctx.http;
  const request: Record<TypeInteraction, () => ReturnType<typeof http.get>> = {
    read: () => http.get(`${type}/${id}`),
    vread: () => http.get(`${type}/${id}/_history/1`),
    update: () => http.request('PUT', `${type}/${id}`, { body }),
    patch: () => http.request('PATCH', `${type}/${id}`, { rawBody: '[]', headers: { 'content-type': 'application/json-patch+json' } }),
    delete: () => http.request('DELETE', `${type}/${id}`),
    'history-instance': () => http.get(`${type}/${id}/_history`),
    'history-type': () => http.get(`${type}/_history`),
    create: () => http.request('POST', type, { body: { resourceType: type } }),
    'search-type': () => http.get(type),
  };
  expectRefused(await request[interaction](), `undeclared ${interaction} on ${type}`);
  if (sample?.meta?.versionId && ['update', 'patch', 'delete'].includes(interaction)) {
    const after = await http.get(`${type}/${id}`);
    // Only when read is declared can the kit see that nothing changed.
    if (ctx.caps.declares(type, 'read')) assert(after.status === 200 && after.body.meta?.versionId === sample.meta.versionId, `undeclared ${interaction} changed ${type}/${id}`);
  }
}

export async function checkInteractions(ctx: KitContext): Promise<void> {
  for (const type of ctx.caps.types()) {
    for (const interaction of TypeInteractions) {
      if (interaction === 'create') continue; // done by checkCreate
      if (ctx.caps.declares(type, interaction)) {
        const exercise = exercises[interaction];
        if (exercise) await ctx.report.check(`interaction/${type}/${interaction}`, () => exercise(ctx, type));
      } else {
        await ctx.report.check(`undeclared/${type}/${interaction}`, () => tryUndeclared(ctx, type, interaction));
      }
    }
    if (!ctx.caps.declares(type, 'create')) await ctx.report.check(`undeclared/${type}/create`, () => tryUndeclared(ctx, type, 'create'));
  }
}
