/**
 * pino JSON to stdout: under systemd that is the journal. One line per
 * decision that matters, with tap, MAC and addresses as fields.
 */
import pino, { type Logger } from 'pino';

export function createLogger(level: string, destination: pino.DestinationStream | number = 1): Logger {
  return pino(
    {
      level,
      base: { svc: 'onlinkd' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    typeof destination === 'number' ? pino.destination({ dest: destination, sync: false }) : destination,
  );
}
