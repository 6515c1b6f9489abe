import { asc, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client.ts';
import { customers } from '../db/schema.ts';
import { isUniqueViolation } from '../db/errors.ts';
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

export async function renameCustomer(db: Db, name: string, newName: string): Promise<{ before: string; customer: Customer }> {
  const current = await findCustomer(db, name);
  if (!current) throw new AppError('not_found', `Customer "${name}" does not exist (see: backupbot customer list).`);
  const clean = checkName('Customer', newName);
  const [row] = await db
    .update(customers)
    .set({ name: clean })
    .where(eq(customers.id, current.id))
    .returning()
    .catch((err: unknown) => {
      throw isUniqueViolation(err) ? new AppError('conflict', `Customer "${clean}" already exists.`) : err;
    });
  return { before: current.name, customer: row! };
}

/** Customers with how many servers each has in service. */
export async function customersWithCounts(db: Db): Promise<Array<Customer & { servers: number }>> {
  const rows = await db
    .select({ customer: customers, servers: sql<number>`(select count(*) from servers s where s.customer_id = "customers"."id" and s.removed_at is null)::int` })
    .from(customers)
    .orderBy(asc(customers.name));
  return rows.map((r) => ({ ...r.customer, servers: Number(r.servers) }));
}
