import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { customers } from '../db/schema.ts';
import { AppError } from '../errors.ts';

export type Customer = typeof customers.$inferSelect;

export function checkName(kind: string, name: string): string {
  const trimmed = name.trim();
  if (!/^[\p{L}\p{N}][\p{L}\p{N} ._-]{0,99}$/u.test(trimmed)) {
    throw new AppError(
      'usage',
      `${kind} name "${name}" is not allowed: use 1-100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit.`,
    );
  }
  return trimmed;
}

export async function addCustomer(db: Db, name: string): Promise<Customer> {
  const clean = checkName('Customer', name);
  const [row] = await db.insert(customers).values({ name: clean }).onConflictDoNothing().returning();
  if (!row) throw new AppError('conflict', `Customer "${clean}" already exists.`);
  return row;
}

export async function findCustomer(db: Db, name: string): Promise<Customer | undefined> {
  const [row] = await db
    .select()
    .from(customers)
    .where(eq(sql`lower(${customers.name})`, name.trim().toLowerCase()));
  return row;
}

export async function listCustomers(db: Db): Promise<Customer[]> {
  return db.select().from(customers).orderBy(asc(customers.name));
}
