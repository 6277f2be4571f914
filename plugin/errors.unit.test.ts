import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeApiError, exitCodes, isNotFound } from './errors.js';

const server = 'https://k8s.example:6443';
const status = (reason: string, message: string, details?: object) => JSON.stringify({ kind: 'Status', status: 'Failure', reason, message, details });
const apiError = (code: number, body: string) => new ApiException(code, 'refused', body, {});
const list = { verb: 'list', resource: 'configstoreclusters.configstore.io', namespace: 'demo' } as const;

describe('describeApiError', () => {
  it('says which verb on which resource RBAC refused, and exits 1', () => {
    const err = describeApiError(
      apiError(403, status('Forbidden', 'configstoreclusters.configstore.io is forbidden: User "system:serviceaccount:demo:nobody" cannot list resource')),
      list,
      server,
    );
    expect(err.exitCode).toBe(exitCodes.failure);
    expect(err.message).toMatch(
      /^forbidden: RBAC does not allow list on configstoreclusters\.configstore\.io in namespace demo: .*system:serviceaccount:demo:nobody/,
    );
    expect(err.message).toContain('ask for a Role with "list" on "configstoreclusters.configstore.io"');
  });

  it('reads a plain 404 on a configstore resource as CRDs not installed', () => {
    const err = describeApiError(apiError(404, '404 page not found\n'), list, server);
    expect(err.exitCode).toBe(exitCodes.failure);
    expect(err.message).toBe(
      `the ConfigStore CRDs are not installed on ${server} (configstoreclusters.configstore.io is not served): kubectl apply --server-side -f crds/, or install the operator's Helm chart`,
    );
  });

  it('reads a 404 Status naming the object as not found, exit code 2', () => {
    const e = apiError(404, status('NotFound', 'configstoreclusters.configstore.io "main" not found', { name: 'main' }));
    expect(isNotFound(e)).toBe(true);
    const err = describeApiError(e, { ...list, verb: 'get', name: 'main' }, server);
    expect(err).toMatchObject({ exitCode: exitCodes.usage, message: 'configstoreclusters.configstore.io main not found in namespace demo' });
    expect(isNotFound(apiError(404, '404 page not found'))).toBe(false);
  });

  it('names the server when it cannot be reached, with the innermost cause', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });
    const err = describeApiError(new TypeError('fetch failed', { cause }), list, server);
    expect(err).toMatchObject({ exitCode: 1, message: `cannot reach the Kubernetes API server at ${server}: connect ECONNREFUSED 127.0.0.1:6443` });
  });

  it('401, 409, 422 and the rest', () => {
    expect(describeApiError(apiError(401, status('Unauthorized', 'Unauthorized')), list, server).message).toMatch(/^unauthorized: the API server at https/);
    const create = { verb: 'create', resource: 'configstoremaintenances.configstore.io', namespace: 'demo', name: 'x' } as const;
    expect(describeApiError(apiError(409, status('AlreadyExists', 'already exists')), create, server)).toMatchObject({ exitCode: 2 });
    expect(describeApiError(apiError(422, status('Invalid', 'spec.clusterRef.name: Invalid value')), create, server)).toMatchObject({
      exitCode: 2,
      message: 'the API server refused to create configstoremaintenances.configstore.io x: spec.clusterRef.name: Invalid value',
    });
    expect(describeApiError(apiError(500, status('InternalError', 'etcd down')), list, server)).toMatchObject({
      exitCode: 1,
      message: 'list configstoreclusters.configstore.io in namespace demo: HTTP 500: etcd down',
    });
    expect(describeApiError(apiError(403, ''), { verb: 'list', resource: 'pods', namespace: '' }, server).message).toContain('on pods across all namespaces');
  });
});
