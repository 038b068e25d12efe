// X-Request-Id on every response: the client's id when it is safe to echo, otherwise a fresh UUID; BALP audits it. https://profiles.ihe.net/ITI/BALP/
import type { NextFunction, Request, Response } from 'express';
import { randomUUID } from 'node:crypto';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** Only word characters, '-' and '.', at most 64: the id reaches logs and AuditEvents and must not inject anything there. */
export function requestIdOf(header: string | undefined): string {
  return (header ?? '').replace(/[^\w\-.]/g, '').slice(0, 64) || randomUUID();
}

/** The id assigned to this request (set by `requestId()`; computed on the spot when that middleware is absent). */
export function currentRequestId(req: Request, res: Response): string {
  const id = res.locals.requestId as string | undefined;
  if (id) return id;
  const fresh = requestIdOf(req.get(REQUEST_ID_HEADER));
  res.locals.requestId = fresh;
  res.set(REQUEST_ID_HEADER, fresh);
  return fresh;
}

export function requestId() {
  return (req: Request, res: Response, next: NextFunction): void => {
    currentRequestId(req, res);
    next();
  };
}
