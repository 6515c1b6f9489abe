import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * Reads a row that the database sent as `to_jsonb(table_alias)` into the shape drizzle's
 * select gives: camelCase keys and Date timestamps. For wide reads of thousands of rows (the
 * fleet view), one JSON value per row parsed by the driver costs a fraction of drizzle's
 * per-field mapping. Only for tables whose columns JSON carries exactly (no bigint past 2^53).
 */
export function jsonRowReader<T extends Table>(table: T): (row: Record<string, unknown>) => InferSelectModel<T> {
  const columns = Object.entries(getTableColumns(table)).map(([key, c]) => ({ key, name: c.name, date: c.columnType === 'PgTimestamp' }));
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const c of columns) {
      const v = row[c.name];
      out[c.key] = v === undefined || v === null ? null : c.date ? new Date(v as string) : v;
    }
    return out as InferSelectModel<T>;
  };
}
