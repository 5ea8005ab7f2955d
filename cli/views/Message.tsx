import { Text } from 'ink'
import { tint } from './style.js'

export interface MessageViewProps {
  before: string
  subject: string
  after: string
  color: boolean
}

/** One line with its subject highlighted: `created branch <backfill> at 3f9a2c1`. */
export function MessageView({ before, subject, after, color }: MessageViewProps) {
  return (
    <Text>
      {before}
      <Text bold={color} color={tint(color, 'cyan')}>{subject}</Text>
      {after}
    </Text>
  )
}
