// Secrets of projects and project groups. Only "internal" secrets (data stored here) for now.
import { BadRequestError, errorCodes } from '../errors.js';
import type { ConfigParentType, CreateSecretRequest, Secret, UpdateSecretRequest } from '../types/secret.js';
import type { ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import { createItem, deleteItem, listItems, updateItem, type ItemKind } from './configitems.js';
import { DataType } from './datatypes.js';
import type { Stores } from './write.js';

type SecretFields = Pick<Secret, 'type' | 'data'>;

/** Its rules are also the importer's. */
export const secretKind: ItemKind<SecretFields> = {
  dataType: DataType.secret,
  label: 'secret',
  validate(name, { type, data }) {
    if (type !== 'internal') {
      throw new BadRequestError(`secret ${JSON.stringify(name)}: type ${JSON.stringify(type)} is not supported: the only supported type is "internal"`, {
        code: errorCodes.unsupportedSecretType,
      });
    }
    const keys = Object.keys(data);
    if (keys.length === 0)
      throw new BadRequestError(`secret ${JSON.stringify(name)}: an internal secret needs data: give at least one key`, { code: errorCodes.invalidSecret });
    if (keys.some((k) => k.trim() === ''))
      throw new BadRequestError(`secret ${JSON.stringify(name)}: data keys must not be empty`, { code: errorCodes.invalidSecret });
  },
};

export const listSecrets = (
  ctx: RequestContext,
  stores: Stores,
  parentType: ConfigParentType,
  ref: string,
  query: { tree?: boolean; limit?: number; cursor?: string },
) => listItems(ctx, stores, secretKind, parentType, ref, query) as ListResult<Secret>;

export const createSecret = async (ctx: RequestContext, stores: Stores, parentType: ConfigParentType, ref: string, req: CreateSecretRequest) =>
  (await createItem(ctx, stores, secretKind, parentType, ref, req.name, { type: req.type as 'internal', data: req.data })) as Secret;

export const updateSecret = async (ctx: RequestContext, stores: Stores, parentType: ConfigParentType, ref: string, name: string, req: UpdateSecretRequest) =>
  (await updateItem(ctx, stores, secretKind, parentType, ref, name, req as Partial<SecretFields> & { name?: string })) as Secret;

export const deleteSecret = (ctx: RequestContext, stores: Stores, parentType: ConfigParentType, ref: string, name: string) =>
  deleteItem(ctx, stores, secretKind, parentType, ref, name);
