export const USAGE = `auditql — who changed what, from what to what, when, and who did it

Usage:
  auditql start                     migrate, ingest the configured sources, serve (npm start)
  auditql serve                     GraphQL (+ GraphiQL, subscriptions) on http://HOST:PORT/graphql
  auditql migrate                   bring the warehouse schema up to date
  auditql retention --keep-days N   drop daily partitions older than N days
  auditql ingest --from file [--format debezium|maxwell|das|pgaudit|pgoutput|mapped|auto] [--source NAME]
                 [--mapping FILE] [--key DB_OR_SCHEMA.TABLE=COL[,COL]]... [--json] FILE...
  auditql ingest --from postgres --source-url URL --publication NAME --slot NAME [--create-slot]
  auditql ingest --from kafka --brokers HOST:PORT,... --group ID --topic PATTERN=FORMAT ...
  auditql ingest --from kinesis --stream NAME [--region R] [--endpoint URL] [--lease-ms N]
  auditql ingest --from amqp --url amqp://... --queue NAME [--prefetch N]
  auditql forward --name NAME --to splunk-hec|http|file [--url URL] [--dir DIR] [--token-file FILE]
          [--format ocsf|ecs|json] [--filter KEY=VALUE]... [--batch-size N] [--flush-ms MS]
          [--index INDEX] [--sourcetype TYPE] [--body lines|array]
                                   push events to a SIEM from a durable cursor, at least once (docs/siem.md);
                                   the token from --token-file or AUDITQL_FORWARD_TOKEN, never the command line
  auditql keygen FILE [--name NAME] Ed25519 signing key to FILE (0600), public key to FILE.pub
  auditql verify [--checkpoint FILE]... [--from SEQ] [--public-key FILE.pub]... [--json]
                                    recompute the ledger from the rows; exit 0 only when intact
  auditql verify-proof [--public-key FILE.pub]... [--checkpoint FILE] PROOF.json
                                    check an inclusion or consistency proof (no warehouse needed)
  auditql checkpoints export [--after SIZE] [--latest] [--out FILE]
                                    the signed checkpoints (C2SP notes), oldest first
  auditql install-source --source-url URL [--context-prefix P] [--db-context --publication NAME] [--print]
                                    install auditql.set_actor(actor, context) on a source database;
                                    --db-context: also name the database user of every transaction
  auditql install-source --source-url URL --uninstall
                                    remove the database-user context trigger
  auditql keys create --role ROLE --name NAME [--json]
                                    create an API key (printed once; --json prints {"key": ...})
  auditql keys list [--json]        API keys: name, role, created, last used, revoked
  auditql keys revoke NAME          revoke the live key of that name

Ingest options:
  --format F            record format (default auto: detected per record)
  --mapping FILE        --format mapped: how JSON events become activity or changes (docs/formats/mapped.md)
  --source NAME         stream name; dedupe and checkpoints are per source (default "default")
  --key T=C[,C]         which columns identify a row of table T when the record does not say
  --json                print one summary line on stdout when a finite input ends
  --log-line-prefix P   pgAudit stderr logs: the server's log_line_prefix
  --maxwell-key K       Maxwell encrypt=data|all: the encryption key
  --das-resource-id ID  DAS: the cluster resource id (KMS encryption context aws:rds:dbc-id)
  --context-prefix P    logical-message prefix carrying application context (default auditql)
  --server NAME         the database server these events are from; give every ingest of one server
                        the same NAME so attribution can join them (docs/attribution.md)
  --batch-size N        events per warehouse transaction (default 5000)

Environment:
  DATABASE_URL          the warehouse (default: embedded PostgreSQL under .auditql/)
  PORT                  API port (default 4000)
  AUDITQL_JWKS_URL, AUDITQL_JWT_PUBLIC_KEY, AUDITQL_JWT_ISSUER, AUDITQL_JWT_AUDIENCE, AUDITQL_JWT_ROLE_CLAIM
                        JWT bearer authentication (docs/security.md); API keys: auditql keys
  AUDITQL_AUTH=none     serve everyone anonymously (local use only; a warning at start and on /healthz)
  AUDITQL_POLICY        roles, table scopes and masking (JSON, docs/security.md); AUDITQL_MASK_KEY_FILE
  AUDITQL_ALLOWED_ORIGINS  browser origins allowed besides the API's own (CORS, WebSockets)
  AUDITQL_RETENTION_DAYS  start: drop partitions older than this, daily (default: keep all)
  AUDITQL_OUTAGE_LIMIT_S  ingest: seconds to wait out an unreachable warehouse or source, or forever
                        (default: forever for live sources, 300 for files)
  AUDITQL_SIGNING_KEY   ledger: the private key file checkpoints and retention events are signed with
  AUDITQL_CHECKPOINT_ROWS, AUDITQL_CHECKPOINT_SECONDS  seal a checkpoint every N rows / T s (10000 / 30)
  AUDITQL_LEDGER_ORIGIN   the checkpoints' origin line (default: the key's name)
  AUDITQL_CHECKPOINT_DIR  also write every new checkpoint to DIR/<tree size>.checkpoint
`;
