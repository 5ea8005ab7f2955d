import { Box, Text } from 'ink'
import type { CommitResult, WriteResult } from '../../src/index.js'
import { firstLine, formatWrite, short } from '../text.js'
import { ChangesView } from './Changes.js'
import { tint } from './style.js'

export interface CommitViewProps {
  commit: CommitResult
  color: boolean
}

export function CommitView({ commit, color }: CommitViewProps) {
  return (
    <Box flexDirection="column">
      <Text>
        {'['}<Text color={tint(color, 'green')}>{commit.branch}</Text>{' '}
        <Text color={tint(color, 'yellow')}>{short(commit.snapshot)}</Text>{'] '}{firstLine(commit.message)}
      </Text>
      <ChangesView tables={commit.tables} color={color} />
      {commit.idempotentReplay && <Text dimColor>(idempotency key already committed: nothing new was written)</Text>}
    </Box>
  )
}

export interface WriteViewProps {
  writes: WriteResult[]
  color: boolean
}

export function WriteView({ writes, color }: WriteViewProps) {
  return (
    <Box flexDirection="column">
      {writes.map((w, i) => (
        <Box key={i} flexDirection="column">
          {w.commit ? <CommitView commit={w.commit} color={color} /> : <Text color={tint(color, 'green')}>{formatWrite(w)[0]}</Text>}
          {w.quarantine ? <Text color={tint(color, w.quarantine.rows ? 'yellow' : 'green')}>{w.quarantine.summary}</Text> : null}
        </Box>))}
    </Box>
  )
}
