// SPDX-License-Identifier: Apache-2.0
// Worker thread entry: parses and validates one config text with the production filter registry
// and posts the result. Run by off-thread.ts; a large file's YAML parse (seconds for 100k
// endpoints) then never stalls the proxy's event loop, and its memory goes when the thread ends.
import { parentPort, workerData } from 'node:worker_threads';
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../filters/index';

const { text } = workerData as { text: string };
parentPort?.postMessage(parseConfigText(text, filterRegistry()));
