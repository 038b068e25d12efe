// Structured process log (pino) that never carries personal data: HETUs are masked wherever they appear.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

/** Finnish personal identity code: DDMMYY, century sign, individual number, check character. */
const HETU = /\b\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]\b/g;

export function maskHetu(text: string): string {
  return text.replace(HETU, '******-****');
}

/** `pretty`: human-readable lines for the demo (written synchronously, so a fatal line survives exit); production stays JSON. */
export function createLogger(level: string, options: { pretty?: boolean } = {}): Logger {
  const stream = options.pretty ? pretty({ sync: true, colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', singleLine: true }) : undefined;
  return pino({
    level,
    redact: { paths: ['req.headers.authorization', 'authorization', 'name', '*.name', 'hetu', '*.hetu', 'patient', '*.patient'], censor: '[redacted]' },
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((a) => (typeof a === 'string' ? maskHetu(a) : a)) as Parameters<typeof method>);
      },
    },
  }, stream);
}
