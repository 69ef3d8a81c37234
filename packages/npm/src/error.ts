// The errors of sfbulk: every operation's `err` is thrown as the SfbulkError subclass of its
// kind (src/gen/errors.ts, one class per kind of the WIT `error` record).

/** What any operation of sfbulk rejects with: `case` is the WIT `error`'s kind, `detail` the record
 * (`{ kind, message, httpStatus, code }`). */
export class SfbulkError<C extends string = string, D = unknown> extends Error {
  /** The kind of the WIT `error`, e.g. `api`, `invalid-input`, `still-running`. */
  readonly case: C;
  /** The WIT `error` record, as plain values (`{ kind, message, httpStatus, code }`). */
  readonly detail: D;
  /** The operation that failed, e.g. `create-job` (when known). */
  readonly operation: string | undefined;

  constructor(kase: C, detail: D, operation?: string) {
    super(`${operation ? `${operation}: ` : ''}${describe(kase, detail)}`);
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

/** The component's own message (it starts with the stage), else the kind and the detail. */
function describe(kase: string, detail: unknown): string {
  if (detail === undefined || detail === null) return `${kase}: no detail`;
  if (typeof detail !== 'object') return `${kase}: ${String(detail)}`;
  const d = detail as Record<string, unknown>;
  if (typeof d.message === 'string') return d.message;
  return `${kase}: ${JSON.stringify(detail)}`;
}
