// Last-resort Express error middleware: body-parser and unexpected errors become OperationOutcomes, never stack traces.
import { badRequest } from '@medplum/core';
import type { NextFunction, Request, Response } from 'express';
import { payloadTooLarge, serverErrorOutcome } from './http-outcomes.js';
import { sendOutcome } from './respond.js';

interface HttpError {
  type?: string;
  status?: number;
  statusCode?: number;
  limit?: number;
}

export function errorHandler(log: { error(obj: object, msg: string): void }) {
  return (err: unknown, _req: Request, res: Response, _next: NextFunction): void => {
    const e = err as HttpError;
    if (err instanceof URIError) {
      // Express's own route-parameter decoding (e.g. /fhir/Patient/%ZZ).
      sendOutcome(res, badRequest('The request path has a malformed percent escape'));
    } else if (e?.type === 'entity.parse.failed') {
      sendOutcome(res, badRequest('The request body is not valid JSON'));
    } else if (e?.type === 'entity.too.large') {
      sendOutcome(res, payloadTooLarge(`The request body exceeds the limit of ${e.limit} bytes`));
    } else if (e?.type === 'encoding.unsupported' || e?.type === 'charset.unsupported') {
      sendOutcome(res, badRequest('The request body encoding is not supported; use UTF-8 and gzip, deflate or br'));
    } else if ((e?.status ?? e?.statusCode ?? 0) >= 400 && (e?.status ?? e?.statusCode ?? 0) < 500) {
      // Any other client error of body parsing (a gzip or br body that does not inflate, an aborted upload): the
      // status it chose, with our own words rather than the library's.
      sendOutcome(res, badRequest('The request body could not be read (is its Content-Encoding right?)'));
    } else {
      log.error({ err }, 'unhandled error');
      sendOutcome(res, serverErrorOutcome);
    }
  };
}
