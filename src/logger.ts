// Structured process log (pino) that never carries personal data: HETUs are masked wherever they appear.
import { pino, type Logger } from 'pino';

/** Finnish personal identity code: DDMMYY, century sign, individual number, check character. */
const HETU = /\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b/g;

export function maskHetu(text: string): string {
  return text.replace(HETU, '******-****');
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'authorization', 'name', '*.name', 'hetu', '*.hetu', 'patient', '*.patient'], censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskHetu(a) : a)) as Parameters<typeof method>);
      },
    },
  });
}
