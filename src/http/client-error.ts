// Node's own refusals (malformed request line, headers too large) answered as FHIR: an OperationOutcome, not a bare status line. https://nodejs.org/api/http.html#event-clienterror
import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

const Reasons: Record<string, [number, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'The request headers are too large'],
  HPE_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not received in time'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'The request was not received in time'],
};

export function clientErrorResponse(code: string | undefined): string {
  const [status, reason, text] = Reasons[code ?? ''] ?? [400, 'Bad Request', 'The request is not valid HTTP'];
  const body = JSON.stringify({
    resourceType: 'OperationOutcome',
    issue: [{ severity: 'error', code: status === 408 ? 'timeout' : status === 431 ? 'too-costly' : 'structure', details: { text } }],
  });
  return `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/fhir+json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    // A reset or half-sent response leaves nothing to answer to.
    if (err.code === 'ECONNRESET' || !socket.writable || (socket as Duplex & { _httpMessage?: unknown })._httpMessage) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(err.code));
  });
}
