/**
 * Traces of GraphQL over HTTP (docs/operations.md "Traces"): a `graphql.request` span per request (the HTTP
 * middleware, so everything the request runs is inside it), and from Apollo's hooks its `graphql.parse`,
 * `graphql.validate` and `graphql.execute` children; while the execution runs it is the current span, so
 * the SQL statements its resolvers and loaders send (src/warehouse/named-statements.ts) are its children.
 * Both are inert while tracing is off: the middleware calls `next()`, the plugin returns no hooks.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { tracing } from './tracing.js';

/** Operation names are client-chosen: kept when short and plain, else `other` (as on the metrics). */
const NAME = /^[A-Za-z0-9_]{1,64}$/;
const operationName = (name: string | null | undefined) => (name == null ? 'anonymous' : NAME.test(name) ? name : 'other');

export const requestTracing: RequestHandler = (req, res, next) => {
  const t = tracing();
  if (!t.enabled) return next();
  const span = t.start('graphql.request', { 'http.request.method': req.method });
  res.on('close', () => {
    span.setAttributes({ 'http.response.status_code': res.statusCode });
    span.end();
  });
  t.within(span, next);
};

export function tracingPlugin<C extends object>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      const t = tracing();
      const holder = t.holder();
      if (!t.enabled || !holder) return;
      const child = (name: string) => {
        const s = t.start(name);
        return async (err?: unknown) => {
          if (err) s.fail(err);
          s.end();
        };
      };
      return {
        async didResolveOperation(rc) {
          holder.current?.setAttributes({ 'graphql.operation.name': operationName(rc.operationName), 'graphql.operation.type': rc.operation?.operation ?? 'unknown' });
        },
        async parsingDidStart() {
          return child('graphql.parse');
        },
        async validationDidStart() {
          const end = child('graphql.validate');
          return async (errors?: readonly unknown[]) => end(errors?.[0]);
        },
        async executionDidStart() {
          const parent = holder.current;
          const exec = t.start('graphql.execute');
          holder.current = exec;
          return {
            async executionDidEnd(err) {
              if (err) exec.fail(err);
              exec.end();
              holder.current = parent;
            },
          };
        },
      };
    },
  };
}
