// Which etcd credentials fit which endpoints, without servers.
import { describe, expect, it } from 'vitest';
import { etcdConnectionOptions } from './etcdcredentials.js';

const b = (s: string) => Buffer.from(s);

describe('etcdConnectionOptions', () => {
  it('refuses password auth over plain http:// (the password would go in clear), naming the endpoints', () => {
    expect(() => etcdConnectionOptions(['http://etcd-0:2379', 'https://etcd-1:2379'], { username: b('root'), password: b('s3cret') })).toThrow(
      'username and password would go in clear over plain http:// etcd endpoints (http://etcd-0:2379): serve etcd over TLS and use https:// endpoints (with ca.crt for its CA)',
    );
  });

  it('takes password auth over https://, and plain http:// without credentials', () => {
    expect(etcdConnectionOptions(['https://etcd:2379'], { username: b('root'), password: b('s3cret\n') })).toMatchObject({
      hosts: ['https://etcd:2379'],
      auth: { username: 'root', password: 's3cret' },
    });
    expect(etcdConnectionOptions(['http://etcd:2379'], {})).toEqual({ hosts: ['http://etcd:2379'] });
  });

  it('refuses TLS material for http:// and halves of a pair', () => {
    expect(() => etcdConnectionOptions(['http://etcd:2379'], { ca: b('x') })).toThrow(/ca.crt is for TLS, but these etcd endpoints are plain http:\/\//);
    expect(() => etcdConnectionOptions(['https://etcd:2379'], { cert: b('x') })).toThrow('tls.crt and tls.key go together: only tls.crt is set');
    expect(() => etcdConnectionOptions(['https://etcd:2379'], { username: b('root') })).toThrow('username and password go together: only username is set');
  });
});
