// The exported configstore client. Imports only types/ and errors.ts. Every failure is a
// RemoteError carrying the server's status, code and message unchanged.
import { RemoteError, UnavailableError } from '../errors.js';
import type { ListQuery, ListResult } from '../types/list.js';
import type { CreateUserRequest, UpdateUserRequest, User } from '../types/user.js';
import type { CreatedUserToken, CreateUserTokenRequest, UserToken } from '../types/token.js';
import type { CreateLinkedAccountRequest, LinkedAccount, UpdateLinkedAccountRequest } from '../types/linkedaccount.js';
import type { CreateOrgRequest, MemberRole, Org, OrgMember, SetOrgMemberRequest, UpdateOrgRequest, UserOrg } from '../types/org.js';
import type { CreateRemoteSourceRequest, RemoteSource, UpdateRemoteSourceRequest } from '../types/remotesource.js';

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

  updateUser(ref: string, req: UpdateUserRequest, signal?: AbortSignal): Promise<User> {
    return this.request('PUT', `/users/${encodeURIComponent(ref)}`, req, signal);
  }
  /** The answer holds the token itself: the only time it is returned. */
  createUserToken(userRef: string, req: CreateUserTokenRequest, signal?: AbortSignal): Promise<CreatedUserToken> {
    return this.request('POST', `/users/${encodeURIComponent(userRef)}/tokens`, req, signal);
  }
  listUserTokens(userRef: string, query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<UserToken>> {
    return this.request('GET', `/users/${encodeURIComponent(userRef)}/tokens${queryString(query)}`, undefined, signal);
  }
  deleteUserToken(userRef: string, name: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/users/${encodeURIComponent(userRef)}/tokens/${encodeURIComponent(name)}`, undefined, signal);
  }
  createLinkedAccount(userRef: string, req: CreateLinkedAccountRequest, signal?: AbortSignal): Promise<LinkedAccount> {
    return this.request('POST', `/users/${encodeURIComponent(userRef)}/linkedaccounts`, req, signal);
  }
  listLinkedAccounts(userRef: string, query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<LinkedAccount>> {
    return this.request('GET', `/users/${encodeURIComponent(userRef)}/linkedaccounts${queryString(query)}`, undefined, signal);
  }
  getLinkedAccount(userRef: string, id: string, signal?: AbortSignal): Promise<LinkedAccount> {
    return this.request('GET', `/users/${encodeURIComponent(userRef)}/linkedaccounts/${encodeURIComponent(id)}`, undefined, signal);
  }
  updateLinkedAccount(userRef: string, id: string, req: UpdateLinkedAccountRequest, signal?: AbortSignal): Promise<LinkedAccount> {
    return this.request('PUT', `/users/${encodeURIComponent(userRef)}/linkedaccounts/${encodeURIComponent(id)}`, req, signal);
  }
  deleteLinkedAccount(userRef: string, id: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/users/${encodeURIComponent(userRef)}/linkedaccounts/${encodeURIComponent(id)}`, undefined, signal);
  }
  listUserOrgs(userRef: string, query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<UserOrg>> {
    return this.request('GET', `/users/${encodeURIComponent(userRef)}/orgs${queryString(query)}`, undefined, signal);
  }

  createOrg(req: CreateOrgRequest, signal?: AbortSignal): Promise<Org> {
    return this.request('POST', '/orgs', req, signal);
  }
  getOrg(ref: string, signal?: AbortSignal): Promise<Org> {
    return this.request('GET', `/orgs/${encodeURIComponent(ref)}`, undefined, signal);
  }
  listOrgs(query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<Org>> {
    return this.request('GET', `/orgs${queryString(query)}`, undefined, signal);
  }
  updateOrg(ref: string, req: UpdateOrgRequest, signal?: AbortSignal): Promise<Org> {
    return this.request('PUT', `/orgs/${encodeURIComponent(ref)}`, req, signal);
  }
  deleteOrg(ref: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/orgs/${encodeURIComponent(ref)}`, undefined, signal);
  }
  listOrgMembers(orgRef: string, query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<OrgMember>> {
    return this.request('GET', `/orgs/${encodeURIComponent(orgRef)}/members${queryString(query)}`, undefined, signal);
  }
  /** Adds the user to the org with `role`, or changes its role there. */
  setOrgMember(orgRef: string, userRef: string, role: MemberRole, signal?: AbortSignal): Promise<OrgMember> {
    const req: SetOrgMemberRequest = { role };
    return this.request('PUT', `/orgs/${encodeURIComponent(orgRef)}/members/${encodeURIComponent(userRef)}`, req, signal);
  }
  removeOrgMember(orgRef: string, userRef: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/orgs/${encodeURIComponent(orgRef)}/members/${encodeURIComponent(userRef)}`, undefined, signal);
  }

  createRemoteSource(req: CreateRemoteSourceRequest, signal?: AbortSignal): Promise<RemoteSource> {
    return this.request('POST', '/remotesources', req, signal);
  }
  getRemoteSource(ref: string, signal?: AbortSignal): Promise<RemoteSource> {
    return this.request('GET', `/remotesources/${encodeURIComponent(ref)}`, undefined, signal);
  }
  listRemoteSources(query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<RemoteSource>> {
    return this.request('GET', `/remotesources${queryString(query)}`, undefined, signal);
  }
  /** Replaces every setting; the source keeps its id. */
  updateRemoteSource(ref: string, req: UpdateRemoteSourceRequest, signal?: AbortSignal): Promise<RemoteSource> {
    return this.request('PUT', `/remotesources/${encodeURIComponent(ref)}`, req, signal);
  }
  deleteRemoteSource(ref: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/remotesources/${encodeURIComponent(ref)}`, undefined, signal);
  }

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
