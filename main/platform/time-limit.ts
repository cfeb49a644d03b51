/**
 * A promise with a time limit: rejects with "<what> did not complete within <ms> ms" when `promise` has
 * not settled by then (the timer does not keep the process alive). A value that arrives after the limit
 * goes to `onLate`, so whatever it holds (a socket, a session) can be closed instead of leaked.
 * A limit that is not a positive finite number means no limit.
 */
export function withTimeLimit<T>(promise: Promise<T>, ms: number, what: string, onLate?: (value: T) => void): Promise<T> {
  if (!(ms > 0) || !Number.isFinite(ms)) return promise;
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const timer = setTimeout(() => {
      done = true;
      reject(new Error(`${what} did not complete within ${ms} ms`));
    }, ms);
    timer.unref();
    promise.then(
      (value) => {
        if (done) {
          onLate?.(value);
          return;
        }
        done = true;
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
