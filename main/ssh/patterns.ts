/**
 * OpenSSH's pattern matching (match.c), used by ssh_config `Host`/`Match` and known_hosts host fields:
 * `*` matches any run of characters, `?` exactly one, everything else itself. A pattern list is
 * comma-separated; a `!`-prefixed pattern that matches vetoes the whole list.
 */

/** OpenSSH `match_pattern`: does `text` match the glob `pattern` (case-sensitive)? */
export function matchPattern(text: string, pattern: string): boolean {
  // Iterative glob with single-star backtracking: linear in practice, no regex blow-up.
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const pc = pattern[p];
    if (pc === '*') {
      starP = p++;
      starT = t;
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++;
      t++;
    } else if (starP >= 0) {
      p = starP + 1;
      t = ++starT;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}

/**
 * OpenSSH `match_pattern_list`: 1 if a positive pattern matches (and no negated one), -1 if a negated
 * pattern matches, 0 otherwise. With `lowercase`, patterns are lowercased first (the text must already be
 * lowercase), as for host names.
 */
export function matchPatternList(
  text: string,
  patterns: string | readonly string[],
  lowercase: boolean,
): -1 | 0 | 1 {
  const list = typeof patterns === 'string' ? patterns.split(',') : patterns;
  let positive = false;
  for (const raw of list) {
    if (raw === '') continue;
    const negated = raw.startsWith('!');
    let pattern = negated ? raw.slice(1) : raw;
    if (lowercase) pattern = pattern.toLowerCase();
    if (matchPattern(text, pattern)) {
      if (negated) return -1;
      positive = true;
    }
  }
  return positive ? 1 : 0;
}

/** A host name against a host pattern list (case-insensitive, OpenSSH `match_hostname`). */
export function matchHostPatterns(host: string, patterns: string | readonly string[]): boolean {
  return matchPatternList(host.toLowerCase(), patterns, true) === 1;
}
