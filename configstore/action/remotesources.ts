// Remote sources (Agola's rules): unique names; the type must support the auth type;
// oauth2 needs a client id and secret; the API URL is an http(s) URL. An update replaces
// every setting but keeps the id (an id in the body is ignored) and the creation time.
import { randomUUID } from 'node:crypto';
import { BadRequestError, ConflictError, errorCodes } from '../errors.js';
import type { ListResult } from '../types/list.js';
import { isHttpUrl, supportedAuthTypes, type CreateRemoteSourceRequest, type RemoteSource, type UpdateRemoteSourceRequest } from '../types/remotesource.js';
import type { RequestContext } from '../readdb/readdb.js';
import { childrenGroup, DataType, idGroup, nameGroup } from './datatypes.js';
import { checkName, findNamed, type NamedKind } from './namedrefs.js';
import { listPage, pageStart, type PageQuery } from './paginate.js';
import { runWrite, type Stores } from './write.js';
import type { Tx } from './storeddata.js';

export const remoteSourceKind: NamedKind<'remotesource'> = { type: DataType.remoteSource, label: 'remote source', notFound: errorCodes.remoteSourceNotFound };

export function findRemoteSource(tx: Tx, ref: string): RemoteSource {
  return findNamed(tx, remoteSourceKind, ref);
}

function invalid(message: string): BadRequestError {
  return new BadRequestError(message, { code: errorCodes.invalidRemoteSource });
}

/** The settings as stored, with defaults applied; throws a 400 saying what to fix. */
function settingsOf(req: CreateRemoteSourceRequest): Omit<RemoteSource, 'id' | 'createdAt'> {
  checkName(remoteSourceKind, req.name);
  if (!isHttpUrl(req.apiUrl)) {
    throw invalid(`invalid apiUrl ${JSON.stringify(req.apiUrl)}: give an http:// or https:// URL`);
  }
  const supported = supportedAuthTypes[req.type];
  if (!supported.includes(req.authType)) {
    throw invalid(`remote source type ${req.type} does not support auth type ${req.authType}: use ${supported.join(' or ')}`);
  }
  if (req.authType === 'oauth2' && (!req.clientId || !req.clientSecret)) {
    throw invalid('auth type oauth2 needs clientId and clientSecret');
  }
  return {
    name: req.name,
    type: req.type,
    apiUrl: req.apiUrl,
    authType: req.authType,
    ...(req.clientId === undefined ? {} : { clientId: req.clientId }),
    ...(req.clientSecret === undefined ? {} : { clientSecret: req.clientSecret }),
    skipVerify: req.skipVerify ?? false,
    ...(req.sshHostKey === undefined ? {} : { sshHostKey: req.sshHostKey }),
    skipSshHostKeyCheck: req.skipSshHostKeyCheck ?? false,
    registrationEnabled: req.registrationEnabled ?? true,
    loginEnabled: req.loginEnabled ?? true,
  };
}

function nameTaken(name: string): ConflictError {
  return new ConflictError(`remote source ${JSON.stringify(name)} already exists`, { code: errorCodes.remoteSourceExists });
}

export async function createRemoteSource(ctx: RequestContext, stores: Stores, req: CreateRemoteSourceRequest): Promise<RemoteSource> {
  const settings = settingsOf(req);
  return runWrite(ctx, stores, (tx) => {
    if (tx.getByName(DataType.remoteSource, req.name)) throw nameTaken(req.name);
    const rs: RemoteSource = { id: randomUUID(), ...settings, createdAt: new Date().toISOString() };
    return {
      actions: [{ type: 'put', dataType: DataType.remoteSource, id: rs.id, data: { ...rs } }],
      changeGroups: [nameGroup(DataType.remoteSource, '', rs.name), idGroup(rs.id)],
      result: rs,
    };
  });
}

export function getRemoteSource(ctx: RequestContext, stores: Stores, ref: string): RemoteSource {
  return stores.readdb.do(ctx, (tx) => findRemoteSource(tx, ref));
}

export function listRemoteSources(ctx: RequestContext, stores: Stores, query: PageQuery): ListResult<RemoteSource> {
  const start = pageStart(query);
  return stores.readdb.do(ctx, (tx) => listPage(tx, DataType.remoteSource, null, start, (rs) => rs));
}

export async function updateRemoteSource(ctx: RequestContext, stores: Stores, ref: string, req: UpdateRemoteSourceRequest): Promise<RemoteSource> {
  const { id: _ignoredId, ...rest } = req;
  const settings = settingsOf(rest);
  return runWrite(ctx, stores, (tx) => {
    const current = findRemoteSource(tx, ref);
    const other = tx.getByName(DataType.remoteSource, settings.name);
    if (other && other.id !== current.id) throw nameTaken(settings.name);
    // the current id wins over any id in the body (Agola 28c44ce1)
    const updated: RemoteSource = { id: current.id, ...settings, createdAt: current.createdAt };
    return {
      actions: [{ type: 'put', dataType: DataType.remoteSource, id: current.id, data: { ...updated } }],
      changeGroups: [idGroup(current.id), nameGroup(DataType.remoteSource, '', current.name), nameGroup(DataType.remoteSource, '', settings.name)],
      result: updated,
    };
  });
}

/**
 * Refused while linked accounts or projects use the source. Both are found by an index
 * of the read model (storedIndexes); creating either (or pointing a project at the source) bumps the
 * source's children group, checked here, so a concurrent one makes this retry and see it.
 */
export async function deleteRemoteSource(ctx: RequestContext, stores: Stores, ref: string): Promise<void> {
  await runWrite(ctx, stores, (tx) => {
    const rs = findRemoteSource(tx, ref);
    const accounts = tx.where(DataType.linkedAccount, { remoteSourceId: rs.id }).length;
    const projects = tx.where(DataType.project, { remoteSourceId: rs.id }).length;
    if (accounts || projects) {
      throw new ConflictError(
        `remote source ${JSON.stringify(rs.name)} is used by ${accounts} linked account(s) and ${projects} project(s); delete or move them first`,
        { code: errorCodes.remoteSourceInUse },
      );
    }
    return {
      actions: [{ type: 'delete', dataType: DataType.remoteSource, id: rs.id }],
      changeGroups: [idGroup(rs.id), childrenGroup(rs.id), nameGroup(DataType.remoteSource, '', rs.name)],
      result: undefined,
    };
  });
}
