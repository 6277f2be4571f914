// Two validators: bodies are checked strictly (no type coercion, unknown fields refused),
// while query strings and path params coerce "10" to 10 as HTTP needs. Both know the
// schemas' own formats, whose checks are the server's rules themselves.
//
// Compiled lazily: ajv's code generation for every route's schemas was a third of a server's
// start-up CPU. A route's validator is compiled on its first request, or by compilePending()
// in the background once the server is ready, whichever comes first.
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
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

export interface Validators {
  /** Compiles the validators no request has needed yet, one per event-loop turn (until `stop()` says so); resolves with how many. */
  compilePending(stop?: () => boolean): Promise<number>;
  /** How many are still to compile. */
  readonly pending: number;
}

export function registerValidators(app: FastifyInstance): Validators {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  const pending: LazyValidator[] = [];
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const validator = lazyValidator(() => (httpPart === 'body' ? strict : coercing).compile(schema));
    pending.push(validator);
    return validator;
  });
  return {
    async compilePending(stop = () => false) {
      let n = 0;
      // left in the list if it throws: pending then says that one did not compile
      for (let v = pending[0]; v && !stop(); v = pending[0]) {
        v.compile();
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
