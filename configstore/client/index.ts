export { ConfigStoreClient, type ClientOptions } from './client.js';
export { RemoteError } from '../errors.js';
