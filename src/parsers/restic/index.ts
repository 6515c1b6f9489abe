import type { ToolDescriptor } from '../types.ts';
import { RESTIC_CODE_TABLE } from './codes.ts';
import { RESTIC_PARSER_VERSION, createResticParser } from './parser.ts';

const SURE =
  /^(?:\{"message_type":"(?:status|summary|error|verbose_status|exit_error)"|snapshot [0-9a-f]{8,64} saved\s*$|(?:Would add|Added) to the repository: |Files: +\d+ new, +\d+ changed, +\d+ unmodified|no parent snapshot found, will read all files|using parent snapshot [0-9a-f]+|Warning: at least one source file could not be read|Fatal: (?:unable to open config file|wrong password or no key found|repository does not exist|unable to create lock)|(?:\x1b\[2K)?signal \w+ received, cleaning up|repository [0-9a-f]{8} opened )/m;
const LIKELY = /^(?:Fatal: |open repository$|lock repository$|load index files$|start scan on \[|scan finished in )/m;

export const restic: ToolDescriptor = {
  name: 'restic',
  label: 'restic',
  canaryProof: 'restic names the files it saves only with -vv ("new"/"modified" lines) or --json (verbose_status); plain output cannot prove it',
  detect: (head) => (SURE.test(head) ? 1 : LIKELY.test(head) ? 0.5 : 0),
  createParser: createResticParser,
  codes: RESTIC_CODE_TABLE,
  parserVersion: RESTIC_PARSER_VERSION,
};
