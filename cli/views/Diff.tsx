import { Box, Text } from 'ink'
import type { DiffResult, SchemaChange, TableDiff } from '../../src/index.js'
import { changeCounts, COLUMN_HEADER, columnRows, count, formatPartitionValues, formatSchemaChange, sideName, statusNote } from '../diff-text.js'
import { Grid } from './Grid.js'
import { tint } from './style.js'

const SCHEMA_COLOURS: Record<SchemaChange['change'], string> = {
  added: 'green', dropped: 'red', renamed: 'yellow', widened: 'cyan', 'type-changed': 'red', 'made-optional': 'cyan', 'made-required': 'yellow',
}

const STATUS_COLOURS: Record<TableDiff['status'], string> = { created: 'green', dropped: 'red', replaced: 'magenta', modified: 'yellow' }

function TableDiffView({ table, color }: { table: TableDiff; color: boolean }) {
  return (
    <Box flexDirection="column" marginTop={1}>
      <Text>
        table <Text bold={color} color={tint(color, 'cyan')}>{table.table}</Text>
        <Text color={tint(color, STATUS_COLOURS[table.status])}>{statusNote(table)}</Text>: {changeCounts(table)}; rows {count(table.rows.before)} {'->'} {count(table.rows.after)}
      </Text>
      {table.schema.length > 0 && <Text>  schema:</Text>}
      {table.schema.map((c) => <Text key={`${c.id}-${c.change}`} color={tint(color, SCHEMA_COLOURS[c.change])}>    {formatSchemaChange(c)}</Text>)}
      {table.partitions.length > 0 && <Text>  partitions ({table.partitions.length} changed):</Text>}
      {table.partitions.length > 0 && (
        <Grid
          rows={table.partitions.map((p) => [formatPartitionValues(p.values), `+${count(p.rowsAdded)} -${count(p.rowsRemoved)} rows`, `+${p.filesAdded} -${p.filesRemoved} files`])}
          color={color}
          indent={4}
        />
      )}
      {table.columns.length > 0 && <Text>  columns:</Text>}
      {table.columns.length > 0 && <Grid header={COLUMN_HEADER} rows={columnRows(table.columns)} color={color} indent={4} />}
      {table.properties.length > 0 && <Text>  properties:</Text>}
      {table.properties.map((p) => <Text key={p.key}>    {p.key}: {p.before ?? '(none)'} {'->'} {p.after ?? '(none)'}</Text>)}
      {table.contract && <Text>  contract {table.contract.change}:</Text>}
      {table.contract?.lines.filter((l) => !l.startsWith(' ')).map((l, i) => <Text key={`c${i}`} color={color ? (l.startsWith('+') ? 'green' : 'red') : undefined}>    {l}</Text>)}
    </Box>
  )
}

export interface DiffViewProps {
  diff: DiffResult
  color: boolean
}

/** `dv diff` on a terminal: what changed per table, coloured by kind of change. */
export function DiffView({ diff, color }: DiffViewProps) {
  return (
    <Box flexDirection="column">
      <Text>diff <Text color={tint(color, 'yellow')}>{sideName(diff.from)}</Text>..<Text color={tint(color, 'yellow')}>{sideName(diff.to)}</Text></Text>
      {diff.tables.length === 0 && <Text>no changes</Text>}
      {diff.tables.map((t) => <TableDiffView key={t.table} table={t} color={color} />)}
    </Box>
  )
}
