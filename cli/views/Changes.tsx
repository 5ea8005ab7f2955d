import { Box, Text } from 'ink'
import type { TableChangeLike } from '../text.js'
import { operationNote, plural } from '../text.js'
import { tint } from './style.js'

export interface ChangesViewProps {
  tables: Record<string, TableChangeLike>
  color: boolean
  indent?: number
}

/** Per-table `+rows +files` in green and `-rows -files` in red. */
export function ChangesView({ tables, color, indent = 2 }: ChangesViewProps) {
  return (
    <Box flexDirection="column" paddingLeft={indent}>
      {Object.keys(tables).sort().map((name) => {
        const c = tables[name]!
        const removed = c.removedRows > 0 || c.removedFiles > 0
        const added = c.addedRows > 0 || c.addedFiles > 0 || !removed
        return (
          <Text key={name}>
            <Text bold={color}>{name}</Text>
            {': '}
            {added && <Text color={tint(color, 'green')}>{`+${plural(c.addedRows, 'row')}, +${plural(c.addedFiles, 'file')}`}</Text>}
            {added && removed && ', '}
            {removed && <Text color={tint(color, 'red')}>{`-${plural(c.removedRows, 'row')}, -${plural(c.removedFiles, 'file')}`}</Text>}
            {operationNote(c.operation)}
          </Text>
        )
      })}
    </Box>
  )
}
