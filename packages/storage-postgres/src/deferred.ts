/** A promise with its settle functions, for a state others wait on. */
export interface Deferred {
  readonly promise: Promise<void>;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * A new pending {@link Deferred}. Its promise is marked handled, so rejecting it
 * while no one waits is not an unhandled rejection; whoever awaits it still
 * sees the rejection.
 */
export function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((onResolve, onReject) => {
    resolve = onResolve;
    reject = onReject;
  });
  promise.catch(() => {});
  return { promise, resolve, reject };
}
