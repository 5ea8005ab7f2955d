/** A Writable that keeps everything written to it, for asserting on `cat`/scan output. */
import { Writable } from 'node:stream'

export class TextSink extends Writable {
  private readonly chunks: Buffer[] = []

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: () => void): void {
    this.chunks.push(Buffer.from(chunk))
    callback()
  }

  /** Everything written so far, as bytes (binary output such as Parquet). */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }

  /** Everything written so far, decoded as UTF-8 as a whole (never split inside a character). */
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8')
  }
}
