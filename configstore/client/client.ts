// The exported configstore client. Imports only types/ and errors.ts. Every failure is a
// RemoteError carrying the server's status, code and message unchanged.
import { RemoteError, UnavailableError } from '../errors.js';
import type { ListResult } from '../types/list.js';
import type { CreateUserRequest, User } from '../types/user.js';

export interface ClientOptions {
  /** Sent as `Authorization: Bearer <token>` (admin routes). */
  token?: string;
  fetch?: typeof fetch;
}

export class ConfigStoreClient {
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;

  constructor(
    baseUrl: string,
    private readonly options: ClientOptions = {},
  ) {
    this.base = baseUrl.replace(/\/+$/, '') + '/api/v1alpha';
    this.fetchImpl = options.fetch ?? fetch;
  }

  createUser(req: CreateUserRequest, signal?: AbortSignal): Promise<User> {
    return this.request('POST', '/users', req, signal);
  }
  getUser(ref: string, signal?: AbortSignal): Promise<User> {
    return this.request('GET', `/users/${encodeURIComponent(ref)}`, undefined, signal);
  }
  listUsers(query: { limit?: number; cursor?: string } = {}, signal?: AbortSignal): Promise<ListResult<User>> {
    return this.request('GET', `/users${queryString(query)}`, undefined, signal);
  }
  deleteUser(ref: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/users/${encodeURIComponent(ref)}`, undefined, signal);
  }

  // --- users (update, tokens, linked accounts), orgs, members, remote sources ---

  // --- project groups, projects, secrets, variables ---

  // --- maintenance, export, import ---

  private async request<T>(method: string, path: string, body: unknown, signal: AbortSignal | undefined): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await this.fetchImpl(this.base + path, {
        method,
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (err) {
      throw new UnavailableError(`configstore at ${this.base} is unreachable`, { code: 'unreachable', cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw RemoteError.fromResponse(res.status, text, { statusText: res.statusText, retryAfter: res.headers.get('retry-after') });
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
