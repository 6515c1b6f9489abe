import { loadConfig } from '../../src/config.ts';
import type { Database } from '../../src/db/client.ts';
import { addCustomer } from '../../src/fleet/customers.ts';
import { addServer } from '../../src/fleet/servers.ts';
import { createLogger } from '../../src/log.ts';
import { startService, type Service } from '../../src/main.ts';

/** Starts the real HTTP service on a free loopback port over the given database. */
export async function startTestService(database: Database, env: Record<string, string> = {}, opts: { schedule?: boolean } = {}): Promise<Service> {
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', ...env });
  // Tests drive the scheduler themselves (runSlot / tick with a chosen clock).
  return startService(config, createLogger('silent'), { database, schedule: opts.schedule ?? false });
}

/** Adds a customer and a server, returning the server's upload token. */
export async function seedServer(database: Database, customer = 'Acorn', server = 'fs01') {
  await addCustomer(database.db, customer).catch(() => undefined);
  return addServer(database.db, { customer, name: server, targetHost: 'custbak1' });
}
