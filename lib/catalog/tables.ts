/**
 * The table store. Each table has a unique number in its location and a QR token that guests
 * present to order. Every write bumps the location's catalog version.
 */
import { conflict, notFound } from "../errors.ts";
import { newId, randomToken } from "../kv/ids.ts";
import {
  catalogVersionKey,
  locationKey,
  tableByNumberKey,
  tableByTokenKey,
  tableKey,
  tablesPrefix,
} from "../kv/keys.ts";
import { retryOnConflict } from "../kv/retry.ts";
import type { CreateTableInput, Table, UpdateTableInput } from "../schemas.ts";

/** Where a QR token points. */
export interface TableRef {
  locationId: string;
  tableId: string;
}

/** Adds a table; a number already used in the location is a 409. */
export async function createTable(
  kv: Deno.Kv,
  locationId: string,
  input: CreateTableInput,
): Promise<Table> {
  const table = newTable(locationId, input);
  const location = await kv.get(locationKey(locationId));
  if (!location.versionstamp) throw notFound("Location");
  const op = kv.atomic()
    .check(location)
    .check({ key: tableByNumberKey(locationId, table.number), versionstamp: null })
    .set(catalogVersionKey(locationId), newId());
  const result = await addTable(op, table).commit();
  if (!result.ok) throw duplicateNumber(table.number);
  return table;
}

/** A new table record with a fresh QR token (not stored yet). */
export function newTable(locationId: string, input: CreateTableInput): Table {
  return {
    id: newId(),
    locationId,
    number: input.number,
    seats: input.seats,
    status: "available",
    token: randomToken(18),
  };
}

/**
 * Adds a new table and its number and token indexes to `op`. The caller checks the number is
 * free and bumps the catalog version in the same op.
 */
export function addTable(op: Deno.AtomicOperation, table: Table): Deno.AtomicOperation {
  const ref: TableRef = { locationId: table.locationId, tableId: table.id };
  return op
    .set(tableKey(table.locationId, table.id), table)
    .set(tableByNumberKey(table.locationId, table.number), table.id)
    .set(tableByTokenKey(table.token), ref);
}

/** Changes a table's number, seats or status, or rotates its QR token. */
export async function updateTable(
  kv: Deno.Kv,
  locationId: string,
  tableId: string,
  patch: UpdateTableInput,
): Promise<Table> {
  return await retryOnConflict(async () => {
    const entry = await kv.get<Table>(tableKey(locationId, tableId));
    if (!entry.versionstamp) throw notFound("Table");
    const before = entry.value;
    const table: Table = {
      ...before,
      number: patch.number ?? before.number,
      seats: patch.seats ?? before.seats,
      status: patch.status ?? before.status,
      token: patch.rotateToken ? randomToken(18) : before.token,
    };
    const op = kv.atomic().check(entry).set(entry.key, table).set(
      catalogVersionKey(locationId),
      newId(),
    );
    if (table.number !== before.number) {
      const numberKey = tableByNumberKey(locationId, table.number);
      const taken = await kv.get(numberKey);
      if (taken.versionstamp) throw duplicateNumber(table.number);
      op.check(taken).delete(tableByNumberKey(locationId, before.number)).set(numberKey, table.id);
    }
    if (table.token !== before.token) {
      op.delete(tableByTokenKey(before.token)).set(tableByTokenKey(table.token), {
        locationId,
        tableId,
      });
    }
    const result = await op.commit();
    return result.ok ? table : null;
  });
}

/** Removes a table; its QR token stops working at once. Its orders stay. */
export async function deleteTable(kv: Deno.Kv, locationId: string, tableId: string): Promise<void> {
  await retryOnConflict(async () => {
    const entry = await kv.get<Table>(tableKey(locationId, tableId));
    if (!entry.versionstamp) throw notFound("Table");
    const result = await kv.atomic()
      .check(entry)
      .delete(entry.key)
      .delete(tableByNumberKey(locationId, entry.value.number))
      .delete(tableByTokenKey(entry.value.token))
      .set(catalogVersionKey(locationId), newId())
      .commit();
    return result.ok ? true : null;
  });
}

/** Reads one table, or null. */
export async function getTable(
  kv: Deno.Kv,
  locationId: string,
  tableId: string,
): Promise<Table | null> {
  return (await kv.get<Table>(tableKey(locationId, tableId))).value;
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

function duplicateNumber(number: number) {
  return conflict(
    "duplicate_table_number",
    `Table number ${number} is already used in this location.`,
  );
}
