import type { ToolDescriptor } from '../types.ts';
import { BORG_CODE_TABLE } from './codes.ts';
import { BORG_PARSER_VERSION, createBorgParser } from './parser.ts';

const SURE =
  /(?:^|"message": ")terminating with (?:success|warning|error|signal) status, rc -?\d+|^\{"type": "(?:log_message|file_status|archive_progress|progress_message|progress_percent)"|^Archive fingerprint: [0-9a-f]{64}|^passphrase supplied in BORG_PASSPHRASE|^Repository .+ does not exist\.$|^"?\s*"command_line": \[\s*$|: file changed while we backed it up$|^usage: borg |^borg(?: [a-z-]+)*: error: /m;
const LIKELY = /^(?:Archive name: |Repository: |This archive: |Chunk index: |Creating archive at |[AMUEdCx-] \S)/m;

export const borg: ToolDescriptor = {
  name: 'borg',
  label: 'borg',
  canaryProof: 'borg names the files it stores only with create --list (the canary shows as M or A); keep --filter from hiding M',
  detect: (head) => (SURE.test(head) ? 1 : LIKELY.test(head) ? 0.4 : 0),
  createParser: createBorgParser,
  codes: BORG_CODE_TABLE,
  parserVersion: BORG_PARSER_VERSION,
};
