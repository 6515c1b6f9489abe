import type { ToolDescriptor } from '../types.ts';
import { RSYNC_CODE_TABLE } from './codes.ts';
import { RSYNC_PARSER_VERSION, createRsyncParser } from './parser.ts';

/** Lines only rsync prints: its closing line, its diagnostics, its file-list headers and summary. */
const SURE =
  /^(?:rsync (?:error|warning): .*\(code \d+\)|rsync: (?:\[[a-z]+\] )?\S|sending incremental file list$|receiving incremental file list$|building file list|sent \S+ bytes {2}received \S+ bytes|total size is \S+ {2}speedup is )/m;
/**
 * Seen in rsync logs but not only there; also what rsync prints without -v: --itemize-changes
 * lines (">f+++++++++ name", "*deleting   name") and --info=progress2 lines (after a \r).
 */
const LIKELY =
  /^(?:file has vanished: "|created directory |cygwin warning:|@ERROR: |[<>ch.][fdLDS][.+?cstpoguaxn]{9,10} \S|\*deleting +\S| +[\d,.]+[KMGT]?B? +\d{1,3}% +[\d.,]+[kMG]?B\/s +\d+:\d{2}:\d{2})/m;

export const rsync: ToolDescriptor = {
  name: 'rsync',
  label: 'rsync',
  canaryProof: 'rsync lists the files it copied only with -v (or --itemize-changes); the canary must be inside a source it is given',
  detect: (head) => (SURE.test(head) ? 1 : LIKELY.test(head) ? 0.5 : 0),
  createParser: createRsyncParser,
  codes: RSYNC_CODE_TABLE,
  parserVersion: RSYNC_PARSER_VERSION,
};
