// The request context handed to actions. Its signal aborts when the client goes away
// before the answer is sent. (fastify's request.signal aborts once the request body has
// been read, which is not what an action's retry loop must check.)
import type { FastifyReply } from 'fastify';
import type { RequestContext } from '../readdb/readdb.js';

export function contextOf(reply: FastifyReply): RequestContext {
  const ac = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ac.abort(new Error('client closed the connection'));
  });
  return { signal: ac.signal };
}
