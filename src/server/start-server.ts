import { systemClock, type Clock } from '../contracts/clock.js';
import { keyLifecyclePolicy, type ServerConfig } from './config.js';
import { keysFingerprint } from './key-lifecycle.js';
import { scheduleCleanup } from './cleanup-schedule.js';
import { createGrantryApp, type GrantryApp } from './grantry-app.js';
import { encryptionKeyInputs, signingKeyInputs, type KeySource, type KeysFile } from './key-store.js';
import { filterLog } from './log-level.js';
import { listenMetrics, type MetricsListener } from './metrics-listener.js';
import { listen, type LogSink, type RunningServer } from './node-listener.js';
import { openServerStore, poolOptionsOf, redactUrl, isPostgresUrl, type ServerStore } from './server-store.js';
import { StorageUnavailableError, toStorageError } from '../storage/storage-unavailable.js';
import { secondsToMs } from '../tokens/time-units.js';

/**
 * A started ready server.
 *
 * @example
 * ```ts
 * const started: StartedServer = await startServer(config);
 * process.once('SIGTERM', () => void started.stop());
 * ```
 */
export interface StartedServer {
  readonly issuer: string;
  readonly port: number;
  /** The port of `/metrics` with `--metrics-port`; `undefined` when `/metrics` is on {@link StartedServer.port}. */
  readonly metricsPort: number | undefined;
  readonly app: GrantryApp;
  readonly store: ServerStore;
  /**
   * Graceful stop (the drain): `/readyz` turns 503 and every response carries `Connection: close`; after
   * `shutdownDelay` the listener closes, idle connections are closed and in-flight requests finish; connections
   * still open `shutdownTimeout` seconds after the call are destroyed; then the database closes. Resolves `true`
   * when every connection ended on its own, `false` when some were cut. Calling it again returns the same promise.
   */
  stop(): Promise<boolean>;
}

/**
 * Starts the ready server: keys from the data directory (generated on first start, owner-only), the database
 * opened and migrated, the grants enabled, the HTTP listener bound. Bad configuration throws a `TypeError` with a
 * message for the operator.
 *
 * @example
 * ```ts
 * const started = await startServer(loadConfig({ port: '0', 'data-dir': '/tmp/grantry' }, {}));
 * console.log(started.issuer);
 * await started.stop();
 * ```
 */
export async function startServer(config: ServerConfig, startOptions: { log?: LogSink; clock?: Clock } = {}): Promise<StartedServer> {
  // Every line (requests, security events, clean-up, keys) passes the --log-level filter.
  const options = { ...startOptions, ...(startOptions.log ? { log: filterLog(config.logLevel, startOptions.log) } : {}) };
  const store = await openServerStore(config.database, config.dataDir, { limits: poolOptionsOf(config), keysSecrets: config.keysSecrets });
  // Without --issuer, the issuer is where the server listens (a wildcard address is announced as localhost).
  const issuerFor = (port: number): string => {
    const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
    return config.issuer ?? `http://${host}:${port}`;
  };
  try {
    const keys = await store.keys.load();
    const keysVersion = await store.keys.version();
    try {
      await store.storage.migrate();
    } catch (error) {
      throw new TypeError(`cannot migrate the database ${isPostgresUrl(config.database) ? redactUrl(config.database) : config.database}: ${(error as Error).message}`);
    }
    let app: GrantryApp | undefined;
    const listening: RunningServer = await listen(
      async (port) => {
        app = await createGrantryApp({
          config,
          store,
          keys,
          issuer: issuerFor(port),
          ...(options.clock ? { clock: options.clock } : {}),
          ...(options.log
            ? {
                logger: {
                  error: (message, details) => options.log!({ level: 'error', msg: message, ...details }),
                  warn: (message, details) => options.log!({ level: 'warn', msg: message, ...details }),
                },
                log: options.log,
              }
            : {}),
        });
        return app;
      },
      {
        host: config.host,
        port: config.port,
        origin: issuerFor,
        trustProxy: config.trustProxy,
        log: config.requestLog ? options.log : undefined,
      },
    );
    let metricsListener: MetricsListener | undefined;
    if (config.metricsPort !== undefined) {
      try {
        metricsListener = await listenMetrics((request) => app!.scrape(request), { host: config.host, port: config.metricsPort });
      } catch (error) {
        await listening.close(0);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EADDRINUSE') throw new TypeError(`--metrics-port ${config.metricsPort} on ${config.host} is in use`);
        if (code === 'EACCES') throw new TypeError(`no permission to listen on ${config.host}:${config.metricsPort} (--metrics-port)`);
        throw error;
      }
    }
    const cleanup = scheduleCleanup(store, {
      intervalSeconds: config.cleanupInterval,
      // A lockout may outlast the window: keep its marks until it ends.
      rateLimitWindowSeconds: Math.max(config.rateLimitWindow, config.lockoutThreshold > 0 ? config.lockoutSeconds : 0),
      log: options.log,
      ...(options.clock ? { now: () => options.clock!.now() } : {}),
    });
    const keysTimer = watchKeys(store.keys, { version: keysVersion, keys }, app!, config, () => (options.clock ?? systemClock).now(), options.log);
    let stopped: Promise<boolean> | undefined;
    const stop = async (): Promise<boolean> => {
      const deadline = Date.now() + secondsToMs(config.shutdownTimeout);
      app!.drain();
      listening.drain();
      const cleanupStopped = cleanup.stop(); // a run in progress ends at its next batch
      // At least one turn of the event loop, so that requests the kernel has already received are read (and so
      // are not idle) when idle connections close.
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, secondsToMs(config.shutdownDelay))));
      const clean = await listening.close(deadline - Date.now());
      await metricsListener?.close();
      clearInterval(keysTimer);
      await cleanupStopped;
      await store.close();
      return clean;
    };
    return {
      issuer: issuerFor(listening.port),
      port: listening.port,
      metricsPort: metricsListener?.port,
      app: app!,
      store,
      stop: () => (stopped ??= stop()),
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new TypeError(`port ${config.port} on ${config.host} is in use`);
    if ((error as NodeJS.ErrnoException).code === 'EACCES') throw new TypeError(`no permission to listen on ${config.host}:${config.port}`);
    throw error;
  }
}

/**
 * Keeps the running keys in step with the stored ones, without a restart: a rotation by `grantry keys rotate` (or
 * another instance) is picked up when the stored version changes, a pending key starts signing or sealing when its
 * activation time comes, a retired key leaves; with `--key-rotation-interval`, a rotation is made when it is due
 * (of several instances, the first to see it due rotates; the others see the new version). Keys that cannot be
 * used are logged, and the running keys stay.
 * While the key store cannot be read (a database outage), that is what is logged, once per outage, and the check
 * runs again until it succeeds.
 */
function watchKeys(
  source: KeySource,
  initial: { version: string; keys: KeysFile },
  app: GrantryApp,
  config: ServerConfig,
  now: () => number,
  log: LogSink | undefined,
): NodeJS.Timeout {
  let version = initial.version;
  let keys = initial.keys;
  let applied = keysFingerprint(keys, now());
  let busy = false;
  let unreachable = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    void (async () => {
      let step = 'read the stored keys';
      try {
        if (config.keyRotationInterval > 0) {
          step = 'rotate the keys on schedule';
          const before = keys.signing.length;
          keys = await source.rotate(keyLifecyclePolicy(config), { ifOlderThan: config.keyRotationInterval });
          if (keys.signing.length !== before) log?.({ level: 'info', msg: 'keys rotated on schedule' });
        }
        step = 'read the stored keys';
        const stored = await source.version();
        if (stored !== version) {
          keys = await source.load();
          version = stored;
        }
        if (unreachable) log?.({ level: 'info', msg: `${source.location} can be read again` });
        unreachable = false;
        const at = now();
        const fingerprint = keysFingerprint(keys, at);
        if (fingerprint === applied) return;
        step = 'use the stored keys';
        await app.server.rotateKeys({ privateKey: signingKeyInputs(keys, at), encryptionKey: encryptionKeyInputs(keys, at) });
        applied = fingerprint;
        log?.({ level: 'info', msg: 'keys reloaded', active_kid: signingKeyInputs(keys, at).find((k) => k.status === 'active')?.kid });
      } catch (error) {
        const failure = toStorageError(error);
        if (failure instanceof StorageUnavailableError) {
          // Unreadable now (an outage): nothing is known to be wrong with the keys; try again on the next tick.
          if (!unreachable) {
            log?.({ level: 'warn', msg: `cannot read ${source.location} to check for rotated keys; the running keys stay`, reason: failure.reason, error: failure.message });
          }
          unreachable = true;
        } else {
          log?.({ level: 'error', msg: `cannot ${step}; the running keys stay`, error: (error as Error).message });
        }
      } finally {
        busy = false;
      }
    })();
  }, 2000);
  timer.unref();
  return timer;
}
