// Structured logs: one JSON object per line on stdout (stderr for warnings and errors).
import type { LogLevel } from '../config.ts';

const SEVERITY: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/** A logger that drops lines less severe than `level`. */
export function createLogger(level: LogLevel): Logger {
  const threshold = SEVERITY[level];
  const write = (lineLevel: Exclude<LogLevel, 'silent'>) => (message: string, fields?: LogFields) => {
    if (SEVERITY[lineLevel] < threshold) return;
    const line = JSON.stringify({ time: new Date().toISOString(), level: lineLevel, msg: message, ...fields });
    if (SEVERITY[lineLevel] >= SEVERITY.warn) console.error(line);
    else console.log(line);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}
