// Builds searchset and history Bundles with paging links. https://hl7.org/fhir/R4/bundle.html https://hl7.org/fhir/R4/search.html#paging
import type { Bundle, BundleEntry, BundleLink, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { HistoryEntry } from '../store/resource-store.js';

export function fullUrl(baseUrl: string, r: Pick<Resource, 'resourceType' | 'id'>): string {
  return `${baseUrl}/${r.resourceType}/${r.id}`;
}

/** Re-encodes a query with a new offset; everything else is kept so each page repeats the same search. */
export function pageUrl(baseUrl: string, path: string, query: Record<string, string[]>, offset: number, count: number): string {
  const params = new URLSearchParams();
  for (const [k, vs] of Object.entries(query)) {
    if (k === '_offset' || k === '_count') continue;
    for (const v of vs) params.append(k, v);
  }
  params.set('_count', String(count));
  if (offset > 0) params.set('_offset', String(offset));
  return `${baseUrl}${path ? `/${path}` : ''}?${params.toString()}`;
}

export interface PagingInput {
  baseUrl: string;
  path: string;
  query: Record<string, string[]>;
  offset: number;
  count: number;
  /** Matches on this page. */
  pageSize: number;
  total?: number;
}

/** self and first; next/previous only when such a page exists (a full page without a total assumes a next one); last when the total is known. */
export function pagingLinks(p: PagingInput): BundleLink[] {
  const links: BundleLink[] = [{ relation: 'self', url: pageUrl(p.baseUrl, p.path, p.query, p.offset, p.count) }];
  if (p.count > 0) {
    links.push({ relation: 'first', url: pageUrl(p.baseUrl, p.path, p.query, 0, p.count) });
    if (p.total !== undefined) links.push({ relation: 'last', url: pageUrl(p.baseUrl, p.path, p.query, Math.max(0, Math.ceil(p.total / p.count) - 1) * p.count, p.count) });
    const hasNext = p.total !== undefined ? p.offset + p.pageSize < p.total : p.pageSize === p.count;
    if (hasNext) links.push({ relation: 'next', url: pageUrl(p.baseUrl, p.path, p.query, p.offset + p.count, p.count) });
    if (p.offset > 0) links.push({ relation: 'previous', url: pageUrl(p.baseUrl, p.path, p.query, Math.max(0, p.offset - p.count), p.count) });
  }
  return links;
}

export function searchsetBundle(
  baseUrl: string,
  matches: Resource[],
  included: Resource[],
  links: BundleLink[],
  total: number | undefined,
  outcome?: OperationOutcome,
): Bundle {
  const entry: BundleEntry[] = [
    ...matches.map((r) => ({ fullUrl: fullUrl(baseUrl, r), resource: r, search: { mode: 'match' as const } })),
    ...included.map((r) => ({ fullUrl: fullUrl(baseUrl, r), resource: r, search: { mode: 'include' as const } })),
  ];
  if (outcome) entry.push({ resource: outcome, search: { mode: 'outcome' } });
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(total !== undefined ? { total } : undefined),
    link: links,
    entry,
  };
}

export function historyBundle(baseUrl: string, entries: HistoryEntry[], links: BundleLink[], total: number): Bundle {
  return {
    resourceType: 'Bundle',
    type: 'history',
    total,
    link: links,
    entry: entries.map((e) => {
      const r = e.resource;
      const url = `${r.resourceType}/${r.id}`;
      return e.deleted
        ? { fullUrl: fullUrl(baseUrl, r), request: { method: 'DELETE' as const, url }, response: { status: '410 Gone', lastModified: r.meta?.lastUpdated } }
        : {
            fullUrl: fullUrl(baseUrl, r),
            resource: r,
            request: r.meta?.versionId === '1' ? { method: 'POST' as const, url: r.resourceType } : { method: 'PUT' as const, url },
            response: { status: r.meta?.versionId === '1' ? '201 Created' : '200 OK', etag: `W/"${r.meta?.versionId}"`, lastModified: r.meta?.lastUpdated },
          };
    }),
  };
}
