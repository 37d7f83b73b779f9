/** `WWW-Authenticate` parsing (RFC 7235 challenges) for the Docker token flow and Basic. */

export interface AuthChallenge {
  /** Lower-cased: `bearer`, `basic`, ... */
  readonly scheme: string;
  /** Lower-cased names. */
  readonly params: Readonly<Record<string, string>>;
}

/** Every challenge in one or more header values; malformed parts are skipped. */
export function parseChallenges(header: string | readonly string[] | undefined): AuthChallenge[] {
  if (header === undefined) return [];
  const values = typeof header === 'string' ? [header] : header;
  const out: AuthChallenge[] = [];
  for (const value of values) parseOne(value, out);
  return out;
}

function parseOne(s: string, out: AuthChallenge[]): void {
  let i = 0;
  let current: { scheme: string; params: Record<string, string> } | undefined;
  const n = s.length;
  const skipWs = () => {
    while (i < n && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
  };
  const token = (): string => {
    const start = i;
    while (i < n && /[A-Za-z0-9!#$%&'*+.^_`|~-]/.test(s[i]!)) i++;
    return s.slice(start, i);
  };
  while (i < n) {
    skipWs();
    const name = token();
    if (name === '') {
      i++; // skip an unexpected character
      continue;
    }
    // `name=` starts a parameter; anything else starts a new challenge.
    let j = i;
    while (j < n && (s[j] === ' ' || s[j] === '\t')) j++;
    if (s[j] === '=' && current !== undefined) {
      i = j + 1;
      while (i < n && (s[i] === ' ' || s[i] === '\t')) i++;
      let value = '';
      if (s[i] === '"') {
        i++;
        while (i < n && s[i] !== '"') {
          if (s[i] === '\\' && i + 1 < n) i++;
          value += s[i];
          i++;
        }
        i++; // closing quote
      } else {
        const start = i;
        while (i < n && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
        value = s.slice(start, i);
      }
      current.params[name.toLowerCase()] = value;
    } else {
      current = { scheme: name.toLowerCase(), params: {} };
      out.push(current);
    }
  }
}
