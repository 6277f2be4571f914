// The exported configstore client. Imports only types/, errors.ts and upload.ts. Every
// failure is a RemoteError carrying the server's status, code and message unchanged.
import { errorCodes, RemoteError, UnavailableError } from '../errors.js';
import type { ListQuery, ListResult } from '../types/list.js';
import type { CreateUserRequest, UpdateUserRequest, User } from '../types/user.js';
import type { CreatedUserToken, CreateUserTokenRequest, UserToken } from '../types/token.js';
import type { CreateLinkedAccountRequest, LinkedAccount, UpdateLinkedAccountRequest } from '../types/linkedaccount.js';
import type { CreateOrgRequest, MemberRole, Org, OrgMember, SetOrgMemberRequest, UpdateOrgRequest, UserOrg } from '../types/org.js';
import type { CreateRemoteSourceRequest, RemoteSource, UpdateRemoteSourceRequest } from '../types/remotesource.js';
import type { CreateProjectGroupRequest, ProjectGroup, UpdateProjectGroupRequest } from '../types/projectgroup.js';
import type { CreateProjectRequest, Project, UpdateProjectRequest } from '../types/project.js';
import type { ConfigListQuery, ConfigParentType, CreateSecretRequest, Secret, UpdateSecretRequest } from '../types/secret.js';
import type { CreateVariableRequest, UpdateVariableRequest, Variable } from '../types/variable.js';
import type { EnableMaintenanceRequest, MaintenanceStatus } from '../types/maintenance.js';
import type { ImportResult } from '../types/export.js';
import { postStream, type UploadResponse } from './upload.js';

export type { ImportResult } from '../types/export.js';

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
  // Refs are ids or paths (org/<org>/<group>/…); `org/<org>` alone is the org's root group.

  createProjectGroup(req: CreateProjectGroupRequest, signal?: AbortSignal): Promise<ProjectGroup> {
    return this.request('POST', '/projectgroups', req, signal);
  }
  getProjectGroup(ref: string, signal?: AbortSignal): Promise<ProjectGroup> {
    return this.request('GET', `/projectgroups/${encodeURIComponent(ref)}`, undefined, signal);
  }
  /** Changes the fields given; `parentRef` moves the group. */
  updateProjectGroup(ref: string, req: UpdateProjectGroupRequest, signal?: AbortSignal): Promise<ProjectGroup> {
    return this.request('PUT', `/projectgroups/${encodeURIComponent(ref)}`, req, signal);
  }
  /** Refused (409) while the group has subgroups or projects; deletes its secrets and variables. */
  deleteProjectGroup(ref: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/projectgroups/${encodeURIComponent(ref)}`, undefined, signal);
  }
  listSubgroups(ref: string, query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<ProjectGroup>> {
    return this.request('GET', `/projectgroups/${encodeURIComponent(ref)}/subgroups${queryString(query)}`, undefined, signal);
  }
  listGroupProjects(ref: string, query: ListQuery = {}, signal?: AbortSignal): Promise<ListResult<Project>> {
    return this.request('GET', `/projectgroups/${encodeURIComponent(ref)}/projects${queryString(query)}`, undefined, signal);
  }

  createProject(req: CreateProjectRequest, signal?: AbortSignal): Promise<Project> {
    return this.request('POST', '/projects', req, signal);
  }
  getProject(ref: string, signal?: AbortSignal): Promise<Project> {
    return this.request('GET', `/projects/${encodeURIComponent(ref)}`, undefined, signal);
  }
  /** Changes the fields given; `parentRef` moves the project. */
  updateProject(ref: string, req: UpdateProjectRequest, signal?: AbortSignal): Promise<Project> {
    return this.request('PUT', `/projects/${encodeURIComponent(ref)}`, req, signal);
  }
  deleteProject(ref: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/projects/${encodeURIComponent(ref)}`, undefined, signal);
  }

  /** `tree: true` adds the secrets inherited from every ancestor group, nearest first. */
  listSecrets(parentType: ConfigParentType, parentRef: string, query: ConfigListQuery = {}, signal?: AbortSignal): Promise<ListResult<Secret>> {
    return this.request('GET', `${configPath(parentType, parentRef)}/secrets${configQuery(query)}`, undefined, signal);
  }
  createSecret(parentType: ConfigParentType, parentRef: string, req: CreateSecretRequest, signal?: AbortSignal): Promise<Secret> {
    return this.request('POST', `${configPath(parentType, parentRef)}/secrets`, req, signal);
  }
  updateSecret(parentType: ConfigParentType, parentRef: string, name: string, req: UpdateSecretRequest, signal?: AbortSignal): Promise<Secret> {
    return this.request('PUT', `${configPath(parentType, parentRef)}/secrets/${encodeURIComponent(name)}`, req, signal);
  }
  deleteSecret(parentType: ConfigParentType, parentRef: string, name: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `${configPath(parentType, parentRef)}/secrets/${encodeURIComponent(name)}`, undefined, signal);
  }
  /** `tree: true` adds the variables inherited from every ancestor group, nearest first. */
  listVariables(parentType: ConfigParentType, parentRef: string, query: ConfigListQuery = {}, signal?: AbortSignal): Promise<ListResult<Variable>> {
    return this.request('GET', `${configPath(parentType, parentRef)}/variables${configQuery(query)}`, undefined, signal);
  }
  createVariable(parentType: ConfigParentType, parentRef: string, req: CreateVariableRequest, signal?: AbortSignal): Promise<Variable> {
    return this.request('POST', `${configPath(parentType, parentRef)}/variables`, req, signal);
  }
  updateVariable(parentType: ConfigParentType, parentRef: string, name: string, req: UpdateVariableRequest, signal?: AbortSignal): Promise<Variable> {
    return this.request('PUT', `${configPath(parentType, parentRef)}/variables/${encodeURIComponent(name)}`, req, signal);
  }
  deleteVariable(parentType: ConfigParentType, parentRef: string, name: string, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `${configPath(parentType, parentRef)}/variables/${encodeURIComponent(name)}`, undefined, signal);
  }

  // --- maintenance, export, import ---

  /** Whether maintenance is requested and what every live instance reports (admin). */
  getMaintenance(signal?: AbortSignal): Promise<MaintenanceStatus> {
    return this.request('GET', '/maintenance', undefined, signal);
  }
  /** Turns maintenance on (idempotent for the same owner; a RemoteError 409 for another). */
  enableMaintenance(req: EnableMaintenanceRequest = {}, signal?: AbortSignal): Promise<MaintenanceStatus> {
    return this.request('PUT', '/maintenance', req, signal);
  }
  /** Turns maintenance off; with `owner`, only if that owner holds it (else 409). */
  disableMaintenance(query: { owner?: string } = {}, signal?: AbortSignal): Promise<void> {
    return this.request('DELETE', `/maintenance${queryString(query)}`, undefined, signal);
  }

  /**
   * The export (admin): an ndjson stream, header line first, trailer (count, sha256) last;
   * `gzip: true` streams the gzip file itself instead (to store as is). Errors before the
   * first byte reject with a RemoteError; a stream cut later simply lacks its trailer.
   */
  async exportStream(options: { gzip?: boolean; signal?: AbortSignal } = {}): Promise<ReadableStream<Uint8Array>> {
    // identity: fetch asks for gzip by default, and compressing a big export on the server
    // (then inflating it here) cost more than the bytes it saved: export to S3 ran at 27 %
    // of a plain upload of the same bytes
    const headers: Record<string, string> = { accept: 'application/x-ndjson, application/gzip, application/json', 'accept-encoding': 'identity' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    let res: Response;
    try {
      res = await this.fetchImpl(`${this.base}/export${options.gzip ? '?gzip=true' : ''}`, { headers, ...(options.signal ? { signal: options.signal } : {}) });
    } catch (err) {
      throw new UnavailableError(`configstore at ${this.base} is unreachable`, { code: errorCodes.unreachable, cause: err });
    }
    if (!res.ok || !res.body) {
      const text = await res.text();
      throw RemoteError.fromResponse(res.status, text, { statusText: res.statusText, retryAfter: res.headers.get('retry-after') });
    }
    return res.body;
  }

  /**
   * Imports an export (admin): streams `body` (ndjson, or the gzip file with `gzip: true`).
   * Only in maintenance mode (else a RemoteError 409 `notInMaintenance`); `dryRun: true`
   * only validates, in any mode. A bad export rejects with a 400 naming the line and the problem.
   * A streamed body goes over node:http(s) with backpressure, not fetch (see upload.ts).
   */
  async importStream(
    body: string | Uint8Array | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
    options: {
      dryRun?: boolean;
      gzip?: boolean;
      signal?: AbortSignal;
      /** The export's expected sha256: the server refuses any other before anything changes. */ sha256?: string;
    } = {},
  ): Promise<ImportResult> {
    const headers: Record<string, string> = { accept: 'application/json', 'content-type': options.gzip ? 'application/gzip' : 'application/x-ndjson' };
    if (this.options.token) headers.authorization = `Bearer ${this.options.token}`;
    const path = `/import${queryString({ ...(options.dryRun ? { dryRun: 'true' } : {}), ...(options.sha256 ? { sha256: options.sha256 } : {}) })}`;
    let res: UploadResponse;
    if (typeof body === 'string' || body instanceof Uint8Array) {
      let answer: Response;
      try {
        answer = await this.fetchImpl(this.base + path, {
          method: 'POST',
          headers,
          body: body as RequestInit['body'],
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        throw new UnavailableError(`configstore at ${this.base} is unreachable`, { code: errorCodes.unreachable, cause: err });
      }
      res = { status: answer.status, statusText: answer.statusText, retryAfter: answer.headers.get('retry-after'), text: await answer.text() };
    } else {
      res = await postStream(this.base, path, headers, body, options.signal);
    }
    if (res.status < 200 || res.status > 299) throw RemoteError.fromResponse(res.status, res.text, { statusText: res.statusText, retryAfter: res.retryAfter });
    return JSON.parse(res.text) as ImportResult;
  }

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
      throw new UnavailableError(`configstore at ${this.base} is unreachable`, { code: errorCodes.unreachable, cause: err });
    }
    const text = await res.text();
    if (!res.ok) throw RemoteError.fromResponse(res.status, text, { statusText: res.statusText, retryAfter: res.headers.get('retry-after') });
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** The route of a project or project group holding secrets and variables. */
function configPath(parentType: ConfigParentType, ref: string): string {
  return `/${parentType === 'project' ? 'projects' : 'projectgroups'}/${encodeURIComponent(ref)}`;
}
function configQuery({ tree, ...rest }: ConfigListQuery): string {
  return queryString({ ...rest, tree: tree === undefined ? undefined : String(tree) });
}

function queryString(query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}
