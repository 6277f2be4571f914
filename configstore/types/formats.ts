// The formats of configstore's schemas beyond JSON Schema's: each check is the server's
// rule itself. Every Ajv that compiles these schemas registers them (request validation,
// response serialization, the importer).
import { isCursor } from './list.js';
import { isHttpUrl } from './remotesource.js';
import { isRegExp } from './variable.js';

export const schemaFormats = { cursor: isCursor, 'http-url': isHttpUrl, regexp: isRegExp };
