// The audit hash chain: link hashing and the analysis that names altered, removed, reordered and inserted events (A3). https://www.rfc-editor.org/rfc/rfc6962#section-2.1
import { createHash, createHmac } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** prev_hash of the first link. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * hash = SHA-256(prev_hash + canonical JSON of the stored event). With a key, HMAC-SHA-256 instead: then someone
 * with write access to the database but without the key cannot recompute a rewritten tail or forge an append.
 */
export type ChainHasher = (prevHash: string, event: unknown) => string;

export function createChainHasher(hmacKey?: string): ChainHasher {
  return (prevHash, event) => {
    const h = hmacKey ? createHmac('sha256', hmacKey) : createHash('sha256');
    return h.update(prevHash, 'utf8').update(canonicalJson(event), 'utf8').digest('hex');
  };
}

/** `unindexed`: the event's search columns do not match its content, so searches (a citizen's A4 log) would miss it. */
export type ChainProblemKind = 'altered' | 'removed' | 'reordered' | 'inserted' | 'unindexed';

export interface ChainProblem {
  /** Chain position concerned; null for an AuditEvent that has no chain row at all. */
  seq: number | null;
  /** AuditEvent id; null when both the chain row and the event are gone. */
  resourceId: string | null;
  kind: ChainProblemKind;
  detail: string;
}

export interface ChainLink {
  seq: number;
  resourceId: string;
  prevHash: string;
  hash: string;
}

/** How a chain row's AuditEvent compares with its hash; computed while paging so events need not stay in memory. */
export type ContentState = 'ok' | 'missing' | 'mismatch';

export interface ChainRow extends ChainLink {
  content: ContentState;
}

/** `event` is the stored AuditEvent (parsed), or undefined when its row is gone. */
export function contentState(link: ChainLink, event: unknown | undefined, hash: ChainHasher): ContentState {
  if (event === undefined) return 'missing';
  return hash(link.prevHash, event) === link.hash ? 'ok' : 'mismatch';
}

export interface OrphanEvent {
  resourceId: string;
  event: unknown;
}

/**
 * Finds what broke the chain. `rows` in seq order; `orphans` are stored AuditEvents that no chain row names.
 * Each row is checked against its own content (altered / removed event), rows that fork off an existing link
 * are inserted, the order of the hash links is compared with the seq order (reordered), and breaks in the
 * links are explained by a missing row (removed: an orphan event that fits the gap is named) or by a
 * rewritten predecessor (altered). `start` is the hash the first row links to (genesis, or the row before a checked range).
 */
export function analyseChain(rows: readonly ChainRow[], orphans: readonly OrphanEvent[], hash: ChainHasher, start: string = GENESIS_HASH): ChainProblem[] {
  const problems: ChainProblem[] = [];
  const flagged = new Set<number>();
  const report = (p: ChainProblem): void => {
    problems.push(p);
    if (p.seq !== null) flagged.add(p.seq);
  };

  for (const r of rows) {
    if (r.content === 'missing') report({ seq: r.seq, resourceId: r.resourceId, kind: 'removed', detail: 'AuditEvent row is missing' });
    else if (r.content === 'mismatch') report({ seq: r.seq, resourceId: r.resourceId, kind: 'altered', detail: 'AuditEvent content does not match its hash' });
  }

  // Two rows claiming the same predecessor: the one the chain continues from is genuine, the other was inserted.
  const byPrev = new Map<string, ChainRow[]>();
  for (const r of rows) byPrev.set(r.prevHash, [...(byPrev.get(r.prevHash) ?? []), r]);
  const referenced = new Set(rows.map((r) => r.prevHash));
  const inserted = new Set<ChainRow>();
  for (const group of byPrev.values()) {
    if (group.length < 2) continue;
    const genuine = group.find((r) => referenced.has(r.hash)) ?? group[0];
    for (const r of group) if (r !== genuine) inserted.add(r);
  }
  for (const r of inserted) report({ seq: r.seq, resourceId: r.resourceId, kind: 'inserted', detail: 'Chain row forks off an existing link' });
  const live = rows.filter((r) => !inserted.has(r));

  // Link order: follow hashes from each segment head (a row whose predecessor hash is unknown).
  const byHash = new Map(live.map((r) => [r.hash, r]));
  const next = new Map(live.map((r) => [r.prevHash, r]));
  const linkOrder: ChainRow[] = [];
  const placed = new Set<ChainRow>();
  const heads = live.filter((r) => r.prevHash === start || !byHash.has(r.prevHash));
  for (const head of heads) {
    for (let r: ChainRow | undefined = head; r && !placed.has(r); r = next.get(r.hash)) {
      linkOrder.push(r);
      placed.add(r);
    }
  }
  for (const r of live) if (!placed.has(r)) linkOrder.push(r);

  const remaining = new Map(orphans.map((o) => [o.resourceId, o]));
  const fitsGap = (prevHash: string, linkHash: string): OrphanEvent | undefined => {
    for (const o of remaining.values()) if (hash(prevHash, o.event) === linkHash) return o;
    return undefined;
  };

  // Breaks: every head but a genesis-linked first one.
  let genesisSeen = false;
  for (const head of heads) {
    const i = live.indexOf(head);
    const before = i > 0 ? live[i - 1] : undefined;
    if (head.prevHash === start) {
      if (genesisSeen) report({ seq: head.seq, resourceId: head.resourceId, kind: 'inserted', detail: 'Second chain start' });
      genesisSeen = true;
      continue;
    }
    const orphan = fitsGap(before?.hash ?? start, head.prevHash);
    if (orphan) {
      remaining.delete(orphan.resourceId);
      report({ seq: (before?.seq ?? 0) + 1, resourceId: orphan.resourceId, kind: 'removed', detail: 'Chain row of this AuditEvent was removed' });
    } else if (head.seq > (before?.seq ?? 0) + 1) {
      for (let s = (before?.seq ?? 0) + 1; s < head.seq; s++) {
        report({ seq: s, resourceId: null, kind: 'removed', detail: 'Chain row and AuditEvent were removed' });
      }
    } else if (before && !flagged.has(before.seq)) {
      report({ seq: before.seq, resourceId: before.resourceId, kind: 'altered', detail: 'Chain row was rewritten: its successor links to a different hash' });
    } else if (!before) {
      report({ seq: head.seq, resourceId: head.resourceId, kind: 'altered', detail: 'First chain row does not start from the genesis hash' });
    }
  }

  // Link order against seq order: rows that moved.
  const seqPos = new Map(live.map((r, i) => [r, i]));
  linkOrder.forEach((r, i) => {
    if (seqPos.get(r) !== i && !flagged.has(r.seq)) report({ seq: r.seq, resourceId: r.resourceId, kind: 'reordered', detail: 'Chain row is out of its hash-link order' });
  });

  // Events no chain row names and no gap explains: written around the chain (or their row was cut off the end,
  // which only an externally kept head hash can tell apart).
  for (const o of remaining.values()) {
    report({ seq: null, resourceId: o.resourceId, kind: 'inserted', detail: 'AuditEvent has no chain row' });
  }

  return problems.sort((a, b) => (a.seq ?? Number.MAX_SAFE_INTEGER) - (b.seq ?? Number.MAX_SAFE_INTEGER));
}
