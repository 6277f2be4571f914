// Variables of projects and project groups: values taken from secrets, each optionally
// limited to some branches, tags or refs (regexp conditions must compile).
import { BadRequestError, errorCodes } from '../errors.js';
import type { ConfigParentType } from '../types/secret.js';
import type { CreateVariableRequest, UpdateVariableRequest, Variable, VariableValue } from '../types/variable.js';
import type { ListResult } from '../types/list.js';
import type { RequestContext } from '../readdb/readdb.js';
import { createItem, deleteItem, listItems, updateItem, type ItemKind } from './configitems.js';
import { DataType } from './datatypes.js';
import type { Stores } from './write.js';

type VariableFields = { values: VariableValue[] };

/** Its rules are also the importer's. */
export const variableKind: ItemKind<VariableFields> = {
  dataType: DataType.variable,
  label: 'variable',
  validate(name, { values }) {
    if (values.length === 0) throw new BadRequestError(`variable ${JSON.stringify(name)}: give at least one value`, { code: errorCodes.invalidVariable });
    values.forEach((value, i) => {
      for (const on of ['branch', 'tag', 'ref'] as const) {
        for (const list of ['include', 'exclude'] as const) {
          value.when?.[on]?.[list]?.forEach((cond, j) => {
            if (cond.type !== 'regexp') return;
            try {
              new RegExp(cond.match);
            } catch (err) {
              const where = `values[${i}].when.${on}.${list}[${j}]`;
              throw new BadRequestError(
                `variable ${JSON.stringify(name)}: ${where}: invalid regular expression ${JSON.stringify(cond.match)}: ${(err as Error).message}`,
                {
                  code: errorCodes.invalidRegexp,
                },
              );
            }
          });
        }
      }
    });
  },
};

export const listVariables = (
  ctx: RequestContext,
  stores: Stores,
  parentType: ConfigParentType,
  ref: string,
  query: { tree?: boolean; limit?: number; cursor?: string },
) => listItems(ctx, stores, variableKind, parentType, ref, query) as ListResult<Variable>;

export const createVariable = async (ctx: RequestContext, stores: Stores, parentType: ConfigParentType, ref: string, req: CreateVariableRequest) =>
  (await createItem(ctx, stores, variableKind, parentType, ref, req.name, { values: req.values })) as Variable;

export const updateVariable = async (
  ctx: RequestContext,
  stores: Stores,
  parentType: ConfigParentType,
  ref: string,
  name: string,
  req: UpdateVariableRequest,
) => (await updateItem(ctx, stores, variableKind, parentType, ref, name, req)) as Variable;

export const deleteVariable = (ctx: RequestContext, stores: Stores, parentType: ConfigParentType, ref: string, name: string) =>
  deleteItem(ctx, stores, variableKind, parentType, ref, name);
