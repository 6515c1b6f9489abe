/**
 * Turns a query for many keys into a function for one: calls that arrive while `maxInFlight`
 * queries are already running wait and go together in the next one. On a quiet server every
 * call goes at once, alone; under load, concurrent requests share one round trip and one
 * statement. The batch query answers in the order of its keys; if it fails, every call in
 * it fails with the same error.
 */
export function coalesce<K, V>(query: (keys: K[]) => Promise<V[]>, opts: { maxInFlight?: number; maxBatch?: number } = {}): (key: K) => Promise<V> {
  const maxInFlight = opts.maxInFlight ?? 2;
  const maxBatch = opts.maxBatch ?? 128;
  let queue: { key: K; resolve: (v: V) => void; reject: (err: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;

  const pump = (): void => {
    while (inFlight < maxInFlight && queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      query(batch.map((w) => w.key))
        .then(
          (values) => batch.forEach((w, i) => w.resolve(values[i]!)),
          (err: unknown) => batch.forEach((w) => w.reject(err)),
        )
        .finally(() => {
          inFlight--;
          pump();
        });
    }
  };

  return (key: K) =>
    new Promise<V>((resolve, reject) => {
      queue.push({ key, resolve, reject });
      // Calls made in the same turn of the event loop go together.
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => {
          scheduled = false;
          pump();
        });
      }
    });
}

/** One coalesced function per database handle (or any other object). */
export function perHandle<H extends object, F>(make: (handle: H) => F): (handle: H) => F {
  const made = new WeakMap<H, F>();
  return (handle: H) => {
    let f = made.get(handle);
    if (!f) {
      f = make(handle);
      made.set(handle, f);
    }
    return f;
  };
}
