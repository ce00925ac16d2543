/**
 * graphql-js, loaded exactly as Node loads it for Apollo, type-graphql and graphql-scalars (the package's
 * CommonJS `main`). graphql ships a CommonJS and an ES build without an `exports` map; a tool that prefers
 * the `module` field (vitest's resolver does) would otherwise hand this folder the ES build while our
 * dependencies use the CommonJS one — two realms, and `instanceof GraphQLSchema`/`GraphQLError` fail
 * between them. Values come from here; types may still be imported from 'graphql'.
 */
import { createRequire } from 'node:module';

export const graphqlJs = createRequire(import.meta.url)('graphql') as typeof import('graphql');
