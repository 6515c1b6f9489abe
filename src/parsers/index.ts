export { FORMATS, TOOLS, adviceFor, codeLabel, createParser, describeCode, detectFormat, documentedCodes, canaryAdvice, formatLabel, isFormat, itemWordOf, NO_REPORT_FORMAT, parserVersionOf, toolFor } from './registry.ts';
export type { CodeDescription, Format } from './registry.ts';
