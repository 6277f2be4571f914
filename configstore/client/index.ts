export { ConfigStoreClient, type ClientOptions, type ImportResult } from './client.js';
export { RemoteError, errorCodes, isErrorCode, type ErrorCode } from '../errors.js';
