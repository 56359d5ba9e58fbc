/** Messages between the inference pool (main thread) and its workers. */

export interface TensorMessage {
  data: Float32Array;
  dims: number[];
}

export interface InitMessage {
  type: 'init';
  model: string | Uint8Array;
  executionProviders: string[];
  intraOpNumThreads: number;
}

export interface RunMessage {
  type: 'run';
  id: number;
  feeds: Record<string, TensorMessage>;
}

export interface ReadyReply {
  type: 'ready';
  inputNames: string[];
  outputNames: string[];
  inputShapes: Record<string, (number | string)[]>;
  provider: string;
  warnings: string[];
}

export interface ResultReply {
  type: 'result';
  id: number;
  outputs: Record<string, TensorMessage>;
  /** The input buffers, handed back for reuse. */
  feeds: Record<string, TensorMessage>;
}

export interface ErrorReply {
  type: 'error';
  id: number | null;
  message: string;
}

export type WorkerReply = ReadyReply | ResultReply | ErrorReply;
