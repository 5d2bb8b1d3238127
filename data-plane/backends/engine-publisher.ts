// SPDX-License-Identifier: Apache-2.0
// What both native backends (socket, xdp) do with a compiled config: the engine prepares a
// generation from its description (engine-side errors such as a regex RE2 cannot run surface here,
// before the store commits), publishes it, and the side channels follow the new chain: Debug
// events logged, Match/Timestamp/Compress cells moved into Quilkin's filter metrics.
import type { NativeEngine, PreparedGeneration, PublishResult } from '../../native/engine/engine-addon';
import type { ModuleLogger } from '../../runtime/logger';
import type { QuilkinMetrics } from '../../runtime/metrics';
import type { Compiled } from '../compiler/compile';
import { CompileError, type CompiledChain, type SlotInfo, slotAtOffset } from '../compiler/description';
import type { BackendKind, PreparedConfig } from './backend';
import { EngineDebugLog } from './engine-debug-log';
import { EngineFilterMetrics } from './engine-filter-metrics';

export class EnginePrepared implements PreparedConfig {
  constructor(
    readonly backend: BackendKind,
    readonly compiled: Compiled,
    readonly generation: PreparedGeneration,
    readonly slots: readonly SlotInfo[],
  ) {}
}

/** The engine's refusal, naming the filter it was parsing ("chain description: ... at offset N"). */
function engineError(chain: CompiledChain, err: Error): CompileError {
  const offset = /at offset (\d+)$/.exec(err.message);
  const slot = offset ? slotAtOffset(chain, Number(offset[1])) : undefined;
  return new CompileError(slot ? `${slot.path} (${slot.name}): ${err.message}` : err.message);
}

export class EnginePublisher {
  private readonly debugLog: EngineDebugLog;
  private readonly filterMetrics: EngineFilterMetrics;

  constructor(
    private readonly backend: BackendKind,
    private readonly engine: NativeEngine,
    metrics: QuilkinMetrics,
    log: ModuleLogger,
  ) {
    this.debugLog = new EngineDebugLog(engine, log);
    this.filterMetrics = new EngineFilterMetrics(engine, metrics, []);
  }

  /** Throws CompileError or the engine's message; the running generation is untouched either way. */
  prepare(compiled: Compiled): EnginePrepared {
    const chain = compiled.nativeChain();
    let generation: PreparedGeneration;
    try {
      generation = this.engine.prepare(chain.description);
    } catch (err) {
      throw engineError(chain, err as Error);
    }
    return new EnginePrepared(this.backend, compiled, generation, chain.slots);
  }

  publish(prepared: PreparedConfig): PublishResult {
    if (!(prepared instanceof EnginePrepared) || prepared.backend !== this.backend) {
      throw new Error(`${this.backend} backend: cannot publish a config prepared by the ${prepared.backend} backend`);
    }
    this.filterMetrics.beforePublish();
    const result = this.engine.publish(prepared.generation);
    this.filterMetrics.afterPublish(result, prepared.slots);
    this.debugLog.follow(prepared.slots);
    return result;
  }

  /** On scrape: the filter cells' counts since the last call. */
  sync(): void {
    this.filterMetrics.sync();
  }

  /** The workers have stopped: the last Debug events are logged and the last counts taken in. */
  stop(): void {
    this.debugLog.stop();
    this.filterMetrics.stop();
  }
}
