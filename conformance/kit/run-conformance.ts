// The conformance kit's entry point as a library: reads /metadata and checks every declared capability black-box, then validates everything returned.
import { randomBytes } from 'node:crypto';
import type { CapabilityStatement, CodeSystem, Resource, StructureDefinition, ValueSet } from '@medplum/fhirtypes';
import { obtainToken } from './access-token.js';
import { readCapabilities } from './capability.js';
import { checkAuthorization } from './checks/authorization.js';
import { checkBinary } from './checks/binary.js';
import { checkBundlePatch } from './checks/bundle-patch.js';
import { checkConditionalDelete } from './checks/conditional-delete.js';
import { checkCapabilityStatement } from './checks/capability-statement.js';
import { checkConformanceResources, fetchAll } from './checks/conformance-resources.js';
import { checkErrorShapes } from './checks/error-shapes.js';
import { checkCreate, checkInteractions } from './checks/interactions.js';
import { checkOperations } from './checks/operations.js';
import { checkPaging } from './checks/paging.js';
import { checkSearchParameters } from './checks/search-parameters.js';
import { checkSystemInteractions } from './checks/system-interactions.js';
import { checkVersioning } from './checks/versioning.js';
import { createDefinitionResolver } from './definitions.js';
import { createFhirHttp } from './fhir-http.js';
import { createSamples, type KitContext } from './kit-context.js';
import { createReportBuilder, type ConformanceReport } from './report.js';
import { createResourceValidation } from './resource-validation.js';

export interface ConformanceOptions {
  /** FHIR base URL, e.g. http://localhost:8080/fhir */
  base: string;
  /** Bearer token; when absent the kit mints one from the server's development issuer, if it has one. */
  token?: string;
  /** Progress lines (one per check family). */
  log?(line: string): void;
}

export async function runConformance(opts: ConformanceOptions): Promise<ConformanceReport> {
  const base = opts.base.replace(/\/+$/, '');
  const report = createReportBuilder();
  const validation = createResourceValidation();
  const log = opts.log ?? (() => undefined);
  const http = createFhirHttp({ base, onResource: (r, url) => validation.observe(r, url) });

  const metadata = await http.get('metadata', { anonymous: true }).catch((err: Error) => err);
  const statementOk = await report.check('metadata/capability-statement', () => checkCapabilityStatement(metadata));
  if (!statementOk || metadata instanceof Error) return report.finish(base);

  const { token, source } = await obtainToken(base, opts.token);
  await report.check('auth/token', () => {
    http.setToken(token);
    return token ? `token ${source === 'given' ? 'given with --token' : "minted by the server's development issuer"}` : 'no token: checking anonymously';
  });

  const ctx: KitContext = {
    http,
    caps: readCapabilities(metadata.body as CapabilityStatement),
    report,
    runId: randomBytes(4).toString('hex'),
    created: new Map<string, Resource>(),
    samples: () => Promise.resolve([]),
  };
  ctx.samples = createSamples(http, ctx.created);
  const defs = createDefinitionResolver(http);

  const phases: Array<[string, () => Promise<void>]> = [
    ['authorization', () => checkAuthorization(ctx)],
    ['create', () => checkCreate(ctx)],
    ['interactions', () => checkInteractions(ctx)],
    ['versioning', () => checkVersioning(ctx)],
    ['search parameters', () => checkSearchParameters(ctx, defs)],
    ['paging', () => checkPaging(ctx)],
    ['system interactions', () => checkSystemInteractions(ctx)],
    ['binary', () => checkBinary(ctx)],
    ['patch in bundles', () => checkBundlePatch(ctx)],
    ['conditional delete', () => checkConditionalDelete(ctx)],
    ['operations', () => checkOperations(ctx, defs)],
    ['conformance resources', () => checkConformanceResources(ctx, defs)],
    ['error shapes', () => checkErrorShapes(ctx)],
  ];
  for (const [name, run] of phases) {
    log(`checking ${name}`);
    await run();
  }

  log('validating returned resources');
  const listing = <T extends Resource>(type: string) => () => (ctx.caps.declares(type, 'search-type') ? fetchAll<T>(ctx, type) : Promise.resolve([]));
  const results = await validation.validateAll({
    structureDefinitions: listing<StructureDefinition>('StructureDefinition'),
    valueSets: listing<ValueSet>('ValueSet'),
    codeSystems: listing<CodeSystem>('CodeSystem'),
  });
  for (const r of results) report.record(r);
  return report.finish(base);
}
