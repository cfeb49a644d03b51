/**
 * POSIX shell quoting for commands run over SSH `exec` (the server hands the string to the user's login
 * shell: sh, bash, zsh, dash — and `'…'` with `'\''` also works in csh/tcsh and fish).
 */

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument: unchanged when it has only safe characters, else single-quoted. */
export function shellQuote(arg: string): string {
  if (arg !== '' && SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Quotes and joins arguments into one command line. */
export function shellJoin(args: readonly string[]): string {
  return args.map(shellQuote).join(' ');
}
