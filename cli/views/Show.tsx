import { Box, Text } from 'ink'
import type { ShowResult, TableInfo } from '../../src/index.js'
import { formatPartitionSpec, plural, schemaRows, short, showTablesHeading } from '../text.js'
import { Grid } from './Grid.js'
import { LogEntryView } from './Log.js'
import { tint } from './style.js'

export function TableInfoView({ table, color }: { table: TableInfo; color: boolean }) {
  const props = Object.keys(table.properties).sort()
  return (
    <Box flexDirection="column">
      <Text>table <Text bold={color} color={tint(color, 'cyan')}>{table.name}</Text> at <Text color={tint(color, 'yellow')}>{short(table.snapshot)}</Text> (table id {table.tableId})</Text>
      <Text>rows {table.rows}  files {table.files}  bytes {table.bytes}  manifests {table.manifests}</Text>
      <Text>partition spec: {formatPartitionSpec(table.partitionSpec)}</Text>
      <Text>primary key: {table.primaryKey.length ? table.primaryKey.join(', ') : 'none'}</Text>
      <Box marginTop={1}><Text>schema:</Text></Box>
      <Grid
        header={['id', 'name', 'type', 'required', 'min', 'max', 'nulls']}
        rows={schemaRows(table.columns)}
        color={color}
      />
      <Box marginTop={1}><Text>{props.length ? 'properties:' : 'properties: none'}</Text></Box>
      {props.map((k) => <Text key={k}>  {k} = {table.properties[k]}</Text>)}
    </Box>
  )
}

export interface ShowViewProps {
  show: ShowResult
  color: boolean
}

export function ShowView({ show, color }: ShowViewProps) {
  if (show.table) return <TableInfoView table={show.table} color={color} />
  const names = Object.keys(show.tables).sort()
  return (
    <Box flexDirection="column">
      <LogEntryView entry={show.commit} color={color} />
      <Text>{showTablesHeading(show)}</Text>
      <Grid
        rows={names.map((n) => [n, plural(show.tables[n]!.rows, 'row'), plural(show.tables[n]!.files, 'file'), plural(show.tables[n]!.bytes, 'byte')])}
        color={color}
      />
    </Box>
  )
}
