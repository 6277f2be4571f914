// Two validators: bodies are checked strictly (no type coercion, unknown fields refused),
// while query strings and path params coerce "10" to 10 as HTTP needs. Both know the
// schemas' own formats, whose checks are the server's rules themselves.
//
// Responses are serialised by fastify's own compiler (fast-json-stringify, from the same
// schemas).
//
// Both compiled lazily: ajv's code generation for every route's schemas was a third of a
// server's start-up CPU, and the response serialisers another tenth. A route's validator or
// serialiser is compiled on its first use, or by compilePending() in the background once the
// server is ready, whichever comes first.
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { schemaFormats } from '../types/formats.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function makeAjv(options: Options): Ajv {
  // verbose: errors carry the value and its schema, for messages naming what was sent and what fits
  return addFormats(
    new Ajv({ allErrors: false, removeAdditional: false, useDefaults: true, strict: false, verbose: true, formats: schemaFormats, ...options }),
  );
}

/** A validator that compiles its schema when first called (or by `compile()`); fastify reads `.errors` after a call. */
export interface LazyValidator {
  (data: unknown, context?: unknown): boolean;
  errors: ValidateFunction['errors'];
  compile(): ValidateFunction;
}

export function lazyValidator(compile: () => ValidateFunction): LazyValidator {
  let compiled: ValidateFunction | undefined;
  const validate = ((data: unknown, context?: unknown) => {
    const run = validate.compile();
    const ok = context === undefined ? run(data) : run(data, context as Parameters<ValidateFunction>[1]);
    validate.errors = run.errors;
    return ok as boolean;
  }) as LazyValidator;
  validate.errors = null;
  validate.compile = () => (compiled ??= compile());
  return validate;
}

/** A serialiser that compiles when first called (or by `compile()`). */
export interface LazySerializer {
  (data: unknown): string;
  compile(): (data: unknown) => string;
}

export function lazySerializer(compile: () => (data: unknown) => string): LazySerializer {
  let compiled: ((data: unknown) => string) | undefined;
  const serialize = ((data: unknown) => serialize.compile()(data)) as LazySerializer;
  serialize.compile = () => (compiled ??= compile());
  return serialize;
}

export interface SchemaCompilers {
  /** fastify's `schemaController` option: its default response serialisers, each compiled when first needed. */
  readonly schemaController: NonNullable<FastifyServerOptions['schemaController']>;
  /** Sets the app's validator compiler: the two ajv instances above, each route's validator compiled when first needed. */
  registerValidators(app: FastifyInstance): void;
  /** Compiles the validators and serialisers no request has needed yet, one per event-loop turn (until `stop()` says so); resolves with how many. */
  compilePending(stop?: () => boolean): Promise<number>;
  /** How many are still to compile. */
  readonly pending: number;
}

export function schemaCompilers(): SchemaCompilers {
  const pending: Array<{ compile(): unknown }> = [];
  const queued = <T extends { compile(): unknown }>(compiler: T): T => (pending.push(compiler), compiler);
  return {
    schemaController: {
      compilersFactory: {
        buildSerializer: (externalSchemas: unknown, options: unknown) => {
          const build = SerializerSelector()(externalSchemas, options as Parameters<ReturnType<typeof SerializerSelector>>[1]);
          return (route: Parameters<typeof build>[0]) => queued(lazySerializer(() => build(route)));
        },
      },
    },
    registerValidators(app) {
      // made by the first compile too (with ajv-formats, a few ms of the start each)
      let strict: Ajv | undefined;
      let coercing: Ajv | undefined;
      const ajvFor = (httpPart: string | undefined) =>
        httpPart === 'body' ? (strict ??= makeAjv({ coerceTypes: false })) : (coercing ??= makeAjv({ coerceTypes: 'array' }));
      app.setValidatorCompiler(({ schema, httpPart }) => queued(lazyValidator(() => ajvFor(httpPart).compile(schema))));
    },
    async compilePending(stop = () => false) {
      let n = 0;
      // left in the list if it throws: pending then says that one did not compile
      for (let c = pending[0]; c && !stop(); c = pending[0]) {
        c.compile();
        pending.shift();
        n++;
        await new Promise((r) => setImmediate(r)); // requests in between
      }
      return n;
    },
    get pending() {
      return pending.length;
    },
  };
}
