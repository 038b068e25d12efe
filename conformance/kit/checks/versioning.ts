// Checks version-aware updates: ETag carries the version, a stale If-Match is refused with 412 and changes nothing, a current one succeeds. https://hl7.org/fhir/R4/http.html#concurrency
import { etagVersion, expectOutcome, expectStatus } from '../expectations.js';
import { KitIdentifierSystem } from '../fixtures.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

export async function checkVersioning(ctx: KitContext): Promise<void> {
  await ctx.report.check('versioning/if-match', async () => {
    const updatable = [...ctx.created.keys()].filter((t) => ctx.caps.declares(t, 'update') && ctx.caps.declares(t, 'read'));
    const type = updatable.includes('Patient') ? 'Patient' : updatable[0];
    if (!type) throw new SkipCheck('no resource the kit created that it may update');
    const current = await ctx.http.get(`${type}/${ctx.created.get(type)!.id}`);
    expectStatus(current, 200, 'read before If-Match');
    const version = etagVersion(current);
    assert(version && version === current.body.meta?.versionId, `ETag '${current.headers.get('etag')}' does not carry meta.versionId ${current.body.meta?.versionId}`);
    const body = { ...current.body, identifier: [...(current.body.identifier ?? []), { system: KitIdentifierSystem, value: `if-match-${ctx.runId}` }] };
    const stale = await ctx.http.request('PUT', `${type}/${current.body.id}`, { body, headers: { 'if-match': 'W/"kit-stale-version"' } });
    expectOutcome(stale, 412, 'PUT with a stale If-Match');
    const unchanged = await ctx.http.get(`${type}/${current.body.id}`);
    assert(unchanged.body.meta?.versionId === version, `a refused If-Match update still changed the version to ${unchanged.body.meta?.versionId}`);
    const ok = await ctx.http.request('PUT', `${type}/${current.body.id}`, { body, headers: { 'if-match': `W/"${version}"` } });
    expectStatus(ok, 200, 'PUT with the current If-Match');
    assert(etagVersion(ok) === ok.body.meta?.versionId && ok.body.meta.versionId !== version, `the If-Match update answered ETag ${ok.headers.get('etag')}, version ${ok.body.meta?.versionId}`);
    ctx.created.set(type, ok.body);
    return `${type}: 412 on stale, version ${version} -> ${ok.body.meta.versionId} on current`;
  });
}
