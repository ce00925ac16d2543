/**
 * Database Activity Streams payloads as they enter auditql, typed where they are parsed.
 *
 * Sources (summarized in docs/formats/das.md "Source facts"):
 * - AUR: github.com/awsdocs/amazon-aurora-user-guide `doc_source/DBActivityStreams.Monitoring.md`, live at
 *   https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/DBActivityStreams.AuditLog.html and
 *   `...DBActivityStreams.AuditLog.databaseActivityEventList.html` (Aurora PostgreSQL and MySQL fields).
 * - RDS: github.com/awsdocs/amazon-rds-user-guide `doc_source/DBActivityStreams.Monitoring.md`, live at
 *   https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/DBActivityStreams.AuditLog.html (Oracle, SQL Server).
 *
 * Every field is optional and loosely typed on purpose: fields added in a later version are absent in
 * earlier records, engines disagree on types (`exitCode` is an int on PostgreSQL, a string on MySQL;
 * `statementId` is a hex string on SQL Server), and AWS warns that new fields may appear. Readers narrow
 * with the helpers in `values.ts`; unknown fields are ignored.
 */

/** The Kinesis record (AUR/RDS "DatabaseActivityMonitoringRecords JSON object"). */
export interface DasKinesisRecord {
  /** Always `DatabaseActivityMonitoringRecords`. */
  readonly type?: unknown;
  /** `1.0`–`1.4`: which fields the events carry (see `DasActivityEvent`). */
  readonly version?: unknown;
  /**
   * Real records: base64 of an AWS Encryption SDK message whose plaintext is the gzip of a
   * `DasActivityRecord`. The AWS doc samples put the decrypted record object here instead.
   */
  readonly databaseActivityEvents?: unknown;
  /** base64 of the KMS-encrypted data key (doc samples: the literal `decryption-key`). */
  readonly key?: unknown;
}

/** The decrypted payload (AUR "databaseActivityEvents JSON Object"). */
export interface DasActivityRecord {
  /** Always `DatabaseActivityMonitoringRecord`. */
  readonly type?: unknown;
  /** DbClusterResourceId (`cluster-…`); `""` for RDS instances; absent in one Aurora MySQL AUX sample. */
  readonly clusterId?: unknown;
  /** DbiResourceId (`db-…`). */
  readonly instanceId?: unknown;
  /** Activity events and heartbeats. */
  readonly databaseActivityEventList?: unknown;
}

/**
 * One entry of `databaseActivityEventList` (AUR/RDS "databaseActivityEventList JSON array").
 * Version notes: 1.1 adds `errorMessage`, `startTime`; 1.2 (Aurora MySQL) adds `endTime`,
 * `transactionId`; 1.3 (RDS Oracle) and 1.4 (RDS SQL Server) add `engineNativeAuditFields`; Oracle adds `dbid`.
 */
export interface DasActivityEvent {
  /** `record` or `heartbeat`. Oracle doc samples omit it (read as `record`). */
  readonly type?: unknown;
  /**
   * PostgreSQL: ALL, CONNECT, DDL, FUNCTION, MISC, NONE, READ, ROLE, WRITE. MySQL: MAIN or AUX.
   * Oracle: the UNIFIED_AUDIT_TRAIL AUDIT_TYPE (`Standard`, `FineGrainedAudit`, …). SQL Server: the audited
   * object class (`TABLE`, `LOGIN`, `SCHEMA`, …).
   */
  readonly class?: unknown;
  readonly clientApplication?: unknown;
  /** PostgreSQL: the SQL command name. MySQL MAIN: CONNECT, QUERY, DISCONNECT…; AUX: READ, WRITE, CREATE…. */
  readonly command?: unknown;
  /** The SQL (passwords redacted). MySQL escapes quotes with backslashes; null or `""` for connects. */
  readonly commandText?: unknown;
  readonly databaseName?: unknown;
  readonly dbProtocol?: unknown;
  readonly dbUserName?: unknown;
  /** Oracle: the database id (number or string). */
  readonly dbid?: unknown;
  /** 1.2+: statement end, `YYYY-MM-DD hh:mm:ss.ffffff+00`. */
  readonly endTime?: unknown;
  /** 1.3+: Oracle UNIFIED_AUDIT_TRAIL columns or SQL Server sys.fn_get_audit_file columns. */
  readonly engineNativeAuditFields?: unknown;
  /** 1.1+: server error text; null (PostgreSQL) or `""` (MySQL) without an error. */
  readonly errorMessage?: unknown;
  /**
   * PostgreSQL: session exit code, or the SQLSTATE of an error. MySQL: error number as a string (`"0"`, `""`).
   * Oracle: RETURN_CODE (ORA- number, 0 = success). SQL Server: `succeeded` (1 = success, 0 = failure).
   */
  readonly exitCode?: unknown;
  /** Audit time ≈ statement end, `YYYY-MM-DD hh:mm:ss.ffffff+00` (Oracle: no zone, UTC; SQL Server: 7 digits). */
  readonly logTime?: unknown;
  readonly netProtocol?: unknown;
  readonly objectName?: unknown;
  readonly objectType?: unknown;
  /** Bind values as strings (PostgreSQL, Oracle); null on MySQL and SQL Server. */
  readonly paramList?: unknown;
  readonly pid?: unknown;
  readonly remoteHost?: unknown;
  readonly remotePort?: unknown;
  readonly rowCount?: unknown;
  readonly serverHost?: unknown;
  readonly serverType?: unknown;
  readonly serverVersion?: unknown;
  readonly serviceName?: unknown;
  readonly sessionId?: unknown;
  /** 1.1+: statement start. */
  readonly startTime?: unknown;
  readonly statementId?: unknown;
  readonly substatementId?: unknown;
  /** 1.2+: string; `"0"` (MySQL) or `"0000000000000000"` (Oracle) when there is none. */
  readonly transactionId?: unknown;
}

/** The field names above: what a DAS event may hold (others may be added by AWS; see `isBareEvent`). */
export const DAS_EVENT_FIELDS: ReadonlySet<string> = new Set([
  'type', 'class', 'clientApplication', 'command', 'commandText', 'databaseName', 'dbProtocol', 'dbUserName', 'dbid',
  'endTime', 'engineNativeAuditFields', 'errorMessage', 'exitCode', 'logTime', 'netProtocol', 'objectName', 'objectType',
  'paramList', 'pid', 'remoteHost', 'remotePort', 'rowCount', 'serverHost', 'serverType', 'serverVersion', 'serviceName',
  'sessionId', 'startTime', 'statementId', 'substatementId', 'transactionId',
]);

export const KINESIS_RECORD_TYPE = 'DatabaseActivityMonitoringRecords';
export const ACTIVITY_RECORD_TYPE = 'DatabaseActivityMonitoringRecord';
export const HEARTBEAT_TYPE = 'heartbeat';
