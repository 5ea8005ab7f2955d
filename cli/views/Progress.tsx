import { Text } from 'ink'
import { tint } from './style.js'

export interface ProgressViewProps {
  label: string
  rows: number
  bytesRead?: number
  bytesTotal?: number
  color: boolean
  width?: number
}

/** `writing events.csv to events [#######.......]  42%  120000 rows` (no bar when the total is unknown). */
export function ProgressView({ label, rows, bytesRead, bytesTotal, color, width = 30 }: ProgressViewProps) {
  const known = bytesTotal !== undefined && bytesTotal > 0 && bytesRead !== undefined
  const ratio = known ? Math.min(1, bytesRead! / bytesTotal!) : 0
  const filled = Math.round(ratio * width)
  return (
    <Text>
      {label}{' '}
      {known && (
        <Text>
          [<Text color={tint(color, 'green')}>{'#'.repeat(filled)}</Text>{'.'.repeat(width - filled)}]{' '}
          {String(Math.floor(ratio * 100)).padStart(3)}%{'  '}
        </Text>
      )}
      {rows} rows
    </Text>
  )
}
