// The errors of sfbulk: every operation's `err` is thrown as the SfbulkError subclass of its
// case (src/gen/errors.ts, one class per case of the WIT `error` variant).

/** What any operation of sfbulk rejects with: `case` is the WIT `error` case, `detail` its payload. */
export class SfbulkError<C extends string = string, D = unknown> extends Error {
  /** The case of the WIT `error` variant, e.g. `api`, `invalid-input`, `still-running`. */
  readonly case: C;
  /** The case's payload, as plain values (e.g. `{ httpStatus, exceptionCode, exceptionMessage }`). */
  readonly detail: D;
  /** The operation that failed, e.g. `create-job` (when known). */
  readonly operation: string | undefined;

  constructor(kase: C, detail: D, operation?: string) {
    super(`${operation ? `${operation}: ` : ''}${kase}: ${describe(detail)}`);
    this.name = 'SfbulkError';
    this.case = kase;
    this.detail = detail;
    this.operation = operation;
  }
}

/** The component trapped (a bug): its instance is dropped and the next call starts a new one. */
export class SfbulkTrapError extends SfbulkError<'trap', string> {
  constructor(message: string, operation?: string) {
    super('trap', message, operation);
    this.name = 'SfbulkTrapError';
  }
}

function describe(detail: unknown): string {
  if (detail === undefined || detail === null) return 'no detail';
  if (typeof detail !== 'object') return String(detail);
  const d = detail as Record<string, unknown>;
  if ('exceptionCode' in d) return `${d.exceptionCode}: ${d.exceptionMessage} (http ${d.httpStatus})`;
  if ('excerpt' in d) return `${d.detail} (http ${d.httpStatus}${d.contentType ? `, ${d.contentType}` : ''})`;
  if ('description' in d) return `${d.error}: ${d.description}`;
  if ('pendingBatchIds' in d) {
    const ids = d.pendingBatchIds as string[];
    return `job ${d.jobId}: not finished: ${ids.join(', ')}`;
  }
  return JSON.stringify(detail);
}
