/** The CLI process's logger: stderr, the configured level and format, this process's secrets scrubbed. */
import { stderrLogger, type Level, type Logger } from '../log.js';
import { logFormatFrom } from './config.js';
import { secretsFromEnv } from './secrets.js';

export function cliLogger(level: Level, env: NodeJS.ProcessEnv = process.env): Logger {
  return stderrLogger(level, undefined, { format: logFormatFrom(env, Boolean(process.stderr.isTTY)), secrets: secretsFromEnv(env) });
}
