import type { ToolDescriptor } from '../types.ts';
import { TSM_CODE_TABLE } from './codes.ts';
import { TSM_PARSER_VERSION, createTsmParser } from './parser.ts';

const SURE =
  /--- SCHEDULEREC (?:STATUS|OBJECT|QUERY) (?:BEGIN|END)|\bANS\d{4}[EWIS] |Total number of objects inspected: |IBM (?:Spectrum|Storage) Protect|Tivoli Storage Manager|Scheduled event '[^']*' (?:completed successfully|failed)/;
const LIKELY = /Session established with server |^Node Name: |Normal File--> /m;

export const tsm: ToolDescriptor = {
  name: 'tsm',
  label: 'TSM',
  itemWord: 'objects',
  canaryProof: 'dsmc lists every object it sends ("Normal File-->" ... [Sent]) unless run with -quiet; keep the canary out of exclude lists',
  detect: (head) => (SURE.test(head) ? 1 : LIKELY.test(head) ? 0.5 : 0),
  createParser: createTsmParser,
  codes: TSM_CODE_TABLE,
  parserVersion: TSM_PARSER_VERSION,
};
