// Redaction of the support bundle: whatever looks like a credential in logs and objects is
// replaced before anything is written. It errs on the side of hiding (a false positive costs a
// value; a miss leaks a secret). Secrets themselves are never read (collect.ts).
export const redacted = '[REDACTED]';

/** Names whose values are secrets: password, token, secret, access key, credentials, private key, API key. */
const sensitiveWords = 'pass(?:word|wd)?|token|secret|api[_-]?key|access[_-]?key|credentials?|private[_-]?key|auth(?:orization)?|session';
const sensitiveName = new RegExp(`(${sensitiveWords})`, 'i');
/** …but these name where a secret is, not the secret: a Secret's name or key, a file path. */
const referenceName = /(Ref|File|Path|Dir|Name|KeyKey|IdKey)$|_(FILE|PATH|DIR)$|^(secretName|tokenSecretRef)$/;

export const isSensitiveName = (name: string) => sensitiveName.test(name) && !referenceName.test(name);

interface Rule {
  pattern: RegExp;
  replace: (...groups: string[]) => string;
}

const rules: Rule[] = [
  // PEM private keys, whole
  { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, replace: () => `-----${redacted} PRIVATE KEY-----` },
  // Authorization: Bearer …, Basic …
  { pattern: /\b(Bearer|Basic)\s+[A-Za-z0-9\-._~+/]+=*/g, replace: (_m, scheme) => `${scheme} ${redacted}` },
  // JWTs (service-account tokens, OIDC)
  { pattern: /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, replace: () => redacted },
  // AWS access key ids
  { pattern: /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g, replace: () => redacted },
  // user:password@ in URLs
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]+):([^\s/@]+)@/gi, replace: (_m, scheme, user) => `${scheme}${user}:${redacted}@` },
  // presigned S3 URLs
  { pattern: /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, replace: (_m, name) => `${name}${redacted}` },
  // name=value, name: value, "name":"value" on one line, for a sensitive name
  {
    // (only sensitive names match, so the value of another field, e.g. a message, is still searched)
    pattern: new RegExp(
      `(["']?)([A-Za-z0-9_.-]*(?:${sensitiveWords})[A-Za-z0-9_.-]*)\\1([ \\t]*[:=][ \\t]*)("(?:[^"\\\\\\n]|\\\\.)*"|'[^'\\n]*'|[^\\s,;&{}[\\]"']+)`,
      'gi',
    ),
    replace: (m, q, name, sep, value) => {
      if (!isSensitiveName(name!) || value === '""' || value === "''" || value === redacted || /^(true|false|null|\d+|Bearer|Basic)$/i.test(value!)) return m;
      const quote = value!.startsWith('"') ? '"' : value!.startsWith("'") ? "'" : '';
      return `${q}${name}${q}${sep}${quote}${redacted}${quote}`;
    },
  },
  // long random strings (configstore's user tokens are 43 base64url characters): mixed case and digits, not hex (sha256s stay)
  {
    pattern: /(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])/g,
    replace: (m) => (/[A-Z]/.test(m) && /[a-z]/.test(m) && /[0-9]/.test(m) && !/^[0-9a-fA-F-]+$/.test(m) ? redacted : m),
  },
];

/** The text with credentials replaced, and how many were. */
export function redactText(text: string): { text: string; count: number } {
  let count = 0;
  let out = text;
  for (const rule of rules) {
    out = out.replace(rule.pattern, (...args: unknown[]) => {
      const groups = args.filter((a): a is string => typeof a === 'string' || a === undefined).map((a) => a ?? '');
      const replaced = rule.replace(...groups);
      if (replaced !== groups[0]) count++;
      return replaced;
    });
  }
  return { text: out, count };
}

/** An object with the values of sensitive fields and env entries replaced (before it is serialized and redactText runs). */
export function redactObject<T>(value: T): { value: T; count: number } {
  let count = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (!v || typeof v !== 'object') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    // env entries: {name: AWS_SECRET_ACCESS_KEY, value: …}
    const envLike = typeof o.name === 'string' && typeof o.value === 'string' && isSensitiveName(o.name);
    for (const [k, child] of Object.entries(o)) {
      if ((envLike && k === 'value') || (typeof child === 'string' && child && isSensitiveName(k))) {
        out[k] = redacted;
        count++;
      } else out[k] = walk(child);
    }
    return out;
  };
  return { value: walk(value) as T, count };
}
