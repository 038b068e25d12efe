// The web app at /app in a real Chromium (playwright-core): the SMART fhirclient library's standalone launch with PKCE, SMART login through the persona picker, documents, a permission given and revoked, the log in Finnish, C3 for a guardian, the explorer on a withheld record; axe-core finds no serious violations.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ProjectRoot } from '../../src/gateway.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const Candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].filter((p): p is string => !!p);
const executablePath = Candidates.find((p) => existsSync(p));
const Screenshots = join(ProjectRoot, 'test-results', 'screenshots');
const AppBuilt = existsSync(join(ProjectRoot, 'web/dist/index.html'));

if (!executablePath) console.warn(`Browser tests skipped: no Chromium found (looked at ${Candidates.join(', ')}; install the Debian package 'chromium' or set CHROMIUM_PATH).`);
if (!AppBuilt) console.warn('Browser tests skipped: the web app is not built (npm run build:app; npm test does it).');

// The browser path does not depend on the storage backend; the HTTP suites run both. One gateway, one browser, few pages.
describe.skipIf(!executablePath || !AppBuilt)('web app in Chromium', () => {
  let gw: TestGateway;
  let server: Server;
  let origin: string;
  let browser: Browser;

  beforeAll(async () => {
    mkdirSync(Screenshots, { recursive: true });
    gw = await startTestGateway('sqlite', { DEMO_DATA: '1' });
    server = gw.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    await gw?.close();
  });

  async function signIn(persona: string): Promise<{ context: BrowserContext; page: Page }> {
    // A fresh context is a fresh profile: no cookies or storage carried between personas.
    // bypassCSP only so axe-core can be injected; the app itself runs under the gateway's CSP otherwise.
    const context = await browser.newContext({ locale: 'fi-FI', bypassCSP: true, extraHTTPHeaders: { 'Accept-Language': 'fi-FI,fi;q=0.9' } });
    const page = await context.newPage();
    await page.goto(`${origin}/app/`);
    await page.click('[data-action=login]');
    await page.waitForURL(/\/auth\/dev\/interaction\//);
    await page.click(`button[data-persona="${persona}"]`);
    await page.waitForURL(`${origin}/app/**`);
    await page.waitForSelector('nav');
    return { context, page };
  }

  async function seriousViolations(page: Page): Promise<string[]> {
    await page.addScriptTag({ content: readFileSync(join(ProjectRoot, 'node_modules/axe-core/axe.min.js'), 'utf8') });
    const result = (await page.evaluate(async () => (window as unknown as { axe: { run(): Promise<unknown> } }).axe.run())) as {
      violations: Array<{ id: string; impact: string; nodes: unknown[] }>;
    };
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.nodes.length})`);
  }

  async function visibleIds(page: Page): Promise<string[]> {
    return page.$$eval('[data-id]', (els) => els.map((e) => e.getAttribute('data-id')!).sort());
  }

  async function gatewayIds(persona: string, query: string): Promise<string[]> {
    const token = await gw.gateway.devIssuer!.mintPersona(persona);
    const res = await fetch(`${origin}/fhir/${query}`, { headers: { authorization: `Bearer ${token}` } });
    const bundle = (await res.json()) as { entry?: Array<{ resource: { id: string }; search?: { mode?: string } }> };
    return (bundle.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource.id).sort();
  }

  test('the SMART fhirclient library in the app completes a standalone launch with PKCE (S256) against the gateway: patient context, a FHIR read with that token, a refresh when it expires', async () => {
    const conf = (await (await fetch(`${origin}/fhir/.well-known/smart-configuration`)).json()) as { authorization_endpoint: string; token_endpoint: string };
    const context = await browser.newContext({ locale: 'en-GB' });
    const page = await context.newPage();
    let authorize: URL | undefined;
    const tokenRequests: URLSearchParams[] = [];
    const tokenResponses: Array<Record<string, unknown>> = [];
    const reads: Array<{ path: string; status: number; authorization?: string }> = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (`${url.origin}${url.pathname}` === conf.authorization_endpoint) authorize = url;
      if (r.url() === conf.token_endpoint && r.method() === 'POST') tokenRequests.push(new URLSearchParams(r.postData() ?? ''));
    });
    page.on('response', async (r) => {
      const url = new URL(r.url());
      if (r.url() === conf.token_endpoint && r.request().method() === 'POST') tokenResponses.push({ status: r.status(), ...((await r.json()) as Record<string, unknown>) });
      else if (url.pathname.startsWith('/fhir/') && !url.pathname.includes('.well-known') && r.request().method() === 'GET')
        reads.push({ path: `${url.pathname}${url.search}`, status: r.status(), authorization: r.request().headers().authorization });
    });

    await page.goto(`${origin}/app/`);
    await page.click('[data-action=login]');
    // The app shows why a launch could not start (fhirclient refuses a server without S256 under pkceMode 'required').
    const launched = await Promise.race([
      page.waitForURL(/\/auth\/dev\/interaction\//).then(() => 'picker'),
      page
        .waitForSelector('[role=alert]')
        .then(async (el) => `launch failed: ${await el.textContent()}`)
        .catch(() => 'neither the picker nor an error'), // the waiter outlives the race; it ends when the page closes
    ]);
    expect(launched).toBe('picker');
    await page.click('button[data-persona="citizen"]');
    await page.waitForURL(`${origin}/app/**`);
    await page.waitForSelector('#h-docs');

    // The authorization request fhirclient built from the smart-configuration: a PKCE S256 challenge, the FHIR base as audience.
    expect(authorize).toBeDefined();
    expect(Object.fromEntries(['response_type', 'client_id', 'code_challenge_method', 'aud', 'redirect_uri'].map((k) => [k, authorize!.searchParams.get(k)]))).toEqual({
      response_type: 'code',
      client_id: 'kanta-web-app',
      code_challenge_method: 'S256',
      aud: `${origin}/fhir`,
      redirect_uri: `${origin}/app/`,
    });
    expect(authorize!.searchParams.get('scope')!.split(' ')).toContain('launch/patient');
    // The code was redeemed with the verifier behind that challenge (no client secret: a public client).
    await expect.poll(() => tokenResponses.length).toBe(1); // the listener reads the body asynchronously
    const [tokenRequest] = tokenRequests;
    const [tokenResponse] = tokenResponses;
    expect(tokenRequest?.get('grant_type')).toBe('authorization_code');
    const verifier = tokenRequest?.get('code_verifier') ?? '';
    expect(verifier.length).toBeGreaterThanOrEqual(43);
    expect(createHash('sha256').update(verifier).digest('base64url')).toBe(authorize!.searchParams.get('code_challenge'));
    expect(tokenRequest?.has('client_secret')).toBe(false);
    // Standalone launch with launch/patient: the token response names the patient.
    expect(tokenResponse).toMatchObject({ status: 200, patient: 'demo-patient-maija', token_type: expect.stringMatching(/^bearer$/i) });
    expect(typeof tokenResponse.access_token).toBe('string');
    expect(typeof tokenResponse.refresh_token).toBe('string');
    // fhirclient holds that launch (its state in sessionStorage under SMART_KEY) and made the FHIR reads with its token.
    const state = await page.evaluate(() => {
      const parse = (v: string | null) => (v ? (JSON.parse(v) as unknown) : undefined);
      const key = parse(sessionStorage.getItem('SMART_KEY'));
      return typeof key === 'string' ? (parse(sessionStorage.getItem(key)) as { serverUrl?: string; tokenResponse?: { patient?: string } }) : undefined;
    });
    expect({ serverUrl: state?.serverUrl, patient: state?.tokenResponse?.patient }).toEqual({ serverUrl: `${origin}/fhir`, patient: 'demo-patient-maija' });
    const read = reads.find((r) => r.path.startsWith('/fhir/DocumentReference?patient=demo-patient-maija'));
    expect(read).toMatchObject({ status: 200, authorization: `Bearer ${tokenResponse.access_token}` });
    expect(await visibleIds(page)).toContain('doc-maija-visit-v2');

    // The access token runs out (its expiry moved into the past in fhirclient's state): after a reload fhirclient resumes
    // the launch and refreshes the token before the next read, and that read carries the new token.
    await page.evaluate(() => {
      const key = JSON.parse(sessionStorage.getItem('SMART_KEY')!) as string;
      sessionStorage.setItem(key, JSON.stringify({ ...(JSON.parse(sessionStorage.getItem(key)!) as object), expiresAt: 0 }));
      history.replaceState(null, '', '/app/#/visits'); // no hashchange: nothing is read before the reload
    });
    reads.length = 0;
    await page.reload();
    await page.waitForSelector('#h-visits');
    expect(tokenRequests.map((r) => [r.get('grant_type'), r.get('client_id')])).toEqual([
      ['authorization_code', 'kanta-web-app'],
      ['refresh_token', 'kanta-web-app'],
    ]);
    await expect.poll(() => tokenResponses.length).toBe(2);
    const refreshed = tokenResponses[1];
    expect(refreshed).toMatchObject({ status: 200 });
    expect(refreshed.access_token).not.toBe(tokenResponse.access_token);
    expect(reads.find((r) => r.path.startsWith('/fhir/Encounter?patient=demo-patient-maija'))).toMatchObject({ status: 200, authorization: `Bearer ${refreshed.access_token}` });
    await context.close();
  });

  test('citizen signs in through the authorization server, sees her documents, gives and revokes a permission, reads her log in Finnish', async () => {
    // A professional's access, so the citizen's log has someone else's entry to show.
    expect((await gatewayIds('doctor-uusimaa', 'DocumentReference?patient=demo-patient-maija')).length).toBeGreaterThan(0);

    const { context, page } = await signIn('citizen');
    await page.waitForSelector('#h-docs');
    const shown = await visibleIds(page);
    expect(shown).toEqual(await gatewayIds('citizen', 'DocumentReference?patient=demo-patient-maija&_count=100'));
    expect(shown).toContain('doc-maija-visit-v2');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(Screenshots, 'citizen-documents.png'), fullPage: true });

    await page.click('a[href="#/consents"]');
    await page.waitForSelector('#h-consents');
    const before = await page.$$('li[data-kind="permission-social"]');
    await page.selectOption('#permission-kind', 'permission-social');
    await page.click('[data-action=give-permission]');
    await page.waitForFunction((n) => document.querySelectorAll('li[data-kind="permission-social"]').length > n, before.length);
    const given = page.locator('li[data-kind="permission-social"]').filter({ hasText: 'voimassa' });
    await expect.poll(() => given.count()).toBe(1);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(Screenshots, 'citizen-consents-given.png'), fullPage: true });
    await given.locator('[data-action=revoke]').click();
    await expect.poll(() => page.locator('li[data-kind="permission-social"]').filter({ hasText: 'voimassa' }).count()).toBe(0);
    await expect.poll(() => page.locator('li[data-kind="permission-social"]').filter({ hasText: 'peruttu' }).count()).toBe(1);

    await page.click('a[href="#/log"]');
    await page.waitForSelector('#h-log');
    expect(await page.textContent('#h-log')).toBe('Luovutus- ja katseluloki');
    const log = (await page.textContent('main'))!;
    expect(log).toContain('Dr. Laura Lääkäri (ammattilainen)');
    expect(log).toContain('Käyttötarkoitus');
    expect(log).not.toContain('urn:oid:');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(Screenshots, 'citizen-log-fi.png'), fullPage: true });
    await context.close();
  });

  test("guardian sees exactly the child's documents the gateway discloses under C3, fewer than the archive holds", async () => {
    const { context, page } = await signIn('guardian-child-12');
    await page.waitForSelector('#h-docs');
    const shown = await visibleIds(page);
    expect(shown).toEqual(await gatewayIds('guardian-child-12', 'DocumentReference?patient=demo-patient-eino&_count=100'));
    const all = await gatewayIds('importer', 'DocumentReference?patient=demo-patient-eino&_count=100');
    expect(shown.length).toBeLessThan(all.length);
    await page.screenshot({ path: join(Screenshots, 'guardian-documents.png'), fullPage: true });
    await context.close();
  });

  test('explorer: the operator asks what a doctor would get for a record withheld by a prohibition and sees the deciding consent', async () => {
    const { context, page } = await signIn('importer');
    await page.waitForSelector('#h-explorer');
    await page.selectOption('#x-caller', 'doctor-uusimaa');
    await page.fill('#x-patient', 'demo-patient-maija');
    await page.fill('#x-record', 'DocumentReference/doc-maija-occupational');
    await page.click('[data-action=explain]');
    await page.waitForSelector('[data-decision=withheld]');
    const text = (await page.textContent('#x-result'))!;
    expect(text).toContain('consent-maija-prohibition-occupational');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(Screenshots, 'explorer-withheld.png'), fullPage: true });
    await context.close();
  });
});
