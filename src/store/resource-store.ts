// The one narrow storage seam: versioned resources, history and search. https://hl7.org/fhir/R4/http.html
import type { Resource } from '@medplum/fhirtypes';

/**
 * A search condition tree. Leaves are search-parameter tests exactly as FHIR search writes them,
 * so search requests and consent constraints compile through the same code and the same indexes.
 * See: https://hl7.org/fhir/R4/search.html
 */
export type Condition =
  /** One search parameter test; `values` are OR'ed (the comma rule) and keep their prefixes (ge, lt, ...). */
  | { kind: 'param'; code: string; modifier?: string; values: string[] }
  /** Chained parameter: `code` is a reference parameter, `next` is tested on the referenced resource. */
  | { kind: 'chain'; code: string; targetType?: string; next: Condition }
  /** Reverse chain `_has:sourceType:refParam:...`: some `sourceType` resource refers here via `refParam` and satisfies `next`. */
  | { kind: 'has'; sourceType: string; refParam: string; next: Condition }
  /** Membership in a compartment, e.g. every resource in Patient/123's compartment. https://hl7.org/fhir/R4/compartmentdefinition.html */
  | { kind: 'compartment'; compartment: 'Patient'; id: string }
  | { kind: 'and'; all: Condition[] }
  | { kind: 'or'; any: Condition[] }
  | { kind: 'not'; cond: Condition }
  | { kind: 'true' }
  | { kind: 'false' };

export interface SortRule {
  code: string;
  descending: boolean;
}

export interface IncludeTarget {
  /** Source type of the reference parameter (`*` allowed for _include). */
  sourceType: string;
  /** Reference search parameter code. */
  param: string;
  /** Restrict the referenced type. */
  targetType?: string;
  iterate?: boolean;
}

export interface SearchQuery {
  resourceType: string;
  /** AND'ed conditions. */
  where: Condition[];
  sort: SortRule[];
  /** Page size; 0 returns no resources (used for _summary=count). */
  count: number;
  offset: number;
  total: 'none' | 'estimate' | 'accurate';
  include: IncludeTarget[];
  revinclude: IncludeTarget[];
  /**
   * Keyset paging (Bulk Data export): matches ordered by id, only those whose id sorts after this one ('' for the
   * first page); `sort` and `offset` must then be empty. Unlike offset paging, a page never repeats or skips a
   * resource when others are created or deleted between pages, and the database seeks instead of counting rows.
   */
  afterId?: string;
}

export interface SearchResult {
  /** The matches of this page, in order. */
  resources: Resource[];
  /** Resources added by _include/_revinclude, each permitted by the same access policy. */
  included: Resource[];
  /** Number of matches across all pages, when asked for. */
  total?: number;
}

export interface HistoryQuery {
  resourceType?: string;
  id?: string;
  /** Only versions recorded at or after this instant (R4 _since). */
  since?: string;
  /** Only versions current at some point in [start, end) (R4 _at): recorded before `end`, not yet replaced at `start`. */
  at?: { start: string; end: string };
  count: number;
  offset: number;
}

export interface HistoryEntry {
  resource: Resource;
  /** The version is a deletion marker; `resource` then carries only resourceType, id and meta. */
  deleted: boolean;
}

export interface HistoryResult {
  entries: HistoryEntry[];
  total: number;
}

/**
 * The disclosure constraint the consent layer pushes into every query.
 * `forType(type)` returns the condition a resource of that type must satisfy to be seen at all;
 * the store applies it to primary matches, chain and _has targets, includes, reads and history.
 */
export interface AccessPolicy {
  forType(resourceType: string): Condition;
}

export interface WriteOptions {
  /** Expected current version ("W/\"3\"" or "3"); a mismatch fails with 412. */
  ifMatch?: string;
}

export interface ResourceStore {
  read(resourceType: string, id: string, access?: AccessPolicy): Promise<Resource | undefined>;
  vread(resourceType: string, id: string, versionId: string, access?: AccessPolicy): Promise<Resource | undefined>;
  history(query: HistoryQuery, access?: AccessPolicy): Promise<HistoryResult>;
  search(query: SearchQuery, access?: AccessPolicy): Promise<SearchResult>;
  /** Stores version 1 with a server-assigned id (or `resource.id` when given by import), meta.versionId and meta.lastUpdated. */
  create<T extends Resource>(resource: T): Promise<T>;
  /**
   * Creates each resource as version 1 under its own id unless that id is taken (live or deleted); returns, in order,
   * the stored resource, or undefined for a taken id, which is left as it is. Where the store can, many resources go in
   * one statement (PostgreSQL: a round trip a chunk instead of one a resource). Optional: stores without it are written
   * one `create` at a time.
   */
  createAbsent?(resources: Resource[]): Promise<Array<Resource | undefined>>;
  /** Stores a new version; creates the resource when it does not exist (update as create). Stale ifMatch: 412. */
  update<T extends Resource>(resource: T, options?: WriteOptions): Promise<T>;
  /** Writes a deletion marker version; the resource then reads as gone (410). */
  delete(resourceType: string, id: string): Promise<void>;
  /**
   * Erases a resource for good (the citizen's right to delete own wellness data): writes a deletion marker if it is
   * live, then removes the content and search index of every earlier version; only the marker (type, id, version,
   * time) remains. Optional: stores that cannot erase leave it out and callers answer 501.
   */
  purge?(resourceType: string, id: string): Promise<void>;
  /**
   * Whether the caller may make this write at all, asked before anything else is checked about it (so a refused
   * action answers 403 naming its rule, not 400 about a reference the caller cannot see); returns the resource as the
   * write would store it (facts the server sets, such as who gave a Consent and when, filled in), to be validated.
   * Optional: raw stores allow everything unchanged.
   */
  checkWrite?<T extends Resource>(op: 'create' | 'update', resource: T): Promise<T>;
  /**
   * Whether a write may point at this resource: it exists and the caller's disclosure rules let them know it (scopes
   * limit what leaves, not what a written reference may name, e.g. an app's Observation.subject). Optional: a plain read.
   */
  resolves?(resourceType: string, id: string): Promise<boolean>;
  /** True when the resource's latest version is a deletion marker. */
  isDeleted(resourceType: string, id: string): Promise<boolean>;
  /**
   * Changes whenever a resource a consent decision rests on is written (src/store/sql/change-stamp.ts); undefined
   * when the store has none, and provisional inside a transaction once it has written a fact record. Lets caches check freshness per request:
   * `shared` moves with any Organization write, `patient` with writes of that patient's own fact records.
   */
  changeStamp?(patientId?: string): Promise<ChangeStamp | undefined>;
  /**
   * True when the caller's access policy can withhold nothing of this type (only the consent-guarded store answers;
   * a store without it withholds nothing). Conditional interactions match only for such callers: a match among
   * records the caller cannot see must neither be touched nor betrayed by a different answer.
   */
  coversAll?(resourceType: string): boolean;
  /** Runs `fn` atomically: everything it writes commits together or not at all. */
  transaction<T>(fn: (tx: ResourceStore) => Promise<T>): Promise<T>;
}

/** The types consent decisions are loaded from (src/consent/consent-facts.ts): a write of any of them moves a change stamp. */
export const ConsentFactTypes = ['Consent', 'Patient', 'Organization', 'RelatedPerson'] as const;
/** Of those, the ones counted per patient (their own Patient, and Consents and RelatedPersons about them); Organizations move the shared counter. */
export const PatientFactTypes = ['Consent', 'Patient', 'RelatedPerson'] as const;
const ConsentFactTypeSet: ReadonlySet<string> = new Set(ConsentFactTypes);
const PatientFactTypeSet: ReadonlySet<string> = new Set(PatientFactTypes);
export const isConsentFactType = (type: string): boolean => ConsentFactTypeSet.has(type);
export const isPatientFactType = (type: string): boolean => PatientFactTypeSet.has(type);

/** The change counters one request's consent facts rest on (src/store/sql/change-stamp.ts). */
export interface ChangeStamp {
  /** Organizations, and fact records of no single patient. */
  shared: string;
  /** The patient's own records (Patient, Consents, RelatedPersons); absent when no patient was asked for. */
  patient?: string;
  /**
   * Read inside a transaction that has written a fact record: it counts that write, which may still roll back, so the
   * same value could later stand for other data. Data remembered under a committed stamp may be used; nothing may be
   * remembered under this one.
   */
  provisional?: true;
}
