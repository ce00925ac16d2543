/**
 * The OCSF schema version and the class and enum values auditql emits (docs/siem.md "OCSF"). Targets
 * OCSF 1.3.0 (github.com/ocsf/ocsf-schema: events/application/datastore_activity.json,
 * events/iam/authentication.json, objects/ and dictionary.json); test/fixtures/ocsf/ holds the class
 * definitions the output is validated against.
 */
export const OCSF_VERSION = '1.3.0';

export const DATASTORE_ACTIVITY = Object.freeze({ classUid: 6005, className: 'Datastore Activity', categoryUid: 6, categoryName: 'Application Activity' });
export const AUTHENTICATION = Object.freeze({ classUid: 3002, className: 'Authentication', categoryUid: 3, categoryName: 'Identity & Access Management' });

/** Datastore Activity `activity_id`. */
export const DatastoreActivityId = Object.freeze({ Read: 1, Update: 2, Connect: 3, Query: 4, Write: 5, Create: 6, Delete: 7, Other: 99 });
export type DatastoreActivityName = keyof typeof DatastoreActivityId;

/** Authentication `activity_id`. */
export const AuthenticationActivityId = Object.freeze({ Logon: 1, Logoff: 2, Other: 99 });
export type AuthenticationActivityName = keyof typeof AuthenticationActivityId;

/** Base event `status_id`. */
export const StatusId = Object.freeze({ Success: 1, Failure: 2 });

/** Base event `severity_id`: ordinary audit is informational; a failed statement low; a failed login medium. */
export const SeverityId = Object.freeze({ Informational: 1, Low: 2, Medium: 3 });

/** Datastore Activity `type_id` (the datastore resource type). */
export const DatastoreTypeId = Object.freeze({ Database: 1, Table: 3 });

/** `database.type_id`: every source auditql reads is a relational database. */
export const DATABASE_RELATIONAL = Object.freeze({ type: 'Relational', type_id: 1 });

export const typeUid = (classUid: number, activityId: number): number => classUid * 100 + activityId;
