// SPDX-License-Identifier: Apache-2.0
// Child process entry: parses and validates one config text with the production filter registry
// and sends the result back. Run by off-thread.ts; a large file's YAML parse (seconds and about a
// gigabyte for 100k endpoints) then never stalls the proxy's event loop, and its memory goes back
// to the system when the process exits (a worker thread's heap pages stayed resident: V8 pools them).
import { parseConfigText } from '../../config/parse';
import { filterRegistry } from '../filters/index';

process.once('message', (text: string) => {
  process.send!(parseConfigText(text, filterRegistry()), () => process.exit(0));
});
