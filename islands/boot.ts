/**
 * The client side of islands: finds each island's marker (`components/island.tsx` writes it
 * with the island's name and JSON props around its server-rendered HTML) and hydrates the
 * component there, then marks it `data-hydrated`. Only the islands of a page's entry are
 * shipped, and nothing else runs.
 */
import { type ComponentType, h, hydrate } from "preact";

/** Hydrates every island on the page whose name `islands` knows. */
// deno-lint-ignore no-explicit-any
export function boot(islands: Record<string, ComponentType<any>>): void {
  for (const marker of document.querySelectorAll<HTMLElement>("[data-island]")) {
    const island = islands[marker.dataset.island ?? ""];
    if (!island) continue;
    hydrate(h(island, JSON.parse(marker.dataset.props ?? "{}")), marker);
    // Says the island answers now (tests and budgets wait for it).
    marker.dataset.hydrated = "";
  }
}
