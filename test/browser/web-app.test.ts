// The web app at /app in a real Chromium (playwright-core): SMART login through the persona picker, documents, a permission given and revoked, the log in Finnish, C3 for a guardian, the explorer on a withheld record; axe-core finds no serious violations.
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
