import { ApiCallError } from '../../api';

/** The message of a failed call, for display. */
export function callErrorMessage(error: unknown): string {
  return error instanceof ApiCallError || error instanceof Error ? error.message : String(error);
}
