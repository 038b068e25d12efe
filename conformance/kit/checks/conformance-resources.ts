// Checks the server's own conformance resources: each is readable by id and findable by url, and every profile /metadata claims is served. https://hl7.org/fhir/R4/conformance-module.html
import type { Bundle, Resource } from '@medplum/fhirtypes';
import type { DefinitionResolver } from '../definitions.js';
import { expectBundle, expectStatus } from '../expectations.js';
import type { KitContext } from '../kit-context.js';
import { assert, SkipCheck } from '../report.js';

export const CanonicalTypes = ['StructureDefinition', 'SearchParameter', 'OperationDefinition', 'CodeSystem', 'ValueSet', 'ConceptMap'] as const;

/** Every resource of a type, following next links (bounded). */
export async function fetchAll<T extends Resource>(ctx: KitContext, type: string): Promise<T[]> {
  const out: T[] = [];
  let url: string | undefined = `${type}?_count=200`;
  for (let page = 0; url && page < 50; page++) {
    const bundle: Bundle = expectBundle(await ctx.http.get(url), 'searchset', `${type} listing`);
    out.push(...(bundle.entry ?? []).map((e) => e.resource as T).filter((r) => r?.resourceType === type));
    url = bundle.link?.find((l) => l.relation === 'next')?.url;
  }
  return out;
}

export async function checkConformanceResources(ctx: KitContext, defs: DefinitionResolver): Promise<void> {
  for (const type of CanonicalTypes) {
    await ctx.report.check(`canonical/${type}`, async () => {
      if (!ctx.caps.declares(type, 'search-type')) throw new SkipCheck(`${type} is not searchable on this server`);
      const all = await fetchAll<Resource & { url?: string }>(ctx, type);
      for (const r of all) {
        assert(r.url, `${type}/${r.id} has no url`);
        const found = await defs.fromServer(type, r.url);
        assert(found.some((f) => f.id === r.id), `${type}?url=${r.url} does not find ${type}/${r.id}`);
        if (ctx.caps.declares(type, 'read')) expectStatus(await ctx.http.get(`${type}/${r.id}`), 200, `read ${type}/${r.id}`);
      }
      return `${all.length} readable and findable by url`;
    });
  }
  for (const type of ctx.caps.types()) {
    const claimed = ctx.caps.resource(type)?.supportedProfile ?? [];
    if (!claimed.length) continue;
    await ctx.report.check(`profiles/${type}`, async () => {
      // R4 does not require a server to serve the profiles it supports: another publisher's canonical (HL7 vital
      // signs, a national profile) may be accepted without being served here. Those are noted, not judged.
      const external: string[] = [];
      for (const url of claimed) {
        const found = await defs.fromServer('StructureDefinition', url);
        if (found.length === 0) {
          external.push(url);
          continue;
        }
        assert(found.length === 1, `supported profile ${url} is served ${found.length} times (StructureDefinition?url=)`);
        assert((found[0] as { type?: string }).type === type, `supported profile ${url} constrains ${(found[0] as { type?: string }).type}, not ${type}`);
      }
      assert(external.length < claimed.length, `none of the ${claimed.length} supported profiles is served (StructureDefinition?url=)`);
      // Instances that claim the profiles are fetched so the validation pass checks them against those profiles.
      let instances = 0;
      if (ctx.caps.resource(type)?.searchParam?.some((p) => p.name === '_profile')) {
        for (const url of claimed) {
          const res = await ctx.http.get(`${type}?_profile=${encodeURIComponent(url)}&_count=20`);
          instances += expectBundle(res, 'searchset', `${type}?_profile=${url}`).entry?.length ?? 0;
        }
      }
      const note = external.length ? `; ${external.length} other publishers' canonical(s) not served here (not checkable): ${external.join(', ')}` : '';
      return `${claimed.length - external.length} supported profile(s) served; ${instances} instance(s) claiming them fetched for validation${note}`;
    });
  }
}
