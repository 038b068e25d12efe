// Checks auth challenges and that /metadata and the SMART configuration agree on the authorisation setup (SPEC F4). https://hl7.org/fhir/smart-app-launch/conformance.html
import { expectOutcome, expectStatus } from '../expectations.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

const OAuthUris = 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris';

export async function checkAuthorization(ctx: KitContext): Promise<void> {
  const { http, report, caps } = ctx;
  const security = caps.rest.security;
  const smart = security?.service?.some((s) => s.coding?.some((c) => c.code === 'SMART-on-FHIR'));
  const readable = caps.types().find((t) => caps.declares(t, 'search-type'));
  await report.check('auth/metadata-is-public', async () => expectStatus(await http.get('metadata', { anonymous: true }), 200, 'GET metadata without a token'));
  if (!smart) {
    await report.check('auth/challenge', () => {
      throw new SkipCheck('the CapabilityStatement declares no SMART security service');
    });
    return;
  }
  await report.check('auth/challenge-without-token', async () => {
    assert(readable, 'no searchable type');
    const res = await http.get(readable, { anonymous: true });
    expectOutcome(res, 401, 'search without a token');
    assert(/^Bearer\b/i.test(res.headers.get('www-authenticate') ?? ''), `401 without a Bearer WWW-Authenticate challenge (got '${res.headers.get('www-authenticate')}')`);
  });
  await report.check('auth/challenge-bad-token', async () => {
    assert(readable, 'no searchable type');
    const res = await http.get(readable, { anonymous: true, headers: { authorization: 'Bearer kit.not-a.jwt' } });
    expectOutcome(res, 401, 'search with a malformed token');
    assert(/^Bearer\b/i.test(res.headers.get('www-authenticate') ?? ''), 'the 401 for a bad token has no Bearer challenge');
  });
  await report.check('auth/smart-configuration', async () => {
    const root = http.base.replace(/\/fhir$/, '');
    const docs = [];
    for (const url of [`${root}/.well-known/smart-configuration`, `${http.base}/.well-known/smart-configuration`]) {
      const res = await fetch(url);
      assert(res.ok, `${url} answered ${res.status}`);
      docs.push((await res.json()) as Record<string, unknown>);
    }
    assert(JSON.stringify(docs[0]) === JSON.stringify(docs[1]), 'the two smart-configuration documents differ');
    const doc = docs[0];
    assert(Array.isArray(doc.capabilities), 'smart-configuration has no capabilities array');
    const declared = security?.extension?.find((e) => e.url === OAuthUris)?.extension?.find((e) => e.url === 'token')?.valueUri;
    assert(declared === doc.token_endpoint, `CapabilityStatement token URI '${declared}' differs from smart-configuration token_endpoint '${doc.token_endpoint}'`);
    if (typeof doc.jwks_uri === 'string') assert((await fetch(doc.jwks_uri)).ok, `jwks_uri ${doc.jwks_uri} does not answer`);
  });
}
