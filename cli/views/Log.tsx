import { Box, Text } from 'ink'
import type { LogEntry } from '../../src/index.js'
import { firstLine, formatLineage, formatRefName, short } from '../text.js'
import { ChangesView } from './Changes.js'
import { tint } from './style.js'

function Decoration({ refs, color }: { refs: string[]; color: boolean }) {
  if (refs.length === 0) return null
  return (
    <Text color={tint(color, 'yellow')}>
      {' ('}
      {refs.map(formatRefName).map((r, i) => (
        <Text key={r}>{i > 0 ? ', ' : ''}<Text color={tint(color, r.startsWith('tag: ') ? 'magenta' : 'cyan')} bold={color}>{r}</Text></Text>
      ))}
      {')'}
    </Text>
  )
}

export function LogEntryView({ entry, color }: { entry: LogEntry; color: boolean }) {
  return (
    <Box flexDirection="column" marginBottom={1}>
      <Text><Text color={tint(color, 'yellow')}>snapshot {entry.snapshot}</Text><Decoration refs={entry.refs} color={color} /></Text>
      {entry.parents.length > 1 && <Text>Merge: {entry.parents.map(short).join(' ')}</Text>}
      <Text>Author: {entry.author}</Text>
      <Text>Date:   {entry.timestamp}</Text>
      {entry.idempotencyKey && <Text>Idempotency-Key: {entry.idempotencyKey}</Text>}
      {formatLineage(entry.lineage).map((line) => <Text key={line}>{line}</Text>)}
      {entry.expired && <Text color={tint(color, 'red')}>Expired: {entry.expired.time} by retention ({entry.expired.policy}): its data is no longer kept</Text>}
      <Box paddingLeft={4} marginTop={1}><Text>{entry.message}</Text></Box>
      {Object.keys(entry.tables).length > 0 && <Box marginTop={1}><ChangesView tables={entry.tables} color={color} indent={4} /></Box>}
    </Box>
  )
}

export interface LogViewProps {
  entries: LogEntry[]
  oneline: boolean
  color: boolean
}

export function LogView({ entries, oneline, color }: LogViewProps) {
  if (oneline) {
    return (
      <Box flexDirection="column">
        {entries.map((e) => (
          <Text key={e.snapshot}>
            <Text color={tint(color, 'yellow')}>{short(e.snapshot)}</Text><Decoration refs={e.refs} color={color} />{e.expired ? <Text color={tint(color, 'red')}> (expired)</Text> : null} {firstLine(e.message)}
          </Text>
        ))}
      </Box>
    )
  }
  return <Box flexDirection="column">{entries.map((e) => <LogEntryView key={e.snapshot} entry={e} color={color} />)}</Box>
}
