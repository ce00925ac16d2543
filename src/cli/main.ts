/** The `auditql` binary (docs/configuration.md "Commands"). Exit codes (README "Exit status"): 0 ok or stopped by SIGTERM/SIGINT, 1 failure, 2 bad usage or configuration. */
import 'reflect-metadata';
import { AuditqlError, ErrorCode } from '../errors.js';
import { loadEnv } from '../config/env.js';
import { redactor } from '../log/redact.js';
import { cliLogger } from '../log/cli-logger.js';
import { logFormatFrom } from '../log/config.js';
import { secretsFromEnv } from '../log/secrets.js';
import { commandUsage, globalUsage } from './usage.js';
import { migrateCommand } from './commands/migrate.js';
import { parseIngestArgs } from './commands/ingest-options.js';
import { ingestFileCommand } from './commands/ingest-file.js';
import { ingestMetricsEndpoint } from './commands/metrics-endpoint.js';
import { otlpEndpoint, startTracing, stopTracing } from '../trace/tracing.js';
import { onShutdown } from '../lifecycle.js';

const USAGE_CODES = new Set<string>([ErrorCode.BAD_CONFIG, ErrorCode.UNKNOWN_FORMAT]);
/** Commands configured only by the environment: an argument is a mistake (`serve --port 5000` would be ignored). */
const NO_ARGUMENTS = new Set(['migrate', 'serve', 'start']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === 'help' || argv.includes('--help') || argv.includes('-h')) {
    // `auditql --help`: the global page; `auditql COMMAND --help` / `auditql help COMMAND`: the command's own
    const topic = command === 'help' ? rest[0] : command?.startsWith('-') ? undefined : command;
    const page = topic === undefined ? globalUsage() : commandUsage(topic);
    if (page === undefined) throw new AuditqlError(ErrorCode.BAD_CONFIG, `unknown command ${JSON.stringify(topic)}; run auditql --help`);
    process.stdout.write(page);
    return command ? 0 : 2;
  }
  if (NO_ARGUMENTS.has(command) && rest.length > 0) {
    throw new AuditqlError(
      ErrorCode.BAD_CONFIG,
      `auditql ${command} takes no arguments (got ${JSON.stringify(rest.join(' '))}); it is configured by environment variables: run auditql ${command} --help`,
    );
  }
  const env = loadEnv();
  const log = cliLogger(env.logLevel);
  if (otlpEndpoint() !== null) {
    // Only now is the OpenTelemetry SDK loaded (docs/operations.md "Traces"); a signal's stop exports what is buffered.
    await startTracing();
    onShutdown(stopTracing);
  }
  switch (command) {
    case 'migrate':
      return migrateCommand(env, log);
    case 'ingest': {
      const o = parseIngestArgs(rest);
      const metrics = await ingestMetricsEndpoint(env, log);
      try {
        if (o.from === 'file') return await ingestFileCommand(env, o, log);
        const { ingestLiveCommand } = await import('./commands/ingest-live.js');
        return await ingestLiveCommand(env, o, log);
      } finally {
        await metrics?.close();
      }
    }
    case 'retention': {
      const { retentionCommand } = await import('./commands/retention.js');
      return retentionCommand(env, rest, log);
    }
    case 'serve': {
      const { serveCommand } = await import('./commands/serve.js');
      return serveCommand(env, log);
    }
    case 'keys': {
      const { keysCommand } = await import('./commands/keys.js');
      return keysCommand(env, rest, log);
    }
    case 'install-source': {
      const { installSourceCommand } = await import('./commands/install-source.js');
      return installSourceCommand(rest, log);
    }
    case 'keygen': {
      const { keygenCommand } = await import('./commands/ledger/keygen.js');
      return keygenCommand(rest, log);
    }
    case 'verify': {
      const { verifyCommand } = await import('./commands/ledger/verify.js');
      return verifyCommand(env, rest, log);
    }
    case 'verify-proof': {
      const { verifyProofCommand } = await import('./commands/ledger/verify-proof.js');
      return verifyProofCommand(rest);
    }
    case 'checkpoints': {
      const { checkpointsCommand } = await import('./commands/ledger/checkpoints.js');
      return checkpointsCommand(env, rest, log);
    }
    case 'forward': {
      const { forwardCommand } = await import('./commands/forward.js');
      return forwardCommand(env, rest, log);
    }
    case 'start': {
      const { startCommand } = await import('./commands/start.js');
      return startCommand(env, log);
    }
    default:
      throw new AuditqlError(ErrorCode.BAD_CONFIG, `unknown command ${JSON.stringify(command)}; run auditql --help`);
  }
}

/**
 * A failure that ended the command: one JSON record when logs are JSON (an unreadable AUDITQL_LOG_FORMAT
 * falls back to text), else the `auditql: error: …` line scripts match.
 */
function reportFailure(message: string, code: string): void {
  let json = false;
  try {
    json = logFormatFrom(process.env, Boolean(process.stderr.isTTY)) === 'json';
  } catch {
    // reported as the failure itself
  }
  if (json) cliLogger('error').error(message, { code });
  else process.stderr.write(redactor(secretsFromEnv())(`auditql: ${message}`) + '\n');
}

main(process.argv.slice(2)).finally(() => stopTracing().catch(() => {})).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof AuditqlError) {
      reportFailure(`error: ${err.message} [${err.code}]`, err.code);
      process.exitCode = USAGE_CODES.has(err.code) ? 2 : 1;
    } else {
      reportFailure(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, ErrorCode.INTERNAL);
      process.exitCode = 1;
    }
  },
);
