import { Box, Text } from 'ink'
import type { RefInfo } from '../../src/index.js'
import { formatProtection, short } from '../text.js'
import { tint } from './style.js'

export interface RefsViewProps {
  refs: RefInfo[]
  kind: 'branch' | 'tag'
  color: boolean
}

export function RefsView({ refs, kind, color }: RefsViewProps) {
  const width = Math.max(0, ...refs.map((r) => r.name.length)) + 2
  return (
    <Box flexDirection="column">
      {refs.map((r) => (
        <Box key={r.name}>
          {kind === 'branch' && <Text>{r.current ? '* ' : '  '}</Text>}
          <Box width={width}>
            <Text bold={color && r.current === true} color={tint(color, r.current ? 'green' : kind === 'tag' ? 'magenta' : 'cyan')}>{r.name}</Text>
          </Box>
          <Text color={tint(color, 'yellow')}>{short(r.snapshot)}</Text>
          {r.protection && <Text color={tint(color, 'red')}>{`  ${formatProtection(r.protection)}`}</Text>}
        </Box>
      ))}
    </Box>
  )
}
