/**
 * Example GraphQL documents for the questions auditql answers (docs/architecture.md "Who uses it"). GraphiQL opens
 * with them preloaded (src/graphql/graphiql.ts) and `auditql start` can print them. Each example is one
 * named operation with its variables, so it runs as-is against the demo warehouse. Time windows are
 * relative to `now`, so the examples stay useful on any day.
 */

import type { ExampleHints } from '../warehouse/queries/example-hints.js';

export interface Example {
  /** Short title: the tab name in GraphiQL and the heading when printed. */
  readonly title: string;
  /** The question it answers, in an analyst's words. */
  readonly question: string;
  readonly query: string;
  readonly variables: Readonly<Record<string, unknown>>;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export type { ExampleHints } from '../warehouse/queries/example-hints.js';

const ACTOR = 'actor { dbUser appUser remoteHost clientApplication confidence evidence { source confidence } }';

const ENTITY_HISTORY = `query EntityHistory($table: String!, $key: JSON!, $first: Int) {
  entityHistory(table: $table, key: $key, first: $first) {
    edges {
      cursor
      node {
        operation
        committedAt
        fieldChanges { field oldValue newValue }
        ${ACTOR}
        transaction { id }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const WHO_CHANGED = `query WhoChanged($table: String!, $key: JSON, $field: String, $since: DateTime) {
  whoChanged(table: $table, key: $key, field: $field, since: $since, first: 20) {
    edges {
      node {
        committedAt
        key
        fieldChanges { field oldValue newValue }
        ${ACTOR}
      }
    }
  }
}`;

const ACTIVITY_BY_USER = `query ActivityByUser($user: String!, $since: DateTime, $until: DateTime, $classes: [String!]) {
  activityByUser(user: $user, since: $since, until: $until, classes: $classes, first: 50) {
    edges {
      node {
        occurredAt
        class
        command
        objectName
        commandText
        remoteHost
        clientApplication
        rowCount
        errorMessage
        transactionId
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

const ENTITY_AT = `query EntityAt($table: String!, $key: JSON!, $at: DateTime!) {
  entityAt(table: $table, key: $key, at: $at)
}`;

const TRANSACTION = `# Copy a transaction id from a change's \`transaction { id }\` (e.g. in the EntityHistory tab).
query Transaction($id: String!) {
  transaction(id: $id) {
    id
    server
    committedAt
    appUser
    changeCount
    changes(first: 50) {
      nodes { table key operation fieldChanges { field oldValue newValue } }
    }
    activity(first: 50) {
      nodes { class command commandText dbUser remoteHost }
    }
  }
}`;

const RECENT_DELETES = `query RecentDeletes($since: DateTime) {
  changes(filter: { operations: [DELETE], since: $since }, first: 20) {
    nodes {
      committedAt
      database
      table
      key
      before
      ${ACTOR}
    }
    pageInfo { hasNextPage endCursor }
  }
}`;

/**
 * The examples, with time windows relative to `now`. With `hints`, the transaction is one that exists and
 * "as of" lies inside the history kept (an hour ago, or halfway back on a younger warehouse).
 */
export function examples(now: Date = new Date(), hints?: ExampleHints): readonly Example[] {
  const daysAgo = (n: number) => new Date(now.getTime() - n * DAY_MS).toISOString();
  const earliest = hints?.earliest?.getTime();
  const back = earliest !== undefined && now.getTime() - earliest < 2 * HOUR_MS ? Math.max(1000, (now.getTime() - earliest) / 2) : HOUR_MS;
  return [
    {
      title: 'Entity history',
      question: 'What happened to customer 1001, newest first, and who did it?',
      query: ENTITY_HISTORY,
      variables: { table: 'customers', key: { id: 1001 }, first: 20 },
    },
    {
      title: 'Who changed a field',
      question: "Who changed customer 1001's email in the last week?",
      query: WHO_CHANGED,
      variables: { table: 'customers', key: { id: 1001 }, field: 'email', since: daysAgo(7) },
    },
    {
      title: 'Activity by user',
      question: 'What did bob write or alter in the last day, and did any of his logins fail?',
      query: ACTIVITY_BY_USER,
      variables: { user: 'bob', since: daysAgo(1), classes: ['WRITE', 'DDL', 'AUTH_FAILURE'] },
    },
    {
      title: 'Entity as of a time',
      question: back === HOUR_MS ? 'What did customer 1001 look like an hour ago?' : 'What did customer 1001 look like earlier on?',
      query: ENTITY_AT,
      variables: { table: 'customers', key: { id: 1001 }, at: new Date(now.getTime() - back).toISOString() },
    },
    {
      title: 'A transaction',
      question: 'Everything one transaction changed, and the statements behind it.',
      query: TRANSACTION,
      variables: { id: hints?.transactionId ?? '571' },
    },
    {
      title: 'Recent deletes',
      question: 'Which rows were deleted today, and by whom?',
      query: RECENT_DELETES,
      variables: { since: daysAgo(1) },
    },
  ];
}

/** The first tab: a commented menu of the other tabs above the first example, so "run" works at once. */
export function welcomeDocument(list: readonly Example[] = examples()): string {
  const menu = list.map((e, i) => `#   ${i + 1}. ${e.title}: ${e.question}`).join('\n');
  return (
    `# Welcome to auditql: who changed what, from what to what, when.\n#\n` +
    `# Example queries (this tab runs 1; the others each have a tab of their own, variables included):\n${menu}\n#\n` +
    `# Press Ctrl-Enter (Cmd-Enter) to run. Cursors from \`pageInfo.endCursor\` go into \`after\`.\n\n` +
    (list[0]?.query ?? '{ __typename }') + '\n'
  );
}

/** All examples as plain text, for `auditql start` to print. */
export function formatExamples(list: readonly Example[] = examples()): string {
  return list
    .map((e) => `# ${e.title}: ${e.question}\n${e.query}\n# variables: ${JSON.stringify(e.variables)}\n`)
    .join('\n');
}
