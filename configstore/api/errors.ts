// Every error answer is JSON {message, code}. Typed errors keep their status and message;
// fastify's own 4xx (bad JSON, too large, wrong content type, schema) become messages a
// user can act on; anything else is a 500 that leaks nothing, logged with its whole chain.
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { describeChain, errorCodes, findTypedError, toHttpResponse, type ErrorCode } from '../errors.js';
import { patternProblem } from '../types/names.js';

/** 503s the server means to give (fenced for maintenance, still starting): logged at info, not as failures. */
const expectedUnavailableCodes = new Set<ErrorCode>([errorCodes.maintenanceMode, errorCodes.notReady]);

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** With ajv's verbose option: the value and the schema it failed. */
  data?: unknown;
  parentSchema?: { description?: string };
}

/** A value as a message quotes it: JSON, cut short. */
const quoted = (value: unknown) => {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

function validationMessage(context: string | undefined, issues: ValidationIssue[]): string {
  const issue = issues[0]!;
  const where = `${context ?? 'request'}${issue.instancePath.replaceAll('/', '.')}`;
  if (issue.keyword === 'additionalProperties') return `${where}: unknown field ${JSON.stringify(issue.params.additionalProperty)}`;
  if (issue.keyword === 'required') return `${where}: missing field ${JSON.stringify(issue.params.missingProperty)}`;
  if (issue.keyword === 'enum' && Array.isArray(issue.params.allowedValues)) return `${where} must be one of ${issue.params.allowedValues.join(', ')}`;
  // a pattern or a format says nothing to a user: the server's own check, or the schema's description, says what fits
  const problem = issue.keyword === 'pattern' && typeof issue.data === 'string' ? patternProblem(String(issue.params.pattern), issue.data) : undefined;
  if (problem) return `${where} ${quoted(issue.data)}: ${problem}`;
  const description = issue.parentSchema?.description;
  if ((issue.keyword === 'pattern' || issue.keyword === 'format') && description) return `${where} ${quoted(issue.data)} is not ${description}`;
  if (issue.keyword === 'minProperties') return `${where} needs at least ${String(issue.params.limit)} key${issue.params.limit === 1 ? '' : 's'}`;
  if (issue.keyword === 'maxProperties') return `${where} has more than ${String(issue.params.limit)} keys`;
  if (issue.keyword === 'propertyNames' || issue.params.propertyName !== undefined)
    return `${where}: key ${quoted(issue.params.propertyName)} is not valid (${issue.message ?? 'see the schema'})`;
  return `${where} ${issue.message ?? 'is invalid'}`;
}

const fastifyCodes: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: errorCodes.bodyTooLarge,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: errorCodes.unsupportedMediaType,
  FST_ERR_CTP_EMPTY_JSON_BODY: errorCodes.emptyBody,
  FST_ERR_CTP_INVALID_JSON_BODY: errorCodes.invalidJson,
};

/** fastify's own 4xx in words a user can act on (its wording otherwise). */
function fastifyMessage(err: FastifyError, request: FastifyRequest): string {
  const type = request.headers['content-type'] ?? '';
  const accepted = request.url.split('?')[0]!.endsWith('/import') ? 'application/x-ndjson or application/gzip' : 'application/json';
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return `unsupported content type ${JSON.stringify(type)}: send ${accepted}`;
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `the request body is too large: this route takes at most ${request.routeOptions.bodyLimit ?? 'its limit in'} bytes`;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return `the body is empty but its content type is ${JSON.stringify(type)}: send a JSON body, or no content type`;
    default:
      return err.message;
  }
}

export function registerErrorHandlers(app: FastifyInstance): void {
  // no route takes text: without fastify's default text parser a text/plain body is a 415
  // saying what to send, not a 400 about the body's type
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((err: FastifyError & { validationContext?: string }, request, reply) => {
    if (err.validation) {
      return reply
        .status(400)
        .send({ message: validationMessage(err.validationContext, err.validation as ValidationIssue[]), code: errorCodes.invalidRequest });
    }
    if (typeof err.code === 'string' && err.code.startsWith('FST_') && err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.status(err.statusCode).send({ message: fastifyMessage(err, request), code: fastifyCodes[err.code] ?? errorCodes.badRequest });
    }
    if (err instanceof SyntaxError) {
      return reply.status(400).send({ message: `body is not valid JSON: ${err.message}`, code: errorCodes.invalidJson });
    }
    const res = toHttpResponse(err);
    const typedCode = findTypedError(err)?.code;
    if (res.status === 503 && typedCode !== undefined && expectedUnavailableCodes.has(typedCode)) {
      request.log.info({ code: res.body.code, reason: res.body.message }, 'request refused: service unavailable');
    } else if (res.status >= 500) {
      request.log.error({ err, chain: describeChain(err) }, 'request failed');
    }
    return reply.status(res.status).headers(res.headers).send(res.body);
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.status(404).send({ message: `no route ${request.method} ${request.url.split('?')[0]}`, code: errorCodes.routeNotFound });
  });
}
