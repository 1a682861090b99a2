/** Bounded retry of optimistic (check-and-commit) writes. */
import { unavailable } from "../errors.ts";

const ATTEMPTS = 20;

/**
 * Runs `attempt` until it returns a value other than null (null meaning "a check failed, read
 * again"). After too many lost races the caller gets a 503 to retry, never a 500.
 */
export async function retryOnConflict<T>(attempt: () => Promise<T | null>): Promise<T> {
  for (let i = 0; i < ATTEMPTS; i++) {
    const result = await attempt();
    if (result !== null) return result;
  }
  throw unavailable("The resource is being changed by many requests at once; try again.");
}
