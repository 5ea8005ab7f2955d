/** The public API: the only import path for cli/ and for users. */
export { Repository } from './repository.js'
export type { RepositoryOpenOptions, RepositoryInitOptions, DoctorResult } from './repository.js'
export { DvError, EXIT_CODES, isDvError } from './errors.js'
export type { DvErrorCode } from './errors.js'
export type * from './api-types.js'
export type { InputFormat, OutputFormat, Source } from './io/types.js'
export { shortId } from './ids.js'
export type { VerifyResult, VerifyProblem } from './table/verify.js'
