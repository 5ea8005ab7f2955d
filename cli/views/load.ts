/**
 * Builds ink elements from plain results. Imported lazily (TTY output only),
 * so plain and --json runs never load react or ink.
 */
import { createElement, type ReactElement } from 'react'
import type { CommitResult, DiffResult, LogEntry, RefInfo, ReflogResult, ShowResult, StatusResult, WriteResult } from '../../src/index.js'
import type { ProgressState } from '../progress.js'
import { CommitView, WriteView } from './Commit.js'
import { DiffView } from './Diff.js'
import { LogView } from './Log.js'
import { MessageView } from './Message.js'
import { ProgressView } from './Progress.js'
import { ReflogView } from './Reflog.js'
import { RefsView } from './Refs.js'
import { ShowView } from './Show.js'
import { StatusView } from './Status.js'

export async function viewMessage(color: boolean, before: string, subject: string, after: string): Promise<ReactElement> {
  return createElement(MessageView, { before, subject, after, color })
}
export async function viewCommit(commit: CommitResult, color: boolean): Promise<ReactElement> {
  return createElement(CommitView, { commit, color })
}
export async function viewWrite(writes: WriteResult[], color: boolean): Promise<ReactElement> {
  return createElement(WriteView, { writes, color })
}
export async function viewStatus(status: StatusResult, color: boolean): Promise<ReactElement> {
  return createElement(StatusView, { status, color })
}
export async function viewLog(entries: LogEntry[], oneline: boolean, color: boolean): Promise<ReactElement> {
  return createElement(LogView, { entries, oneline, color })
}
export async function viewShow(show: ShowResult, color: boolean): Promise<ReactElement> {
  return createElement(ShowView, { show, color })
}
export async function viewRefs(refs: RefInfo[], kind: 'branch' | 'tag', color: boolean): Promise<ReactElement> {
  return createElement(RefsView, { refs, kind, color })
}
export async function viewReflog(reflog: ReflogResult, color: boolean): Promise<ReactElement> {
  return createElement(ReflogView, { reflog, color })
}
export function viewProgress(label: string, p: ProgressState, color: boolean, elapsedMs?: number): ReactElement {
  return createElement(ProgressView, { label, ...p, color, ...(elapsedMs === undefined ? {} : { elapsedMs }) })
}
export async function viewDiff(diff: DiffResult, color: boolean): Promise<ReactElement> {
  return createElement(DiffView, { diff, color })
}
