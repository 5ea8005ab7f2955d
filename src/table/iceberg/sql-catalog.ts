/**
 * `dv export --catalog sql:PATH`: registers an export in a SQLite file laid
 * out as PyIceberg's `SqlCatalog` (and Iceberg's JDBC catalog) lay it out,
 * so `SqlCatalog(name, uri="sqlite:///PATH")` loads the table
 * (format-spec/iceberg-export.md#sql-catalog).
 *
 * SQLite is sql.js (SQLite compiled to WebAssembly, loaded only here): it runs
 * on every Node version dv supports with nothing to compile, but holds the
 * database in memory. So a registration is a git-style lockfile protocol on
 * the whole file: create `PATH.dv-lock` exclusively, read PATH, change it in
 * memory with a compare-and-swap UPDATE, write the new image into the lock
 * file, fsync, check that PATH still holds the bytes that were read, rename.
 */
import { constants } from 'node:fs'
import { access, open, readFile, rename, rm, stat } from 'node:fs/promises'
import { dirname, isAbsolute, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Database, SqlValue } from 'sql.js'
import type { CatalogRegistration } from '../../api-types.js'
import { DvError } from '../../errors.js'

/** Where and under which identifier an export is registered. */
export interface SqlCatalogTarget {
  /** Absolute path of the SQLite file. */
  path: string
  catalogName: string
  namespace: string
  tableName: string
}

/** How a catalog row is judged: whether its metadata file is an earlier dv export of this table. */
export type IsOwnExport = (metadataLocation: string) => Promise<boolean>

// The DDL PyIceberg 0.12's SqlCatalog.create_tables() emits through SQLAlchemy on SQLite (its "v1" schema).
const CREATE_TABLES = `CREATE TABLE iceberg_tables (
\tcatalog_name VARCHAR(255) NOT NULL, 
\ttable_namespace VARCHAR(255) NOT NULL, 
\ttable_name VARCHAR(255) NOT NULL, 
\tmetadata_location VARCHAR(1000), 
\tprevious_metadata_location VARCHAR(1000), 
\ticeberg_type VARCHAR(5), 
\tPRIMARY KEY (catalog_name, table_namespace, table_name)
);
CREATE TABLE iceberg_namespace_properties (
\tcatalog_name VARCHAR(255) NOT NULL, 
\tnamespace VARCHAR(255) NOT NULL, 
\tproperty_key VARCHAR(255) NOT NULL, 
\tproperty_value VARCHAR(1000) NOT NULL, 
\tPRIMARY KEY (catalog_name, namespace, property_key)
);`

const SQLITE_MAGIC = 'SQLite format 3\0'

/** `sql:PATH` or `sql:file:///PATH` -> the absolute path of the SQLite file. */
export function parseCatalogUri(spec: string): string {
  if (!spec.startsWith('sql:')) {
    throw new DvError('INVALID_ARGUMENT', `unknown catalog '${spec}'`, { hint: 'dv registers exports in a SQL catalog: --catalog sql:PATH (a SQLite file)' })
  }
  const rest = spec.slice('sql:'.length)
  if (rest === '') throw new DvError('INVALID_ARGUMENT', 'the catalog path is empty', { hint: '--catalog sql:PATH, e.g. sql:./catalog.db' })
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(rest) && !rest.startsWith('file://')) {
    throw new DvError('UNSUPPORTED', `cannot use the catalog '${rest}': the SQL catalog must be a SQLite file on a local file system`, {
      hint: 'give a local path: --catalog sql:./catalog.db (the export and the data files may still be elsewhere)',
    })
  }
  const path = rest.startsWith('file://') ? fileURLToPath(rest) : resolve(rest)
  if (!isAbsolute(path)) throw new DvError('INVALID_ARGUMENT', `invalid catalog path '${rest}'`)
  return path
}

/** Checks an Iceberg identifier part by part: PyIceberg splits identifiers at '.', so a table name has none. */
export function checkIdentifier(namespace: string, tableName: string): void {
  if (namespace.split('.').some((p) => p.trim() === '')) {
    throw new DvError('INVALID_ARGUMENT', `invalid catalog namespace '${namespace}': a part is empty`, { hint: "for example --namespace default or --namespace sales.eu" })
  }
  if (tableName.trim() === '' || tableName.includes('.')) {
    throw new DvError('INVALID_ARGUMENT', `invalid catalog table name '${tableName}': it must be non-empty and have no '.'`, {
      hint: 'the namespace goes in --namespace; e.g. --namespace sales --table-name orders',
    })
  }
}

/**
 * Checks before anything is exported that the catalog can be written and
 * would accept the registration: the file is SQLite (or absent), its directory
 * writable, and the identifier free or held by an earlier export of this table.
 */
export async function checkCatalog(target: SqlCatalogTarget, isOwnExport: IsOwnExport): Promise<void> {
  await checkWritable(target.path)
  if (await access(lockPath(target)).then(() => true, () => false)) throw lockHeld(target)
  const db = await load(target.path, await readCatalog(target.path))
  try {
    const current = currentRow(db, target)
    if (current !== undefined && !(await isOwnExport(current))) throw foreignRow(target, current)
  } finally {
    db.close()
  }
}

/** Points the catalog's row for the table at `metadataLocation`: inserts it, or moves it by compare-and-swap. */
export async function registerExport(target: SqlCatalogTarget, metadataLocation: string, isOwnExport: IsOwnExport): Promise<CatalogRegistration> {
  const lock = lockPath(target)
  const handle = await open(lock, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644).catch((e: NodeJS.ErrnoException) => {
    throw e.code === 'EEXIST' ? lockHeld(target) : storageError(e, target.path)
  })
  let renamed = false
  try {
    const before = await readCatalog(target.path)
    const db = await load(target.path, before)
    let image: Uint8Array
    let registration: CatalogRegistration
    try {
      registration = await updateRow(db, target, metadataLocation, isOwnExport)
      if (registration.action === 'unchanged') return registration
      image = db.export()
    } finally {
      db.close()
    }
    const mode = await stat(target.path).then((s) => s.mode & 0o777, () => undefined)
    if (mode !== undefined) await handle.chmod(mode)
    await handle.writeFile(image)
    await handle.sync()
    await handle.close()
    // whatever writes the file without dv's lock (PyIceberg) must not have written it since it was read
    const now = await readCatalog(target.path)
    if (!sameBytes(before, now)) {
      throw new DvError('CONFLICT', `the catalog ${target.path} changed while dv registered ${identifier(target)}`, {
        hint: 'run the export again; the Iceberg metadata it wrote is kept and reused', retryable: true,
      })
    }
    await rename(lock, target.path)
    renamed = true
    await syncDirectory(dirname(target.path))
    return registration
  } finally {
    await handle.close().catch(() => undefined)
    if (!renamed) await rm(lock, { force: true })
  }
}

/** The compare-and-swap on the in-memory image: 0 rows changed means the row is not what was checked. */
async function updateRow(db: Database, target: SqlCatalogTarget, next: string, isOwnExport: IsOwnExport): Promise<CatalogRegistration> {
  const base = { catalog: target.path, catalogName: target.catalogName, namespace: target.namespace, tableName: target.tableName, metadataLocation: next }
  const current = currentRow(db, target)
  if (current === next) return { ...base, previousMetadataLocation: previousOf(db, target), action: 'unchanged' }
  if (current === undefined) {
    const typed = hasTypeColumn(db)
    db.run(`INSERT INTO iceberg_tables (catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location${typed ? ', iceberg_type' : ''})
      VALUES (?, ?, ?, ?, NULL${typed ? ", 'TABLE'" : ''})`, [target.catalogName, target.namespace, target.tableName, next])
    ensureNamespace(db, target)
    return { ...base, previousMetadataLocation: null, action: 'created' }
  }
  if (!(await isOwnExport(current))) throw foreignRow(target, current)
  db.run(`UPDATE iceberg_tables SET metadata_location = ?, previous_metadata_location = ?
    WHERE catalog_name = ? AND table_namespace = ? AND table_name = ? AND metadata_location = ?`,
  [next, current, target.catalogName, target.namespace, target.tableName, current])
  if (db.getRowsModified() !== 1) {
    throw new DvError('CONFLICT', `the catalog row of ${identifier(target)} no longer points at ${current}: another writer moved it`, {
      hint: 'run the export again', retryable: true,
    })
  }
  return { ...base, previousMetadataLocation: current, action: 'updated' }
}

function currentRow(db: Database, target: SqlCatalogTarget): string | undefined {
  const rows = select(db, `SELECT metadata_location${hasTypeColumn(db) ? ', iceberg_type' : ", 'TABLE'"} FROM iceberg_tables
    WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?`, [target.catalogName, target.namespace, target.tableName])
  if (rows.length === 0) return undefined
  const [location, type] = rows[0]
  if (type !== null && type !== 'TABLE') {
    throw new DvError('CONFLICT', `the catalog ${target.path} holds a ${String(type).toLowerCase()} named ${identifier(target)}, not a table`, {
      hint: 'register under another name: --namespace NS or --table-name NAME',
    })
  }
  return typeof location === 'string' ? location : ''
}

function previousOf(db: Database, target: SqlCatalogTarget): string | null {
  const rows = select(db, 'SELECT previous_metadata_location FROM iceberg_tables WHERE catalog_name = ? AND table_namespace = ? AND table_name = ?',
    [target.catalogName, target.namespace, target.tableName])
  return typeof rows[0]?.[0] === 'string' ? rows[0][0] : null
}

/** As PyIceberg's create_namespace: a namespace without properties gets `exists = true`, so it outlives its tables. */
function ensureNamespace(db: Database, target: SqlCatalogTarget): void {
  const rows = select(db, 'SELECT 1 FROM iceberg_namespace_properties WHERE catalog_name = ? AND namespace = ? LIMIT 1', [target.catalogName, target.namespace])
  if (rows.length === 0) {
    db.run("INSERT INTO iceberg_namespace_properties (catalog_name, namespace, property_key, property_value) VALUES (?, ?, 'exists', 'true')",
      [target.catalogName, target.namespace])
  }
}

function hasTypeColumn(db: Database): boolean {
  return select(db, "SELECT 1 FROM pragma_table_info('iceberg_tables') WHERE name = 'iceberg_type'", []).length > 0
}

function select(db: Database, sql: string, params: SqlValue[]): SqlValue[][] {
  return db.exec(sql, params)[0]?.values ?? []
}

async function readCatalog(path: string): Promise<Uint8Array | undefined> {
  try {
    return await readFile(path)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    if ((e as NodeJS.ErrnoException).code === 'EISDIR') {
      throw new DvError('INVALID_ARGUMENT', `the catalog ${path} is a directory, not a SQLite file`, { hint: 'give the path of a file: --catalog sql:DIR/catalog.db' })
    }
    throw storageError(e, path)
  }
}

/** Opens the image in memory, refusing what is not a rollback-journal SQLite file, and creates PyIceberg's tables if absent. */
async function load(path: string, bytes: Uint8Array | undefined): Promise<Database> {
  if (bytes !== undefined && bytes.length > 0) {
    if (bytes.length < 100 || Buffer.from(bytes.subarray(0, 16)).toString('latin1') !== SQLITE_MAGIC) {
      throw new DvError('INVALID_ARGUMENT', `${path} is not a SQLite database`, { hint: 'give a new path, or the SQLite file of a PyIceberg SqlCatalog' })
    }
    // bytes 18 and 19: the write and read format versions, 2 in WAL mode, whose newest pages sit in PATH-wal
    if (bytes[18] === 2 || bytes[19] === 2) {
      throw new DvError('UNSUPPORTED', `the catalog ${path} is in WAL mode, which dv cannot write safely`, {
        hint: `switch it back: sqlite3 ${path} 'PRAGMA journal_mode=DELETE'`,
      })
    }
  }
  // a hot journal: a writer is in a transaction (or died in one, and the next SQLite open rolls it back)
  if (await access(`${path}-journal`).then(() => true, () => false)) {
    throw new DvError('CONFLICT', `the catalog ${path} has a journal (${path}-journal): another process is writing it`, {
      hint: 'run the export again in a moment; if it persists, open the catalog once with PyIceberg or sqlite3 to roll the journal back',
      retryable: true,
    })
  }
  const { default: initSqlJs } = await import('sql.js')
  const SQL = await initSqlJs()
  // a copy: sql.js keeps the array it is given as the database's pages and writes into it
  const db = new SQL.Database(bytes && Uint8Array.from(bytes))
  try {
    const tables = new Set(select(db, "SELECT name FROM sqlite_master WHERE type = 'table'", []).map((r) => String(r[0])))
    if (!tables.has('iceberg_tables') && !tables.has('iceberg_namespace_properties')) db.exec(CREATE_TABLES)
    else if (!tables.has('iceberg_tables') || !tables.has('iceberg_namespace_properties')) throw notACatalog(path, 'has only one of the tables iceberg_tables and iceberg_namespace_properties')
    try {
      db.exec('SELECT catalog_name, table_namespace, table_name, metadata_location, previous_metadata_location FROM iceberg_tables LIMIT 0')
    } catch (e) {
      throw notACatalog(path, `has a table iceberg_tables of another shape (${(e as Error).message})`)
    }
    return db
  } catch (e) {
    db.close()
    if (e instanceof DvError) throw e
    throw new DvError('INVALID_ARGUMENT', `${path} is not a readable SQLite database: ${(e as Error).message}`, {
      hint: 'give a new path, or the SQLite file of a PyIceberg SqlCatalog', cause: e,
    })
  }
}

async function checkWritable(path: string): Promise<void> {
  const exists = await access(path).then(() => true, () => false)
  try {
    await access(exists ? path : dirname(path), constants.W_OK)
    if (exists) await access(dirname(path), constants.W_OK) // the lock file and the rename need the directory too
  } catch (e) {
    throw new DvError('STORAGE', `cannot write the catalog ${path}: ${(e as Error).message}`, {
      hint: 'give a path in a directory that exists and that you can write', cause: e,
    })
  }
}

async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  await handle.sync().catch(() => undefined).finally(() => handle.close())
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined) return a === b
  return Buffer.from(a).equals(b)
}

function lockPath(target: SqlCatalogTarget): string {
  return `${target.path}.dv-lock`
}

function lockHeld(target: SqlCatalogTarget): DvError {
  return new DvError('CONFLICT', `the catalog ${target.path} is locked by another dv export (${lockPath(target)} exists)`, {
    hint: `run the export again when the other one ends; if none is running, delete ${lockPath(target)}`, retryable: false,
  })
}

function identifier(target: SqlCatalogTarget): string {
  return `${target.namespace}.${target.tableName}`
}

function foreignRow(target: SqlCatalogTarget, current: string): DvError {
  return new DvError('CONFLICT', `the catalog ${target.path} already has a table ${identifier(target)} (catalog '${target.catalogName}') at ${current}, which is not an earlier dv export of this table`, {
    hint: 'register under another name (--namespace NS, --table-name NAME), or drop that table from the catalog first',
    retryable: false, details: { catalog: target.path, metadataLocation: current },
  })
}

function notACatalog(path: string, why: string): DvError {
  return new DvError('UNSUPPORTED', `the SQLite file ${path} ${why}: it is not a SqlCatalog dv can write`, {
    hint: 'give a new path, or the SQLite file of a PyIceberg SqlCatalog',
  })
}

function storageError(e: unknown, path: string): DvError {
  return new DvError('STORAGE', `cannot write the catalog ${path}: ${(e as Error).message}`, { cause: e })
}
