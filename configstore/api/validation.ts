// Two validators: bodies are checked strictly (no type coercion, unknown fields refused),
// while query strings and path params coerce "10" to 10 as HTTP needs. Both know the
// schemas' own formats, whose checks are the server's rules themselves.
import { Ajv, type Options } from 'ajv';
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

export function registerValidators(app: FastifyInstance): void {
  const strict = makeAjv({ coerceTypes: false });
  const coercing = makeAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
