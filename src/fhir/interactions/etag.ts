// Weak ETag handling for versionId (If-Match, If-None-Match). https://hl7.org/fhir/R4/http.html#versioning
/** Accepts W/"3", "3" or 3; compares with the stored versionId. */
export function parseEtag(header: string): string {
  return header.trim().replace(/^W\//, '').replace(/^"(.*)"$/, '$1');
}

export function etagMatches(header: string, versionId: string | undefined): boolean {
  return header.split(',').some((h) => h.trim() === '*' || parseEtag(h) === versionId);
}
