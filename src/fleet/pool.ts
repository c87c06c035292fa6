/**
 * Runs `fn` over `items` with at most `limit` at once, starting a new one
 * only while `keepGoing()` says so. Items never started are returned.
 */
export async function pool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  keepGoing: () => boolean = () => true,
): Promise<T[]> {
  const notStarted: T[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      if (!keepGoing()) {
        notStarted.push(item);
        continue;
      }
      await fn(item);
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  // Keep the plan's order in the report.
  return items.filter((i) => notStarted.includes(i));
}
