import type { Readable } from 'node:stream';

/** How to let go of a body stream's source: set by {@link nodeBodyStream}, used by {@link releaseNodeBody}. */
const releases = new WeakMap<Readable, () => void>();

const ignore = (): void => undefined;

/**
 * A pull-based web stream over a Node stream: one chunk per read (backpressure: nothing is read from the socket
 * before the handler asks). Every way the stream can settle (a chunk, the end, an error, the socket closing, a
 * cancel, a release by the adapter) is guarded: once the stream is closed, errored or cancelled, nothing touches
 * its controller again, and every listener it added is gone. Cancelling reads nothing more: what happens to the
 * rest of the body is the adapter's decision when it answers (see {@link releaseNodeBody}).
 *
 * @example
 * ```ts
 * const body = nodeBodyStream(req);
 * const request = new Request(url, { method: 'POST', body, duplex: 'half' } as RequestInit);
 * ```
 */
export function nodeBodyStream(source: Readable): ReadableStream<Uint8Array> {
  let finished = false;
  // Removes the listeners of the pull in progress, if any, and settles its promise without touching the controller.
  let detach: (() => void) | undefined;
  // An 'error' emitted with no listener would end the process: the stream reports it through a pending read only.
  source.on('error', ignore);
  const finish = (): void => {
    finished = true;
    detach?.();
    detach = undefined;
  };
  releases.set(source, finish);

  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (finished) return undefined;
        return new Promise<void>((resolve) => {
          const cleanup = (): void => {
            source.off('readable', attempt);
            source.off('end', onEnd);
            source.off('error', onError);
            source.off('close', onClose);
            detach = undefined;
          };
          const settle = (action: (() => void) | undefined, last: boolean): void => {
            cleanup();
            if (!finished && action) {
              if (last) finished = true;
              try {
                action();
              } catch {
                // The consumer cancelled between the event and now: the chunk has nowhere to go.
                finished = true;
              }
            }
            resolve();
          };
          const attempt = (): void => {
            if (finished) return settle(undefined, true);
            const chunk = source.read() as Buffer | null;
            if (chunk !== null) settle(() => controller.enqueue(chunk), false);
          };
          const onEnd = (): void => settle(() => controller.close(), true);
          const onError = (error: unknown): void =>
            settle(() => controller.error(error instanceof Error ? error : new Error('request aborted')), true);
          const onClose = (): void => {
            if (!source.readableEnded) onError(new Error('request aborted'));
          };
          if (source.readableEnded) return settle(() => controller.close(), true);
          if (source.destroyed) return onError(new Error('request aborted'));
          detach = () => settle(undefined, true);
          source.on('readable', attempt);
          source.on('end', onEnd);
          source.on('error', onError);
          source.on('close', onClose);
          attempt();
          return undefined;
        });
      },
      cancel() {
        finish();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Lets go of a request body once the response is out: a stream made by {@link nodeBodyStream} stops listening,
 * and whatever is left is read and thrown away until the message ends or the adapter closes the connection. Safe
 * to call on any readable, read or not.
 *
 * @example
 * ```ts
 * res.once('finish', () => releaseNodeBody(req));
 * ```
 */
export function releaseNodeBody(source: Readable): void {
  releases.get(source)?.();
  releases.delete(source);
  if (!source.readableEnded && !source.destroyed) source.resume();
}

/**
 * Whether {@link releaseNodeBody} would do anything for `source`: a release registered for it, or a body not read to
 * its end. A request whose body was read whole (the Node adapters' plain path) needs no `finish` listener.
 *
 * @example
 * ```ts
 * if (needsRelease(req)) res.once('finish', () => releaseNodeBody(req));
 * ```
 */
export function needsRelease(source: Readable): boolean {
  return releases.has(source) || (!source.readableEnded && !source.destroyed);
}
