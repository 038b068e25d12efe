// The conformance kit run black-box against the real gateway on every backend, and against a server whose CapabilityStatement lies (SPEC F1).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import express from 'express';
import type { CapabilityStatement } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ConformanceReport } from '../../conformance/kit/report.js';
import { formatSummary } from '../../conformance/kit/report.js';
import { runConformance } from '../../conformance/kit/run-conformance.js';
import { ImplementationGuideFile } from '../../conformance/kit/implementation-guide.js';
import { ProjectRoot } from '../../src/gateway.js';
import { backends } from '../support/backends.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { listenOnLoopback, type Listening } from './listen.js';

const failures = (r: ConformanceReport) => r.results.filter((x) => x.verdict === 'failed').map((x) => `${x.id}: ${x.message}`);

describe.each(backends())('conformance kit against the gateway (%s)', (backend) => {
  let gw: TestGateway;
  let server: Listening;
  let report: ConformanceReport;

  beforeAll(async () => {
    // Demo data gives the kit resources that claim the project profiles, so profile validation is exercised too.
    gw = await startTestGateway(backend, { DEMO_DATA: '1' });
    server = await listenOnLoopback(gw.app);
    report = await runConformance({ base: server.base });
  }, 180_000);
  afterAll(async () => {
    await server?.close();
    await gw?.close();
  });

  test('F1: every declared capability passes the kit, with no failure', () => {
    expect(failures(report)).toEqual([]);
    expect(formatSummary(report).split('\n').at(-1)).toBe(`${report.passed} passed, 0 failed`);
  });

  test('the kit exercised every declared interaction, search parameter and operation', () => {
    const ids = new Set(report.results.map((r) => r.id));
    for (const id of ['interaction/Patient/read', 'interaction/Patient/update', 'search/Patient/family', 'search/Observation/subject', 'operation/Patient/$everything', 'paging/next-links', 'versioning/if-match', 'auth/challenge-without-token', 'formats/xml-accept-refused', 'binary/native-content', 'binary/fhir-form', 'policy/transaction-patch', 'policy/batch-patch-fhirpath', 'interaction/Observation/conditional-delete', 'policy/conditional-delete-audited'])
      expect(ids.has(id), id).toBe(true);
    // The gateway offers these, so each must really run (a skip would hide a regression).
    for (const id of ['binary/native-content', 'binary/fhir-form', 'policy/binary-unservable-accept', 'policy/transaction-patch', 'policy/batch-patch-fhirpath', 'interaction/Observation/conditional-delete', 'policy/conditional-delete-audited'])
      expect(report.results.find((r) => r.id === id), id).toMatchObject({ verdict: 'passed' });
    expect(report.results.filter((r) => r.id.startsWith('search/')).length).toBeGreaterThan(400);
    expect(report.results.filter((r) => r.id.startsWith('validation/')).length).toBeGreaterThan(10);
    expect(report.results.filter((r) => /against their claimed profiles/.test(r.message ?? '')).length).toBeGreaterThan(3);
  });

  test('every resource the ImplementationGuide index lists is served by the gateway', async () => {
    const ig = JSON.parse(readFileSync(join(ProjectRoot, ImplementationGuideFile), 'utf8')) as { definition: { resource: Array<{ reference: { reference: string } }> } };
    const auth = { authorization: `Bearer ${await gw.token({ sub: 'kit-test', kanta_role: 'system', scope: 'system/*.cruds' })}` };
    const missing: string[] = [];
    for (const r of ig.definition.resource) {
      const res = await fetch(`${server.base}/${r.reference.reference}`, { headers: auth });
      if (res.status !== 200) missing.push(`${r.reference.reference}: ${res.status}`);
    }
    expect(missing).toEqual([]);
  });
});

/** The real metadata with three claims the server does not honour: an interaction, a search parameter and an operation. */
function lie(cs: CapabilityStatement): CapabilityStatement {
  const patient = cs.rest![0].resource!.find((r) => r.type === 'Patient')!;
  patient.interaction!.push({ code: 'delete' });
  patient.searchParam!.push({ name: 'favourite-colour', type: 'token', definition: 'https://kanta-gateway.example.org/fhir/SearchParameter/patient-favourite-colour' });
  patient.operation = [...(patient.operation ?? []), { name: 'teleport', definition: 'https://kanta-gateway.example.org/fhir/OperationDefinition/teleport' }];
  return cs;
}

describe('conformance kit against a server whose CapabilityStatement lies', () => {
  let gw: TestGateway;
  let real: Listening;
  let lying: Listening;
  let dir: string;

  beforeAll(async () => {
    gw = await startTestGateway('sqlite');
    real = await listenOnLoopback(gw.app);
    const app = express();
    app.get('/fhir/metadata', async (_req, res) => {
      const cs = (await (await fetch(`${real.base}/metadata`)).json()) as CapabilityStatement;
      res.type('application/fhir+json').send(JSON.stringify(lie(cs)));
    });
    app.use(gw.app);
    lying = await listenOnLoopback(app);
    dir = mkdtempSync(join(tmpdir(), 'kit-report-'));
  }, 60_000);
  afterAll(async () => {
    await lying?.close();
    await real?.close();
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('F1: npm run conformance exits non-zero and names each false claim', async () => {
    const out = join(dir, 'report.json');
    const run = promisify(execFile)(process.execPath, ['--import', 'tsx', join(ProjectRoot, 'conformance/run.ts'), '--base', lying.base, '--json', out], { cwd: ProjectRoot });
    const error = await run.then(() => undefined, (e: { code: number; stdout: string }) => e);
    expect(error?.code).toBe(1);
    expect(error?.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ passed, [1-9]\d* failed$/);
    const report = JSON.parse(readFileSync(out, 'utf8')) as ConformanceReport;
    const failed = new Map(report.results.filter((r) => r.verdict === 'failed').map((r) => [r.id, r.message ?? '']));
    expect(failed.get('interaction/Patient/delete')).toMatch(/DELETE: expected HTTP 200 or 204, got 405/);
    expect(failed.get('search/Patient/favourite-colour')).toMatch(/resolves neither on the server/);
    expect(failed.get('operation/Patient/$teleport')).toMatch(/OperationDefinition .*teleport resolves neither/);
    expect(report.failed).toBe(failed.size);
  }, 180_000);
});
