import { Box, Text } from 'ink'
import type { StatusResult } from '../../src/index.js'
import { plural, short, shortChangeId } from '../text.js'
import { tint } from './style.js'

export interface StatusViewProps {
  status: StatusResult
  color: boolean
}

export function StatusView({ status, color }: StatusViewProps) {
  const head = status.detached || status.branch === null
    ? <Text color={tint(color, 'red')}>HEAD detached at {short(status.head)}</Text>
    : <Text>On branch <Text bold={color} color={tint(color, 'green')}>{status.branch}</Text></Text>
  return (
    <Box flexDirection="column">
      {head}
      {status.staged.length === 0
        ? <Text>nothing staged (use "dv write TABLE FILE" to stage a change)</Text>
        : <Text>Changes to be committed:</Text>}
      {status.staged.map((s) => (
        <Box key={s.id} paddingLeft={2}>
          <Box width={10}><Text dimColor>{shortChangeId(s.id)}</Text></Box>
          <Box width={11}><Text color={tint(color, 'green')}>{s.mode}</Text></Box>
          <Box width={Math.max(...status.staged.map((x) => x.table.length)) + 3}><Text bold={color}>{s.table}</Text></Box>
          <Box width={16}><Text>{plural(s.rows, 'row')}</Text></Box>
          <Box width={12}><Text>{plural(s.files, 'file')}</Text></Box>
          {s.creates && <Text dimColor>(new table)</Text>}
        </Box>
      ))}
    </Box>
  )
}
