/**
 * db.execute() answers in the driver's own shape: postgres.js gives an array of rows,
 * PGlite an object with `rows`. Raw SQL in backupbot reads its rows through this.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result)) return result as T[];
  const rows = (result as { rows?: unknown }).rows;
  return Array.isArray(rows) ? (rows as T[]) : [];
}
