/**
 * Plain text of a contract report (`dv check`, and a commit refused with
 * exit 8), and its JUnit XML form (`dv check --junit FILE`, one testcase per
 * rule, a failure per failed rule, unsupported rules as skipped), which CI
 * systems read without a plugin.
 */
import type { ContractReport, ContractRuleResult } from '../src/index.js'

function sampleLines(r: ContractRuleResult): string[] {
  return r.samples.map((row) => `      ${Object.entries(row).map(([k, v]) => `${k}=${v === null ? 'null' : JSON.stringify(v)}`).join(' ')}`)
}

/** `FAIL email.pattern (pattern ^...$): measured 3, bound = 0 rows [engine, added rows]` plus up to 5 sample rows. */
export function ruleLines(r: ContractRuleResult): string[] {
  const head = `  ${r.status === 'passed' ? 'ok  ' : 'FAIL'} ${r.name} (${r.check}): measured ${r.measured ?? 'nothing'}, bound ${r.bound} [${r.by}, ${r.scope}]${r.message ? ` ${r.message}` : ''}`
  return r.status === 'failed' && r.samples.length ? [head, `    sample rows:`, ...sampleLines(r)] : [head]
}

export function reportLines(report: ContractReport, onlyFailed = false): string[] {
  const failed = report.rules.filter((r) => r.status === 'failed').length
  return [
    `contract of ${report.table} (schema object ${report.object}) at ${report.snapshot.slice(0, 12)}: ${failed === 0 ? 'passed' : `${failed} of ${report.rules.length} rule(s) failed`}`,
    ...report.rules.filter((r) => !onlyFailed || r.status === 'failed').flatMap(ruleLines),
    ...report.skipped.map((s) => `  skip ${s.what} (${s.where}: not enforced)`),
  ]
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

export function junitXml(report: ContractReport): string {
  const failures = report.rules.filter((r) => r.status === 'failed').length
  const cases = report.rules.map((r) => {
    const name = `<testcase classname="dv.contract.${xml(report.table)}" name="${xml(r.name)}">`
    if (r.status === 'passed') return `    ${name}</testcase>`
    const detail = [`${r.check}: measured ${r.measured ?? 'nothing'}, bound ${r.bound} (${r.where})`, ...sampleLines(r).map((l) => l.trim())].join('\n')
    return `    ${name}<failure message="${xml(`measured ${r.measured ?? 'nothing'}, bound ${r.bound}`)}">${xml(detail)}</failure></testcase>`
  })
  const skipped = report.skipped.map((s) => `    <testcase classname="dv.contract.${xml(report.table)}" name="${xml(s.what)}"><skipped message="${xml(`not enforced (${s.where})`)}"/></testcase>`)
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites tests="${report.rules.length + report.skipped.length}" failures="${failures}">`,
    `  <testsuite name="dv check ${xml(report.table)}" tests="${report.rules.length + report.skipped.length}" failures="${failures}" skipped="${report.skipped.length}">`,
    ...cases, ...skipped,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n')
}
