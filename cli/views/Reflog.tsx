import { Box, Text } from 'ink'
import type { ReflogResult } from '../../src/index.js'
import { short } from '../text.js'
import { tint } from './style.js'

export interface ReflogViewProps {
  reflog: ReflogResult
  color: boolean
}

/** `abc1234 main@{0}: commit: load march`, the id yellow (a deletion red), the selector green. */
export function ReflogView({ reflog, color }: ReflogViewProps) {
  return (
    <Box flexDirection="column">
      {reflog.entries.map((e) => (
        <Text key={e.selector}>
          <Text color={tint(color, e.snapshot === null ? 'red' : 'yellow')}>{e.snapshot === null ? '0000000' : short(e.snapshot)}</Text>
          {' '}
          <Text color={tint(color, 'green')}>{e.selector}</Text>
          {': '}
          <Text dimColor={e.time === null}>{e.message}</Text>
        </Text>
      ))}
    </Box>
  )
}
