import { describe, expect, it } from 'vitest';
import { isSensitiveName, redactObject, redactText } from './redact.js';

const hidden = (text: string) => redactText(text).text;

describe('redactText', () => {
  it('hides bearer and basic credentials, JWTs, AWS key ids, URL passwords and presigned signatures', () => {
    const jwt = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXBhcnQ';
    expect(hidden('GET /api authorization: Bearer abc.def-123')).toBe('GET /api authorization: Bearer [REDACTED]');
    expect(hidden('curl -H "Authorization: Basic dXNlcjpwYXNz"')).toBe('curl -H "Authorization: Basic [REDACTED]"');
    expect(hidden(`token from ${jwt} ok`)).toBe('token from [REDACTED] ok');
    expect(hidden('key AKIAIOSFODNN7EXAMPLE used')).toBe('key [REDACTED] used');
    expect(hidden('etcd https://root:hunter2@etcd:2379 down')).toBe('etcd https://root:[REDACTED]@etcd:2379 down');
    expect(hidden('GET /b/k?X-Amz-Credential=AKIA%2F20260601&X-Amz-Signature=0af3&x=1')).toBe(
      'GET /b/k?X-Amz-Credential=[REDACTED]&X-Amz-Signature=[REDACTED]&x=1',
    );
    expect(hidden('-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----')).toBe('-----[REDACTED] PRIVATE KEY-----');
  });

  it('hides the values of names that hold secrets, in logs (key=value, JSON) and YAML', () => {
    expect(hidden('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG password=hunter2')).toBe('AWS_SECRET_ACCESS_KEY=[REDACTED] password=[REDACTED]');
    expect(hidden('{"level":30,"token":"s3cr3t","msg":"ok"}')).toBe('{"level":30,"token":"[REDACTED]","msg":"ok"}');
    expect(hidden("password: 'p w'\nadminToken: abc")).toBe("password: '[REDACTED]'\nadminToken: [REDACTED]");
    expect(hidden("message: 'S3 refused: password=hunter2 in the URL'")).toBe("message: 'S3 refused: password=[REDACTED] in the URL'");
    const { count } = redactText('password=a token=b');
    expect(count).toBe(2);
  });

  it('hides long random strings such as configstore user tokens, not sha256s, uuids, names or revisions', () => {
    expect(hidden('created token Xk3vQ9_pLm2RtY8wZa1BcD4eFg7HiJ0kLmNoPqRsTuV for alice')).toBe('created token [REDACTED] for alice');
    const keep = [
      'sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
      'uid 3f2a1c4e-8b7d-4e5f-9a0b-1c2d3e4f5a6b',
      'pod main-configstore-7d9f8b6c5d-x2x4z revision 123456789',
      'credentialsSecretRef:\n  name: configstore-s3',
      'secretAccessKeyKey: AWS_SECRET_ACCESS_KEY',
      'CONFIGSTORE_ADMIN_TOKEN_FILE=/etc/configstore/admin/token',
      'maintenance token rotated; passwordless: true',
    ];
    for (const line of keep) expect(hidden(line), line).toBe(line);
  });
});

describe('redactObject', () => {
  it('hides env values and fields with secret names, keeps references to Secrets', () => {
    const pod = {
      spec: {
        containers: [
          {
            env: [
              { name: 'AWS_SECRET_ACCESS_KEY', value: 'plain-in-the-spec' },
              { name: 'CONFIGSTORE_ADMIN_TOKEN', valueFrom: { secretKeyRef: { name: 'admin', key: 'token' } } },
              { name: 'CONFIGSTORE_LOG_LEVEL', value: 'info' },
            ],
          },
        ],
        volumes: [{ name: 'admin', secret: { secretName: 'admin-token' } }],
      },
      status: { message: 'fine', password: 'x' },
    };
    const { value, count } = redactObject(pod);
    expect(count).toBe(2);
    expect(value.spec.containers[0]!.env).toEqual([
      { name: 'AWS_SECRET_ACCESS_KEY', value: '[REDACTED]' },
      pod.spec.containers[0]!.env[1],
      { name: 'CONFIGSTORE_LOG_LEVEL', value: 'info' },
    ]);
    expect(value.spec.volumes).toEqual(pod.spec.volumes);
    expect(value.status).toEqual({ message: 'fine', password: '[REDACTED]' });
  });

  it('names: secrets yes, references to them no', () => {
    expect(['password', 'AWS_SECRET_ACCESS_KEY', 'apiKey', 'sessionToken', 'authorization'].every(isSensitiveName)).toBe(true);
    expect(['credentialsSecretRef', 'secretName', 'tokenFile', 'accessKeyIdKey', 'serviceAccountName', 'name'].some(isSensitiveName)).toBe(false);
  });
});
