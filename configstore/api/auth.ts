// Admin routes (maintenance, export, import) are marked `config: { admin: true }`. When the
// server has an admin token (CONFIGSTORE_ADMIN_TOKEN_FILE), they need
// `Authorization: Bearer <token>`: none → 401, a wrong one → 403. Without a token they are open.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodes, ForbiddenError, UnauthorizedError } from '../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Needs the admin token when the server has one. */
    admin?: boolean;
    /** Answers in every state (starting, maintenance, stopping): health, metrics, OpenAPI. */
    alwaysOn?: boolean;
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The admin token, or a function giving the one in force (a token file that may be rotated). */
export type AdminTokenSource = string | (() => string);

export function registerAdminAuth(app: FastifyInstance, adminToken: AdminTokenSource | undefined): void {
  if (adminToken === undefined) return;
  const current = typeof adminToken === 'string' ? () => adminToken : adminToken;
  let token = current();
  let expected = digest(token);
  // only admin routes get the check: other routes pay nothing per request
  app.addHook('onRoute', (route) => {
    if (!route.config?.admin) return;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...existing, checkAdminToken];
  });
  async function checkAdminToken(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      reply.header('www-authenticate', 'Bearer');
      throw new UnauthorizedError('this route needs the admin token: send "Authorization: Bearer <token>"', { code: errorCodes.adminTokenRequired });
    }
    const now = current();
    if (now !== token) [token, expected] = [now, digest(now)];
    // compare digests: constant time whatever the length of the token sent
    if (!timingSafeEqual(digest(match[1]!), expected)) {
      throw new ForbiddenError('the admin token sent is not valid', { code: errorCodes.adminTokenInvalid });
    }
  }
}
