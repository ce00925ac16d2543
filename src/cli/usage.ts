export const USAGE = `auditql — who changed what, from what to what, when, and who did it

Usage:
  auditql start                     migrate, ingest the configured sources, serve (npm start)
  auditql serve                     GraphQL (+ GraphiQL, subscriptions) on http://HOST:PORT/graphql
  auditql migrate                   bring the warehouse schema up to date
  auditql retention --keep-days N   drop daily partitions older than N days
  auditql ingest --from file [--format debezium|maxwell|das|pgaudit|pgoutput|auto] [--source NAME]
                 [--key DB_OR_SCHEMA.TABLE=COL[,COL]]... [--json] FILE...
  auditql ingest --from postgres --source-url URL --publication NAME --slot NAME [--create-slot]
  auditql ingest --from kafka --brokers HOST:PORT,... --group ID --topic PATTERN=FORMAT ...
  auditql install-source --source-url URL [--context-prefix P] [--db-context --publication NAME] [--print]
                                    install auditql.set_actor(actor, context) on a source database;
                                    --db-context: also name the database user of every transaction
  auditql install-source --source-url URL --uninstall
                                    remove the database-user context trigger

Ingest options:
  --format F            record format (default auto: detected per record)
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
  AUDITQL_RETENTION_DAYS  start: drop partitions older than this, daily (default: keep all)
  AUDITQL_COMPRESS_AFTER_DAYS  start, TimescaleDB only: compress chunks older than this
`;
