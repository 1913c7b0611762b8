/** Hides secrets before text reaches a log or a report: passwords in URLs, tokens, keys. */
const PATTERNS: Array<[RegExp, string]> = [
  // scheme://user:password@host
  [/([a-z][a-z0-9+.-]*:\/\/[^:/@\s]+:)[^@\s]+@/gi, '$1***@'],
  // password=..., token: ..., PGPASSWORD=...
  [/\b([\w-]*(?:password|passwd|secret|token|api[_-]?key)[\w-]*["']?\s*[=:]\s*["']?)[^\s"',&]+/gi, '$1***'],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, '***PRIVATE KEY***'],
  [/\b(Bearer\s+)[\w.~+/-]+=*/gi, '$1***'],
  // kubeconfig key material: client-key-data: <base64>, client-certificate-data, …
  [
    /\b((?:client-key|client-certificate|certificate-authority)-data["']?\s*:\s*["']?)[A-Za-z0-9+/=]+/gi,
    '$1***',
  ],
];

export function redact(text: string): string {
  let out = text;
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Keys whose (string or number) value is a secret whatever it looks like, e.g. `{ password: "x" }`. */
const SECRET_KEY = /^[\w-]*(?:password|passwd|secret|token|api[_-]?key|private[_-]?key)[\w-]*$/i;

/**
 * A copy of `value` with every string in it passed through `redact`, and the value of every key
 * that names a secret replaced by `***` (plain data only: records, arrays).
 */
export function redactDeep<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_KEY.test(k) && (typeof v === 'string' || typeof v === 'number') ? '***' : redactDeep(v),
      ]),
    ) as T;
  }
  return value;
}
