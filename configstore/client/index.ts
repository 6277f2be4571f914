export { ConfigStoreClient, type ClientOptions, type ImportResult } from './client.js';
export { RemoteError } from '../errors.js';
