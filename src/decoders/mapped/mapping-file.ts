/**
 * The mapping file's shape, as a user writes it (docs/formats/mapped.md "The mapping file"). Read by the CLI,
 * validated and compiled once by compile-mapping.ts; the decoder only ever sees the compiled form.
 */
import type { Json } from '../../model/json.js';

/** How a number or string becomes a timestamp. */
export type TimeUnit = 'iso' | 'epoch-seconds' | 'epoch-millis';
export const TIME_UNITS: readonly TimeUnit[] = ['iso', 'epoch-seconds', 'epoch-millis'];

/** Steps applied, in order, to a string value (user names: `DOMAIN\alice`, `Alice@Corp` → `alice`). */
export type NormalizeStep = 'trim' | 'lowercase' | 'uppercase' | 'strip-domain' | 'strip-realm';
export const NORMALIZE_STEPS: readonly NormalizeStep[] = ['trim', 'lowercase', 'uppercase', 'strip-domain', 'strip-realm'];

/** A condition on the event: a JSONata expression that must evaluate to `true`, or a pointer equality. */
export type PredicateSpec = string | { readonly expr: string } | { readonly pointer: string; readonly equals: Json };

/**
 * How a field is computed: a JSONata expression (a bare string), a JSON pointer, a constant, or the first
 * matching case; then optionally converted (`time`) and normalised (`normalize`).
 */
export type ValueSpec =
  | string
  | {
      readonly expr?: string;
      readonly pointer?: string;
      readonly const?: Json;
      readonly cases?: readonly { readonly when: PredicateSpec; readonly value: ValueSpec }[];
      readonly default?: ValueSpec;
      readonly time?: TimeUnit;
      readonly normalize?: readonly NormalizeStep[];
    };

/** Events for which `when` holds are skipped, counted under `FILTERED:<reason>`. */
export interface DropSpec {
  readonly when: PredicateSpec;
  readonly reason: string;
}

export interface EventTypeSpec {
  /** The event type's name: kept in the stored event's `extra.eventType`. */
  readonly type: string;
  readonly match: PredicateSpec;
  readonly kind: 'activity' | 'change';
  readonly drop?: readonly DropSpec[];
  readonly fields: Readonly<Record<string, ValueSpec>>;
}

export interface MappingFile {
  /** Kept in each stored event's `extra.mapping`. */
  readonly name?: string;
  /** Filters applied to every event before its type is matched. */
  readonly drop?: readonly DropSpec[];
  /** Tried in order: the first type whose `match` holds maps the event. */
  readonly events: readonly EventTypeSpec[];
  /** An event no type matches: a dead letter (default) or a skip counted under `UNMATCHED`. */
  readonly unmatched?: 'dead-letter' | 'skip';
}
