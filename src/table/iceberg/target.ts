/**
 * Where an Iceberg export is written: a directory on the local file system
 * (a path or a file:// URI). Files of content-derived names are written
 * once; `v<N>.metadata.json` is created exclusively (two exports racing on
 * one target cannot both publish version N); `version-hint.text` is replaced
 * atomically, last.
 */
import { link, mkdir, open, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { isAbsolute, join, resolve } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { DvError } from '../../errors.js'

export interface ExportTarget {
  /** The table location as written into the metadata (an absolute URI, no trailing slash). */
  readonly uri: string
  /** `metadata/<name>` as an absolute URI. */
  metadataUri(name: string): string
  read(name: string): Promise<Uint8Array | undefined>
  /** Writes a file whose name is derived from its content, unless it is already there. */
  writeOnce(name: string, bytes: Uint8Array): Promise<boolean>
  /** Creates a file that must not exist yet: CONFLICT if it does (another export published it). */
  writeExclusive(name: string, bytes: Uint8Array): Promise<void>
  /** Replaces a file atomically (write, fsync, rename). */
  replace(name: string, bytes: Uint8Array): Promise<void>
  /** Whether the location holds anything at all. */
  isEmpty(): Promise<boolean>
}

export function openTarget(to: string): ExportTarget {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(to) && !to.startsWith('file://')) {
    throw new DvError('UNSUPPORTED', `cannot export to '${to}': only local directories are supported as an export target yet`, {
      hint: 'export to a local directory (a path or file:///...); the data files may still live in S3',
    })
  }
  const root = to.startsWith('file://') ? fileURLToPath(to) : resolve(to)
  if (!isAbsolute(root)) throw new DvError('INVALID_ARGUMENT', `invalid export target '${to}'`)
  return new LocalTarget(root)
}

class LocalTarget implements ExportTarget {
  readonly uri: string
  private readonly dir: string

  constructor(private readonly root: string) {
    this.uri = pathToFileURL(root).href.replace(/\/$/, '')
    this.dir = join(root, 'metadata')
  }

  metadataUri(name: string): string {
    return `${this.uri}/metadata/${name}`
  }

  async read(name: string): Promise<Uint8Array | undefined> {
    try {
      return await readFile(join(this.dir, name))
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw storageError(e, join(this.dir, name))
    }
  }

  async writeOnce(name: string, bytes: Uint8Array): Promise<boolean> {
    try {
      await this.create(name, bytes)
      return true
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false
      throw storageError(e, join(this.dir, name))
    }
  }

  async writeExclusive(name: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.create(name, bytes)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new DvError('CONFLICT', `${join(this.dir, name)} already exists: another export of this table published it meanwhile`, {
          hint: 'run the export again; it continues from the newest version', retryable: true,
        })
      }
      throw storageError(e, join(this.dir, name))
    }
  }

  async replace(name: string, bytes: Uint8Array): Promise<void> {
    const tmp = join(this.dir, `.${name}.${process.pid}.${Date.now()}.tmp`)
    try {
      await writeFile(tmp, bytes)
      const handle = await open(tmp, 'r+')
      await handle.sync().finally(() => handle.close())
      await rename(tmp, join(this.dir, name))
    } catch (e) {
      await rm(tmp, { force: true })
      throw storageError(e, join(this.dir, name))
    }
  }

  async isEmpty(): Promise<boolean> {
    try {
      return (await readdir(this.root)).length === 0
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return true
      throw storageError(e, this.root)
    }
  }

  /**
   * Exclusive create of a complete, fsync'd file: written under a temporary
   * name, then linked into place (EEXIST when the name is taken), so a crash
   * never leaves a partial file under a final name.
   */
  private async create(name: string, bytes: Uint8Array): Promise<void> {
    await mkdir(this.dir, { recursive: true })
    const tmp = join(this.dir, `.${name}.${process.pid}.${Date.now()}.tmp`)
    try {
      await writeFile(tmp, bytes)
      const handle = await open(tmp, 'r+')
      await handle.sync().finally(() => handle.close())
      await link(tmp, join(this.dir, name))
    } finally {
      await rm(tmp, { force: true })
    }
  }
}

function storageError(e: unknown, path: string): DvError {
  return new DvError('STORAGE', `cannot write the export at ${path}: ${(e as Error).message}`, { cause: e })
}
