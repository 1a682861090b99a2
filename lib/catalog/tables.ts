/**
 * The table store. Each table has a unique number in its location and a QR token that guests
 * present to order; both are indexes written with the table.
 */
import { newId, randomToken } from "../kv/ids.ts";
import { tableByNumberKey, tableByTokenKey, tableKey, tablesPrefix } from "../kv/keys.ts";
import type { CreateTableInput, Table } from "../schemas.ts";

/** Where a QR token points. */
export interface TableRef {
  locationId: string;
  tableId: string;
}

/** A new table record with a fresh QR token (not stored yet). */
export function newTable(locationId: string, input: CreateTableInput): Table {
  return {
    id: newId(),
    locationId,
    number: input.number,
    seats: input.seats,
    status: "available",
    token: newTableToken(),
  };
}

/** A fresh QR token. */
export function newTableToken(): string {
  return randomToken(18);
}

/**
 * Adds a new table and its number and token indexes to `op`. The caller checks the number is
 * free.
 */
export function addTable(op: Deno.AtomicOperation, table: Table): Deno.AtomicOperation {
  const ref: TableRef = { locationId: table.locationId, tableId: table.id };
  return op
    .set(tableKey(table.locationId, table.id), table)
    .set(tableByNumberKey(table.locationId, table.number), table.id)
    .set(tableByTokenKey(table.token), ref);
}

/**
 * Adds a changed table to `op`, moving its number and token indexes when those changed. The
 * caller checks the new number is free.
 */
export function replaceTable(
  op: Deno.AtomicOperation,
  before: Table,
  table: Table,
): Deno.AtomicOperation {
  op.set(tableKey(table.locationId, table.id), table);
  if (table.number !== before.number) {
    op.delete(tableByNumberKey(table.locationId, before.number))
      .set(tableByNumberKey(table.locationId, table.number), table.id);
  }
  if (table.token !== before.token) {
    const ref: TableRef = { locationId: table.locationId, tableId: table.id };
    op.delete(tableByTokenKey(before.token)).set(tableByTokenKey(table.token), ref);
  }
  return op;
}

/** Adds the removal of a table and its indexes to `op`. */
export function removeTable(op: Deno.AtomicOperation, table: Table): Deno.AtomicOperation {
  return op
    .delete(tableKey(table.locationId, table.id))
    .delete(tableByNumberKey(table.locationId, table.number))
    .delete(tableByTokenKey(table.token));
}

/** Reads one table with its versionstamp (to check when changing it). */
export async function readTable(
  kv: Deno.Kv,
  locationId: string,
  tableId: string,
): Promise<Deno.KvEntryMaybe<Table>> {
  return await kv.get<Table>(tableKey(locationId, tableId));
}

/** Reads one table, or null. */
export async function getTable(
  kv: Deno.Kv,
  locationId: string,
  tableId: string,
): Promise<Table | null> {
  return (await readTable(kv, locationId, tableId)).value;
}

/** A location's tables, by number. */
export async function listTables(kv: Deno.Kv, locationId: string): Promise<Table[]> {
  const tables: Table[] = [];
  for await (
    const entry of kv.list<Table>({ prefix: tablesPrefix(locationId) }, { batchSize: 1000 })
  ) {
    tables.push(entry.value);
  }
  return tables.sort((a, b) => a.number - b.number);
}

/** Where a QR token points, or null when no table has it. */
export async function findTableRef(kv: Deno.Kv, token: string): Promise<TableRef | null> {
  return (await kv.get<TableRef>(tableByTokenKey(token))).value;
}
