import { Text } from 'ink'
import { tint } from './style.js'

export interface ProgressViewProps {
  label: string
  rows: number
  bytesRead?: number
  bytesTotal?: number
  /** Time since these bytes started to arrive: gives the rate and the ETA. */
  elapsedMs?: number
  color: boolean
  width?: number
}

/** Input sizes in decimal units, as `ls -h --si` and download tools show them. */
export function formatSize(bytes: number): string {
  if (bytes < 1e3) return `${bytes} B`
  if (bytes < 1e6) return `${(bytes / 1e3).toFixed(1)} kB`
  if (bytes < 1e9) return `${(bytes / 1e6).toFixed(1)} MB`
  return `${(bytes / 1e9).toFixed(2)} GB`
}

export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
}

/** Rate (bytes/s) and seconds left, once there is enough to tell (half a second of bytes). */
export function progressFigures(p: { bytesRead?: number; bytesTotal?: number; elapsedMs?: number }): { rate?: number; etaSeconds?: number } {
  if (p.bytesRead === undefined || p.bytesRead <= 0 || p.elapsedMs === undefined || p.elapsedMs < 500) return {}
  const rate = (p.bytesRead * 1000) / p.elapsedMs
  if (p.bytesTotal === undefined || p.bytesTotal <= 0) return { rate }
  return { rate, etaSeconds: Math.max(0, p.bytesTotal - p.bytesRead) / rate }
}

/**
 * `writing events.csv to events [#######.......]  42%  84.0 MB of 200.0 MB  21.0 MB/s  ETA 6s`;
 * without a total (stdin arriving): `writing <stdin> to events  84.0 MB read  21.0 MB/s`; rows once known.
 */
export function ProgressView({ label, rows, bytesRead, bytesTotal, elapsedMs, color, width = 30 }: ProgressViewProps) {
  const known = bytesTotal !== undefined && bytesTotal > 0 && bytesRead !== undefined
  const ratio = known ? Math.min(1, bytesRead! / bytesTotal!) : 0
  const filled = Math.round(ratio * width)
  const { rate, etaSeconds } = progressFigures({ bytesRead, bytesTotal, elapsedMs })
  const figures = [
    known ? `${formatSize(bytesRead!)} of ${formatSize(bytesTotal!)}` : bytesRead !== undefined ? `${formatSize(bytesRead)} read` : '',
    rate !== undefined ? `${formatSize(Math.round(rate))}/s` : '',
    etaSeconds !== undefined && ratio < 1 ? `ETA ${formatDuration(etaSeconds)}` : '',
    rows > 0 || bytesRead === undefined ? `${rows} rows` : '',
  ].filter(Boolean)
  return (
    <Text>
      {label}
      {known && (
        <Text>
          {' '}[<Text color={tint(color, 'green')}>{'#'.repeat(filled)}</Text>{'.'.repeat(width - filled)}]{' '}
          {String(Math.floor(ratio * 100)).padStart(3)}%
        </Text>
      )}
      {figures.length > 0 && `${known ? '  ' : ' '}${figures.join('  ')}`}
    </Text>
  )
}
