import picomatch from 'picomatch';

/**
 * Exception patterns are globs matched without regard to case (Windows file names):
 * a pattern with no slash matches the base name anywhere ("*.pst"), a pattern with a
 * slash matches the whole path ("/cygdrive/E/shares/*.qbw").
 */
export function compileExceptions(patterns: readonly string[]): (path: string) => boolean {
  if (patterns.length === 0) return () => false;
  const byName = patterns.filter((p) => !p.includes('/'));
  const byPath = patterns.filter((p) => p.includes('/'));
  const opts = { nocase: true, dot: true } as const;
  const nameMatch = byName.length ? picomatch(byName, opts) : null;
  const pathMatch = byPath.length ? picomatch(byPath, opts) : null;
  return (path) => {
    const trimmed = path.endsWith('/') ? path.slice(0, -1) : path;
    if (nameMatch && nameMatch(trimmed.slice(trimmed.lastIndexOf('/') + 1))) return true;
    return pathMatch !== null && pathMatch(trimmed);
  };
}

/** Returns a message saying what is wrong with the pattern, or null when it is usable. */
export function checkPattern(pattern: string): string | null {
  if (pattern.trim() === '') return 'An exception pattern cannot be empty.';
  if (pattern.length > 500) return 'An exception pattern must be at most 500 characters.';
  if (/^[*?/]*$/.test(pattern)) return `The pattern "${pattern}" would match every file; name the files to except, e.g. "*.pst".`;
  try {
    picomatch.makeRe(pattern);
  } catch (err) {
    return `The pattern "${pattern}" is not a valid glob: ${(err as Error).message}`;
  }
  return null;
}
