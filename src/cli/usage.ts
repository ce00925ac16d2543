/**
 * The CLI's help (docs/configuration.md "Commands"): `auditql --help` prints the global page, `auditql
 * COMMAND --help` (or `auditql help COMMAND`) that command's own page. One entry per command in COMMANDS:
 * its synopsis lines (shown on both pages), a one-line summary, and the page's body (options, environment).
 */

export interface CommandHelp {
  /** Synopsis lines without the leading `auditql `, as many as the command has forms. */
  readonly usage: readonly string[];
  /** One line: what the command does. */
  readonly summary: string;
  /** The rest of the command's page: its options and environment, each line as printed. */
  readonly details: string;
}

const HEADER = 'auditql — who changed what, from what to what, when, and who did it';

const WAREHOUSE_ENV = `Environment:
  DATABASE_URL          the warehouse (default: embedded PostgreSQL under .auditql/)
  AUDITQL_DATA_DIR      where the embedded warehouse keeps its data (default .auditql)
  AUDITQL_LOG_LEVEL     debug, info, warn or error (default info; logs go to stderr)`;

const SERVE_ENV = `  PORT                  API port (default 4000)
  HOST                  interface the API binds to (default 127.0.0.1)
  AUDITQL_JWKS_URL, AUDITQL_JWT_PUBLIC_KEY, AUDITQL_JWT_ISSUER, AUDITQL_JWT_AUDIENCE, AUDITQL_JWT_ROLE_CLAIM
                        JWT bearer authentication (docs/security.md); API keys: auditql keys
  AUDITQL_AUTH=none     serve everyone anonymously (local use only; a warning at start and on /healthz)
  AUDITQL_POLICY        roles, table scopes and masking (JSON, docs/security.md); AUDITQL_MASK_KEY_FILE
  AUDITQL_ALLOWED_ORIGINS  browser origins allowed besides the API's own (CORS, WebSockets)
  AUDITQL_INTROSPECTION GraphQL introspection (default true)
  AUDITQL_FIREHOSE_ACCESS_KEY / AUDITQL_FIREHOSE_SOURCES
                        enable POST /ingest/firehose/:source (docs/sources/firehose.md)`;

const start: CommandHelp = {
  usage: ['start'],
  summary: 'migrate, ingest the configured sources, serve (npm start)',
  details: `${WAREHOUSE_ENV}
${SERVE_ENV}
  AUDITQL_INGEST        sources to run, each an \`auditql ingest\` argument list, separated by ';'
  AUDITQL_FORWARD       forwarders to run, each an \`auditql forward\` argument list, separated by ';'
  AUDITQL_DEMO          run the demo shop source and workload (default: only without DATABASE_URL)
  AUDITQL_RETENTION_DAYS  drop partitions older than this, checked twice a day (default: keep all)
  AUDITQL_COMPRESS_AFTER_DAYS  TimescaleDB only: compress chunks older than this (default: never)
  AUDITQL_SIGNING_KEY   ledger: sign checkpoints and retention events with this private key file
  AUDITQL_CHECKPOINT_ROWS, AUDITQL_CHECKPOINT_SECONDS  seal a checkpoint every N rows / T s (10000 / 30)
  AUDITQL_LEDGER_ORIGIN   the checkpoints' origin line (default: the key's name)
  AUDITQL_CHECKPOINT_DIR  also write every new checkpoint to DIR/<tree size>.checkpoint
  AUDITQL_CHECKPOINT_URL  also POST every new checkpoint to this URL (AUDITQL_CHECKPOINT_TOKEN_FILE: bearer token)

Takes no arguments. See docs/configuration.md.`,
};

const serve: CommandHelp = {
  usage: ['serve'],
  summary: 'GraphQL (+ GraphiQL, subscriptions) on http://HOST:PORT/graphql',
  details: `${WAREHOUSE_ENV}
${SERVE_ENV}

Takes no arguments. See docs/graphql.md.`,
};

const migrate: CommandHelp = {
  usage: ['migrate'],
  summary: 'bring the warehouse schema up to date',
  details: `${WAREHOUSE_ENV}
  AUDITQL_TIMESCALEDB   off: plain partitioning even where TimescaleDB is installed (first migration only)

Takes no arguments. See migrations/README.md.`,
};

const retention: CommandHelp = {
  usage: ['retention --keep-days N'],
  summary: 'drop daily partitions (TimescaleDB: chunks) older than N days',
  details: `Options:
  --keep-days N         keep the last N days (a whole number ≥ 1); older partitions are dropped whole

${WAREHOUSE_ENV}
  AUDITQL_SIGNING_KEY   ledger: sign a retention event for each dropped partition (docs/ledger.md)

See docs/warehouse.md "Partitions and retention".`,
};

const ingest: CommandHelp = {
  usage: [
    'ingest --from file [--format debezium|maxwell|das|pgaudit|pgoutput|mapped|auto] [--source NAME]\n' +
      '               [--mapping FILE] [--key DB_OR_SCHEMA.TABLE=COL[,COL]]... [--json] [--follow] FILE...',
    'ingest --from postgres --source-url URL --publication NAME --slot NAME [--create-slot]',
    'ingest --from kafka --brokers HOST:PORT,... --group ID --topic PATTERN=FORMAT ...',
    'ingest --from kinesis --stream NAME [--region R] [--endpoint URL] [--lease-ms N]',
    'ingest --from amqp --url amqp://... --queue NAME [--prefetch N]',
  ],
  summary: 'read a source into the warehouse',
  details: `Options:
  --from T              file, postgres, kafka, kinesis or amqp (required)
  --format F            record format (default auto: detected per record)
  --mapping FILE        --format mapped: how JSON events become activity or changes (docs/formats/mapped.md)
  --source NAME         stream name; dedupe and checkpoints are per source (default "default")
  --key T=C[,C]         which columns identify a row of table T when the record does not say; without it,
                        such a table is keyed by its whole row (ingest warns, naming the --key to pass)
  --json                print one summary line on stdout when a finite input ends
  --log-line-prefix P   pgAudit stderr logs: the server's log_line_prefix
  --server-log          pgAudit logs: also the server's own log_statement, connection and failed-login
                        messages (a server without pgAudit; docs/formats/pgaudit.md)
  --maxwell-key K       Maxwell encrypt=data|all: the encryption key
  --das-resource-id ID  DAS: the cluster resource id (KMS encryption context aws:rds:dbc-id)
  --context-prefix P    logical-message prefix carrying application context (default auditql)
  --server NAME         the database server these events are from; give every ingest of one server
                        the same NAME so attribution can join them (docs/attribution.md)
  --batch-size N        events per warehouse transaction (default 5000)
  --in-flight K         batches of different streams (files, Kafka partitions, Kinesis shards) written
                        side by side, each on its own connection; a stream's stay in order (1-8, default 1)

--from file:
  FILE...               JSON documents, arrays or JSON lines (records or kcat -J envelopes); pgAudit logs
  --follow              read the one FILE as it grows (a server log, like tail -F) until stopped

--from postgres (docs/sources/postgres.md):
  --source-url URL      the source database
  --publication NAME    the publication to read
  --slot NAME           the logical replication slot
  --create-slot         create the slot if it does not exist

--from kafka (docs/sources/kafka.md):
  --brokers H:P,...     the brokers (or AUDITQL_KAFKA_BROKERS)
  --group ID            the consumer group
  --topic PATTERN=FORMAT  repeatable; a topic name or /regex/, and its format (default auto)
  Kafka environment:
  AUDITQL_KAFKA_BROKERS                brokers when --brokers is not given
  AUDITQL_KAFKA_CLIENT_ID              kafkajs clientId (default auditql)
  AUDITQL_KAFKA_SSL                    TLS with the system CAs (default off; on when a file below is set)
  AUDITQL_KAFKA_SSL_CA_FILE            PEM file: a private CA
  AUDITQL_KAFKA_SSL_CERT_FILE, AUDITQL_KAFKA_SSL_KEY_FILE  PEM files: client certificate and key
  AUDITQL_KAFKA_SSL_REJECT_UNAUTHORIZED  verify the broker certificate (default true)
  AUDITQL_KAFKA_SASL_MECHANISM         plain, scram-sha-256 or scram-sha-512, with
  AUDITQL_KAFKA_SASL_USERNAME, AUDITQL_KAFKA_SASL_PASSWORD (both required)
  AUDITQL_KAFKA_FROM_BEGINNING         a new group starts at the earliest record (default true)
  AUDITQL_KAFKA_CONCURRENCY            partitions processed at once (default 8)
  AUDITQL_KAFKA_QUEUE_RECORDS          records queued between Kafka and the warehouse (default 10000)
  AUDITQL_KAFKA_TOPIC_REFRESH_MS       how often routes are matched against new topics; 0 = never (default 60000)

--from kinesis (docs/sources/kinesis.md):
  --stream NAME         the Kinesis data stream
  --region R            its region (default AWS_REGION)
  --endpoint URL        another endpoint (LocalStack, kinesalite, a VPC endpoint)
  --lease-ms N          shard lease time (default 30000)

--from amqp (docs/sources/amqp.md):
  --url amqp://...      the broker (or AUDITQL_AMQP_URL)
  --queue NAME          the queue to consume
  --prefetch N          unacknowledged messages in flight (default 1000)

${WAREHOUSE_ENV}
  AUDITQL_OUTAGE_LIMIT_S  seconds to wait out an unreachable warehouse or source (default: forever for
                        live sources, 300 for files)
  AUDITQL_METRICS_PORT  serve this process's metrics and probes on HOST:PORT
  AUDITQL_SIGNING_KEY   ledger: sign checkpoints with this private key file (auditql keygen)
  AUDITQL_CHECKPOINT_ROWS, AUDITQL_CHECKPOINT_SECONDS  seal a checkpoint every N rows / T s (10000 / 30)
  AWS_REGION, AWS_ENDPOINT_URL, AWS credentials   DAS (KMS data keys) and Kinesis

See docs/configuration.md "auditql ingest flags".`,
};

const installSource: CommandHelp = {
  usage: [
    'install-source --source-url URL [--context-prefix P] [--db-context --publication NAME] [--print]',
    'install-source --source-url URL --uninstall',
  ],
  summary: 'install auditql.set_actor (and the database-user context trigger) on a source database',
  details: `Options:
  --source-url URL      the SOURCE database (not the warehouse); required unless --print
  --context-prefix P    logical-message prefix of the context messages (default auditql)
  --db-context          also install a statement-level trigger that names the database user of every
                        transaction on the publication's tables
  --publication NAME    with --db-context: the publication whose tables get the trigger
  --print               write the SQL to stdout instead, for a DBA to review or run with psql
  --uninstall           remove the database-user context trigger (takes only --source-url)

Installing again replaces the functions and triggers. See docs/attribution.md.`,
};

const forward: CommandHelp = {
  usage: [
    'forward --name NAME --to splunk-hec|http|kafka|file [--url URL] [--dir DIR] [--token-file FILE]\n' +
      '        [--format ocsf|ecs|json] [--filter KEY=VALUE]... [--batch-size N] [--flush-ms MS]\n' +
      '        [--index INDEX] [--sourcetype TYPE] [--body lines|array] [--role ROLE]\n' +
      '        [--topic TOPIC] [--brokers HOST:PORT,...]',
  ],
  summary: 'push events to a SIEM from a durable cursor, at least once',
  details: `Options:
  --name NAME           the forwarder: its cursor is kept under this name (letters, digits, _ . -)
  --to D                splunk-hec, http, kafka or file
  --url URL             splunk-hec, http: the full endpoint URL
  --dir DIR             file: where the rotated files go
  --token-file FILE     the destination's token (or AUDITQL_FORWARD_TOKEN; never on the command line)
  --format F            ocsf (default), ecs or json
  --filter KEY=VALUE    only events matching (repeatable)
  --batch-size N        events per delivery (default 500)
  --flush-ms MS         deliver a partial batch after this long (default 1000)
  --index INDEX         splunk-hec: the index
  --sourcetype TYPE     splunk-hec: the sourcetype
  --body lines|array    http: JSON lines (default) or one JSON array
  --role ROLE           the policy role events are masked as (default siem; AUDITQL_POLICY)
  --topic TOPIC         kafka: the topic
  --brokers LIST        kafka: HOST:PORT,... (or AUDITQL_KAFKA_BROKERS; TLS/SASL from AUDITQL_KAFKA_*)

${WAREHOUSE_ENV}
  AUDITQL_FORWARD_TOKEN the destination's token when --token-file is not given
  AUDITQL_METRICS_PORT  serve this process's metrics (auditql_forwarder_*) and probes on HOST:PORT

Runs until SIGTERM/SIGINT. See docs/siem.md.`,
};

const keygen: CommandHelp = {
  usage: ['keygen FILE [--name NAME]'],
  summary: 'an Ed25519 signing key to FILE (0600), its public key to FILE.pub',
  details: `Options:
  --name NAME           the key's name (the checkpoints' default origin line)

Point AUDITQL_SIGNING_KEY at FILE to sign checkpoints and retention events. See docs/ledger.md.`,
};

const verify: CommandHelp = {
  usage: ['verify [--checkpoint FILE]... [--from SEQ] [--public-key FILE.pub]... [--json]'],
  summary: 'recompute the ledger from the rows; exit 0 only when intact',
  details: `Options:
  --checkpoint FILE     also hold the log against this signed checkpoint (repeatable)
  --from SEQ            start at this feed sequence number
  --public-key FILE.pub  trust checkpoints signed by this key (repeatable)
  --json                print the result as one JSON line

${WAREHOUSE_ENV}

Each divergence names its seq. See docs/ledger.md "Verification".`,
};

const verifyProof: CommandHelp = {
  usage: ['verify-proof [--public-key FILE.pub]... [--checkpoint FILE] PROOF.json'],
  summary: 'check an inclusion or consistency proof (no warehouse needed)',
  details: `Options:
  --public-key FILE.pub  trust checkpoints signed by this key (repeatable)
  --checkpoint FILE     the signed checkpoint the proof is against

See docs/ledger.md.`,
};

const checkpoints: CommandHelp = {
  usage: ['checkpoints export [--after SIZE] [--latest] [--out FILE]'],
  summary: 'the signed checkpoints (C2SP notes), oldest first',
  details: `Options:
  --after SIZE          only checkpoints of a larger tree
  --latest              only the newest
  --out FILE            write to FILE instead of stdout

${WAREHOUSE_ENV}

See docs/ledger.md.`,
};

const keys: CommandHelp = {
  usage: ['keys create --role ROLE --name NAME [--json]', 'keys list [--json]', 'keys revoke NAME'],
  summary: 'API keys for service accounts: create (printed once), list, revoke',
  details: `Options:
  --role ROLE           create: a role of the policy (built in: admin, auditor, analyst, siem; docs/security.md)
  --name NAME           create: the key's name; revoke takes it as its argument
  --json                create: print {"key": ...}; list: one JSON document

${WAREHOUSE_ENV}

Only a key's scrypt hash is stored. See docs/security.md "API keys".`,
};

/** Every command, in the order the global page lists them. */
export const COMMANDS: Readonly<Record<string, CommandHelp>> = Object.freeze({
  start,
  serve,
  migrate,
  retention,
  ingest,
  forward,
  keygen,
  verify,
  'verify-proof': verifyProof,
  checkpoints,
  'install-source': installSource,
  keys,
});

const synopsis = (c: CommandHelp) => c.usage.map((u) => `  auditql ${u}`).join('\n');

/** `auditql --help`: every command's synopsis and summary, and the core environment. */
export function globalUsage(): string {
  const lines = Object.values(COMMANDS).map((c) => `${synopsis(c)}\n      ${c.summary}`);
  return `${HEADER}

Usage:
${lines.join('\n')}
  auditql COMMAND --help
      that command's options and environment

${WAREHOUSE_ENV}
  PORT                  API port (default 4000)
`;
}

/** `auditql COMMAND --help`: the command's own page; undefined for an unknown command. */
export function commandUsage(name: string): string | undefined {
  const c = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!c) return undefined;
  return `auditql ${name} — ${c.summary}

Usage:
${synopsis(c)}

${c.details}
`;
}
