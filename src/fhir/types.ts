// The FHIR REST contract between the HTTP adapter and interaction handlers. https://hl7.org/fhir/R4/http.html
import type { CapabilityStatement, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { ResourceStore, SearchQuery } from '../store/resource-store.js';
import type { RequestContext } from '../context.js';
import type { TerminologyService } from '../terminology/terminology-service.js';

/** The restful-interaction codes, as the CapabilityStatement names them. See: http://hl7.org/fhir/restful-interaction */
export const Interaction = {
  Read: 'read',
  Vread: 'vread',
  Update: 'update',
  Patch: 'patch',
  Delete: 'delete',
  HistoryInstance: 'history-instance',
  HistoryType: 'history-type',
  HistorySystem: 'history-system',
  Create: 'create',
  SearchType: 'search-type',
  SearchSystem: 'search-system',
  Capabilities: 'capabilities',
  Transaction: 'transaction',
  Batch: 'batch',
  Operation: 'operation',
} as const;
export type InteractionCode = (typeof Interaction)[keyof typeof Interaction];

/** A FHIR request, free of any HTTP framework. */
export interface FhirRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the FHIR base, without leading slash, e.g. "Patient/123/_history/2". */
  path: string;
  /** Path parameters filled by the router (resourceType, id, vid, operation). */
  params: Record<string, string>;
  /** Query parameters; repeated keys keep every value in order. */
  query: Record<string, string[]>;
  body?: unknown;
  headers: {
    /** Read by a Binary read only: every other answer is FHIR JSON, checked at the HTTP edge. */
    accept?: string;
    ifMatch?: string;
    ifNoneMatch?: string;
    ifNoneExist?: string;
    ifModifiedSince?: string;
    prefer?: string;
    acceptLanguage?: string;
  };
  /** Absolute base URL of the FHIR endpoint, e.g. "http://127.0.0.1:8080/fhir". */
  baseUrl: string;
}

/** What a handler returns: an outcome (its status follows @medplum/core getStatus) and maybe a resource. */
export interface FhirResponse {
  outcome: OperationOutcome;
  resource?: Resource;
  /** Set by create so the HTTP layer can send Location. */
  location?: string;
  /** Absolute URL sent as Content-Location (the status URL of an asynchronous request). */
  contentLocation?: string;
  /** `resource` is a Binary to be sent as its own content (Content-Type = Binary.contentType), not as FHIR JSON. */
  native?: boolean;
  /**
   * Resources the interaction acted on that its URL does not name (a conditional delete's match): its AuditEvent
   * names each of them.
   */
  targets?: Array<{ resourceType: string; id: string }>;
}

/** A parsed search request: the store query plus what the REST layer applies itself. */
export interface ParsedSearch {
  query: SearchQuery;
  /** Parameters the server did not recognise (reported, or 400 under Prefer: handling=strict). */
  unknown: string[];
  elements?: string[];
  summary?: 'count' | 'true' | 'data' | 'text' | 'false';
}

/** A content type reached from the record that names it: `sourceType.refParam` points at it. */
export interface ContentLink {
  resourceType: string;
  sourceType: string;
  refParam: string;
}

/** Stateless services the REST layer may use; none of them knows about consent or audit. */
export interface FhirServices {
  /** Validates against the base specification and the claimed (or given) profiles, in the caller's language. */
  validate(resource: unknown, options?: { profileUrl?: string }): OperationOutcome;
  parseSearch(resourceType: string, query: Record<string, string[]>, strict: boolean): ParsedSearch;
  /** Runs another request through the same route, scope check and audit (batch and transaction entries). */
  dispatch(req: FhirRequest, store: ResourceStore): Promise<FhirResponse>;
  capabilityStatement(): CapabilityStatement;
  /** Resource types in the Patient compartment that this server serves ($everything). */
  patientCompartmentTypes(): string[];
  /**
   * Served types outside the compartment that hold the content of a compartment record (an archived CDA's Binary,
   * named by its DocumentReference through `refParam`): $everything and Patient-level export follow the link.
   */
  patientContentLinks?(): ContentLink[];
  /** Top-level isSummary elements of a type (_summary=true). */
  summaryElements(resourceType: string): string[];
  /** Code systems and value sets served ($expand, $lookup, $validate-code). */
  terminology?: TerminologyService;
  /** Types served with search-type, for system-level search without _type. */
  searchableTypes?(): string[];
  /** Counts a page size request against the server's bounds. */
  maxCount: number;
  /** Largest _offset a page may start at (LIMIT_OFFSET). */
  maxOffset?: number;
  /** Bulk Data export jobs (src/bulk-export); absent = $export is not offered. */
  bulkExport?: BulkExportService;
}

/** Starts Bulk Data export jobs; the job reads through a store guarded for `ctx`'s caller, never around it. */
export interface BulkExportService {
  /** Types a system-level export covers by default: served data types, not AuditEvent nor conformance resources. */
  types(): string[];
  /** Starts a job and returns its status URL. */
  start(request: { ctx: RequestContext; baseUrl: string; requestUrl: string; types: string[]; since?: string; patients?: string[] }): string;
}

/** Why the caller may see a record (Patient/$disclosure); the rule IDs and texts come from the consent layer. */
export interface DisclosureExplanation {
  decision: 'permit' | 'deny';
  rules: string[];
  provisions: Array<{ consent: string; path: string; type: 'permit' | 'deny' }>;
  text: { fi: string; sv: string; en: string };
}

/** Explains a resource (`id` given) or a type to this request's caller; a resource they may not see throws 404 like a missing one. */
export type ExplainDisclosure = (target: { resourceType: string; id?: string }) => Promise<DisclosureExplanation>;

/** Everything a handler may touch: the consent-guarded store, the request context and stateless services. */
export interface HandlerDeps {
  store: ResourceStore;
  ctx: RequestContext;
  services: FhirServices;
  /** This request's disclosure explanation, bound to the same consent decisions as `store` (absent when no consent gate runs). */
  explain?: ExplainDisclosure;
}

export type FhirHandler = (req: FhirRequest, deps: HandlerDeps) => Promise<FhirResponse>;
