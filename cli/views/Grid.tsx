import { Box, Text } from 'ink'

export interface GridProps {
  header?: string[]
  rows: string[][]
  color: boolean
  indent?: number
}

/** A plain aligned table; the header is bold when colours are on. */
export function Grid({ header, rows, color, indent = 2 }: GridProps) {
  const all = header ? [header, ...rows] : rows
  const widths = all.reduce<number[]>((w, row) => row.map((cell, i) => Math.max(w[i] ?? 0, cell.length)), [])
  return (
    <Box flexDirection="column" paddingLeft={indent}>
      {all.map((row, r) => (
        <Box key={r}>
          {row.map((cell, i) => (
            <Box key={i} width={i === row.length - 1 ? undefined : (widths[i] ?? 0) + 2}>
              <Text bold={color && header !== undefined && r === 0}>{cell}</Text>
            </Box>
          ))}
        </Box>
      ))}
    </Box>
  )
}
