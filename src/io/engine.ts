/** The DataEngine: one DuckDB instance and connection; Arrow engines loaded on first use. */
import type { RecordBatch } from 'apache-arrow'
import type { Schema } from '../format/types.js'
import type { DataEngine, OpenedSource, OpenSourceOptions, OutputFormat, PrunablePredicate, RewriteRequest, RewriteResult, ScanRequest, Source, WrittenFile } from './types.js'
import { Duck, type DuckOptions } from './duck.js'
import { openIngestSource } from './source.js'
import { analyzePredicate } from './predicate.js'
import { scanBatches, scanTo } from './scan.js'
import { rewriteFiles } from './rewrite.js'
import { readBack } from './read-back.js'
import type { Writable } from 'node:stream'

export async function createDataEngine(options: DuckOptions = {}): Promise<DataEngine> {
  const duck = await Duck.open(options)
  return new DuckDataEngine(duck)
}

class DuckDataEngine implements DataEngine {
  private closed = false

  constructor(private readonly duck: Duck) {}

  openSource(source: Source, options: OpenSourceOptions): Promise<OpenedSource> {
    return openIngestSource(this.duck, source, options)
  }

  analyzePredicate(where: string, schema: Schema): Promise<PrunablePredicate[]> {
    return analyzePredicate(this.duck, where, schema)
  }

  scanTo(request: ScanRequest, format: OutputFormat, out: Writable): Promise<number> {
    return scanTo(this.duck, request, format, out)
  }

  scanBatches(request: ScanRequest): AsyncIterable<RecordBatch> {
    return scanBatches(this.duck, request)
  }

  rewriteFiles(request: RewriteRequest): Promise<RewriteResult> {
    return rewriteFiles(this.duck, request)
  }

  readBack(files: WrittenFile[]): Promise<void> {
    return readBack(this.duck, files)
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.duck.close()
  }
}
