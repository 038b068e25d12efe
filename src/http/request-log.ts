// One structured log line per request (method, path, status, duration, request id) and never personal data. https://getpino.io/
import type { NextFunction, Request, Response } from 'express';
import { maskHetu } from '../logger.js';
import { currentRequestId } from './request-id.js';

export interface RequestLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * The query string is left out (searches carry names and HETUs), as are bodies and headers; the path keeps
 * resource ids, which are not identifying outside the archive, with any HETU masked all the same.
 */
export function requestLog(log: RequestLogger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const start = process.hrtime.bigint();
    const id = currentRequestId(req, res);
    res.on('finish', () => {
      const entry = {
        requestId: id,
        method: req.method,
        path: maskHetu(req.path),
        status: res.statusCode,
        ms: Math.round(Number(process.hrtime.bigint() - start) / 1e5) / 10,
      };
      if (res.statusCode >= 500) log.warn(entry, 'request failed');
      else log.info(entry, 'request');
    });
    next();
  };
}
