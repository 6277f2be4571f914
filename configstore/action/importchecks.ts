// The resources' rules an import applies to every object it reads (datamanager/importer.ts
// ImportRules): the same checks the API runs on a create, so an import never stores what
// the API would refuse. The importer is below action/ and takes them as a parameter.
import type { ImportRules } from '../datamanager/importer.js';
import { checkConfigType } from './projects.js';
import { secretKind } from './secrets.js';
import { variableKind } from './variables.js';

export const importRules: ImportRules = {
  projectConfigType: (type) => checkConfigType(type),
  secret: (name, fields) => secretKind.validate(name, fields),
  variable: (name, fields) => variableKind.validate(name, fields),
};
