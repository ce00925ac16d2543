/** The `auditql` binary (docs/configuration.md "Commands"). Exit codes: 0 ok, 1 failure, 2 bad usage or configuration. */
import 'reflect-metadata';
import { AuditqlError, ErrorCode } from '../errors.js';
import { loadEnv } from '../config/env.js';
import { stderrLogger } from '../log.js';
import { commandUsage, globalUsage } from './usage.js';
import { migrateCommand } from './commands/migrate.js';
import { parseIngestArgs } from './commands/ingest-options.js';
import { ingestFileCommand } from './commands/ingest-file.js';

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
  const log = stderrLogger(env.logLevel);
  switch (command) {
    case 'migrate':
      return migrateCommand(env, log);
    case 'ingest': {
      const o = parseIngestArgs(rest);
      if (o.from === 'file') return ingestFileCommand(env, o, log);
      const { ingestLiveCommand } = await import('./commands/ingest-live.js');
      return ingestLiveCommand(env, o, log);
    }
    case 'retention': {
      const { retentionCommand } = await import('./commands/retention.js');
      return retentionCommand(env, rest, log);
    }
    case 'serve': {
      const { serveCommand } = await import('./commands/serve.js');
      return serveCommand(env, log);
    }
    case 'install-source': {
      const { installSourceCommand } = await import('./commands/install-source.js');
      return installSourceCommand(rest, log);
    }
    case 'start': {
      const { startCommand } = await import('./commands/start.js');
      return startCommand(env, log);
    }
    default:
      throw new AuditqlError(ErrorCode.BAD_CONFIG, `unknown command ${JSON.stringify(command)}; run auditql --help`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    if (err instanceof AuditqlError) {
      process.stderr.write(`auditql: error: ${err.message} [${err.code}]\n`);
      process.exitCode = USAGE_CODES.has(err.code) ? 2 : 1;
    } else {
      process.stderr.write(`auditql: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  },
);
