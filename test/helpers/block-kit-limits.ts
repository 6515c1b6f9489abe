/**
 * Block Kit limits, as Slack documents and enforces them (docs.slack.dev/reference/block-kit).
 *
 * Pure functions: they never throw and return every problem found, each worded like Slack's own
 * `invalid_blocks` errors: `<what is wrong> [json-pointer:/blocks/3/text/text]`.
 *
 * Sources for the numbers (checked against the Slack reference pages):
 * - messages carry at most 50 blocks; modals and Home tabs at most 100
 * - text object: type `plain_text` | `mrkdwn`, text 1..3000 chars; `emoji` only on plain_text,
 *   `verbatim` only on mrkdwn
 * - section: `text` ≤ 3000 or `fields` (≤ 10 items, each ≤ 2000); one of them is required
 * - header: plain_text ≤ 150
 * - context: 1..10 elements (image elements and text objects)
 * - actions: 1..25 interactive elements; `action_id` unique within the block
 * - button: text plain_text ≤ 75, action_id ≤ 255, value ≤ 2000, url ≤ 3000,
 *   style primary|danger, accessibility_label ≤ 75
 * - block_id ≤ 255 and unique within the message / view
 * - image block: image_url ≤ 3000 (or slack_file), alt_text required ≤ 2000, title ≤ 2000
 * - input block: label plain_text ≤ 2000, element required, hint ≤ 2000
 * - markdown block: text ≤ 12,000 (and ≤ 12,000 for all markdown blocks of a payload together)
 * - select menus: placeholder ≤ 150, options / option_groups ≤ 100; overflow 1..5 options;
 *   checkboxes and radio buttons ≤ 10 options; option text ≤ 75, value ≤ 150, description ≤ 75
 * - confirm dialog: title ≤ 100, text ≤ 300, confirm / deny ≤ 30
 * - views: modal title plain_text ≤ 24, close / submit ≤ 24, submit required when the view has
 *   an input block, private_metadata ≤ 3000, callback_id and external_id ≤ 255
 * - message top-level `text` ≤ 40,000 chars
 */

export type Surface = 'message' | 'modal' | 'home';

export const MESSAGE_TEXT_LIMIT = 40_000;
export const MAX_BLOCKS: Record<Surface, number> = { message: 50, modal: 100, home: 100 };

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Counts characters the way Slack does (code points, so an emoji is one character). */
const charCount = (s: string): number => [...s].length;

const SELECTS = ['static_select', 'external_select', 'users_select', 'conversations_select', 'channels_select'];
const MULTI_SELECTS = SELECTS.map((t) => `multi_${t}`);
const PICKERS = ['datepicker', 'timepicker', 'datetimepicker'];

const INTERACTIVE = new Set([
  'button',
  'checkboxes',
  'overflow',
  'radio_buttons',
  'workflow_button',
  ...SELECTS,
  ...MULTI_SELECTS,
  ...PICKERS,
]);
const ACCESSORY = new Set([...INTERACTIVE, 'image']);
const INPUT_ELEMENTS = new Set([
  'plain_text_input',
  'email_text_input',
  'url_text_input',
  'number_input',
  'rich_text_input',
  'file_input',
  'checkboxes',
  'radio_buttons',
  ...SELECTS,
  ...MULTI_SELECTS,
  ...PICKERS,
]);

const BLOCK_TYPES = new Set([
  'section',
  'divider',
  'header',
  'context',
  'actions',
  'image',
  'input',
  'rich_text',
  'markdown',
  'file',
  'video',
  'table',
  'context_actions',
]);

class Checker {
  readonly problems: string[] = [];

  add(pointer: string, message: string): void {
    this.problems.push(`${message} [json-pointer:${pointer}]`);
  }

  /** An optional (or required) string field with a maximum length. */
  string(obj: Obj, key: string, ptr: string, opts: { max?: number; required?: boolean; min?: number } = {}): void {
    const v = obj[key];
    const p = `${ptr}/${key}`;
    if (v === undefined || v === null) {
      if (opts.required) this.add(p, `missing required field: ${key}`);
      return;
    }
    if (typeof v !== 'string') {
      this.add(p, 'must be a string');
      return;
    }
    const n = charCount(v);
    if (opts.min !== undefined && n < opts.min) this.add(p, `must be more than ${opts.min - 1} characters`);
    if (opts.max !== undefined && n > opts.max) this.add(p, `must be less than ${opts.max + 1} characters`);
  }

  /** A text composition object at obj[key]. */
  text(
    obj: Obj,
    key: string,
    ptr: string,
    opts: { required?: boolean; plainOnly?: boolean; max?: number } = {},
  ): void {
    const v = obj[key];
    const p = `${ptr}/${key}`;
    if (v === undefined || v === null) {
      if (opts.required) this.add(p, `missing required field: ${key}`);
      return;
    }
    this.textObject(v, p, opts);
  }

  textObject(v: unknown, p: string, opts: { plainOnly?: boolean; max?: number } = {}): void {
    if (!isObj(v)) {
      this.add(p, 'must provide an object');
      return;
    }
    const type = v.type;
    if (type !== 'plain_text' && type !== 'mrkdwn') {
      this.add(`${p}/type`, `must be a valid enum value (plain_text or mrkdwn), got ${JSON.stringify(type)}`);
      return;
    }
    if (opts.plainOnly && type !== 'plain_text') {
      this.add(`${p}/type`, 'must be plain_text here (mrkdwn is not allowed)');
    }
    if (type === 'mrkdwn' && v.emoji !== undefined) this.add(`${p}/emoji`, 'invalid additional property: emoji (plain_text only)');
    if (type === 'plain_text' && v.verbatim !== undefined) {
      this.add(`${p}/verbatim`, 'invalid additional property: verbatim (mrkdwn only)');
    }
    this.string(v, 'text', p, { required: true, min: 1, max: Math.min(opts.max ?? 3000, 3000) });
  }

  array(obj: Obj, key: string, ptr: string, opts: { required?: boolean; min?: number; max?: number }): unknown[] | null {
    const v = obj[key];
    const p = `${ptr}/${key}`;
    if (v === undefined || v === null) {
      if (opts.required) this.add(p, `missing required field: ${key}`);
      return null;
    }
    if (!Array.isArray(v)) {
      this.add(p, 'must be an array');
      return null;
    }
    if (opts.min !== undefined && v.length < opts.min) this.add(p, `must provide at least ${opts.min} item(s)`);
    if (opts.max !== undefined && v.length > opts.max) this.add(p, `no more than ${opts.max} items allowed`);
    return v;
  }

  confirm(obj: Obj, ptr: string): void {
    const c = obj.confirm;
    if (c === undefined) return;
    const p = `${ptr}/confirm`;
    if (!isObj(c)) {
      this.add(p, 'must provide an object');
      return;
    }
    this.text(c, 'title', p, { required: true, plainOnly: true, max: 100 });
    this.text(c, 'text', p, { required: true, max: 300 });
    this.text(c, 'confirm', p, { required: true, plainOnly: true, max: 30 });
    this.text(c, 'deny', p, { required: true, plainOnly: true, max: 30 });
    if (c.style !== undefined && c.style !== 'primary' && c.style !== 'danger') {
      this.add(`${p}/style`, 'must be a valid enum value (primary or danger)');
    }
  }

  option(o: unknown, p: string, opts: { plainOnly: boolean; url?: boolean }): void {
    if (!isObj(o)) {
      this.add(p, 'must provide an object');
      return;
    }
    this.text(o, 'text', p, { required: true, plainOnly: opts.plainOnly, max: 75 });
    this.string(o, 'value', p, { required: true, max: 150 });
    this.text(o, 'description', p, { plainOnly: opts.plainOnly, max: 75 });
    if (opts.url) this.string(o, 'url', p, { max: 3000 });
    else if (o.url !== undefined) this.add(`${p}/url`, 'invalid additional property: url (overflow menus only)');
  }

  options(el: Obj, p: string, opts: { plainOnly: boolean; min: number; max: number; required: boolean; url?: boolean }): void {
    const list = this.array(el, 'options', p, { required: opts.required, min: opts.min, max: opts.max });
    list?.forEach((o, i) => this.option(o, `${p}/options/${i}`, opts));
  }

  element(el: unknown, p: string, allowed: Set<string>, where: string): void {
    if (!isObj(el)) {
      this.add(p, 'must provide an object');
      return;
    }
    const type = el.type;
    if (typeof type !== 'string' || !allowed.has(type)) {
      this.add(`${p}/type`, `element type ${JSON.stringify(type)} is not allowed in ${where}`);
      return;
    }
    this.string(el, 'action_id', p, { max: 255 });
    switch (type) {
      case 'button':
        this.text(el, 'text', p, { required: true, plainOnly: true, max: 75 });
        this.string(el, 'value', p, { max: 2000 });
        this.string(el, 'url', p, { max: 3000 });
        this.string(el, 'accessibility_label', p, { max: 75 });
        if (el.style !== undefined && el.style !== 'primary' && el.style !== 'danger') {
          this.add(`${p}/style`, 'must be a valid enum value (primary or danger)');
        }
        this.confirm(el, p);
        return;
      case 'workflow_button':
        this.text(el, 'text', p, { required: true, plainOnly: true, max: 75 });
        this.string(el, 'accessibility_label', p, { max: 75 });
        if (!isObj(el.workflow)) this.add(`${p}/workflow`, 'missing required field: workflow');
        return;
      case 'image':
        this.image(el, p, false);
        return;
      case 'overflow':
        this.options(el, p, { plainOnly: true, min: 1, max: 5, required: true, url: true });
        this.confirm(el, p);
        return;
      case 'checkboxes':
      case 'radio_buttons':
        this.options(el, p, { plainOnly: false, min: 1, max: 10, required: true });
        this.confirm(el, p);
        return;
      case 'static_select':
      case 'multi_static_select': {
        this.text(el, 'placeholder', p, { plainOnly: true, max: 150 });
        const hasOptions = el.options !== undefined;
        const hasGroups = el.option_groups !== undefined;
        if (hasOptions === hasGroups) this.add(p, 'must provide exactly one of options or option_groups');
        if (hasOptions) this.options(el, p, { plainOnly: true, min: 1, max: 100, required: true });
        if (hasGroups) {
          const groups = this.array(el, 'option_groups', p, { min: 1, max: 100 });
          groups?.forEach((g, i) => {
            const gp = `${p}/option_groups/${i}`;
            if (!isObj(g)) return this.add(gp, 'must provide an object');
            this.text(g, 'label', gp, { required: true, plainOnly: true, max: 75 });
            this.options(g, gp, { plainOnly: true, min: 1, max: 100, required: true });
          });
        }
        this.confirm(el, p);
        return;
      }
      case 'plain_text_input':
        this.text(el, 'placeholder', p, { plainOnly: true, max: 150 });
        this.string(el, 'initial_value', p, { max: 3000 });
        for (const k of ['min_length', 'max_length'] as const) {
          const n = el[k];
          if (n !== undefined && (typeof n !== 'number' || n < 0 || n > 3000)) this.add(`${p}/${k}`, 'must be 0..3000');
        }
        return;
      default:
        // other selects, pickers and inputs: only the placeholder limit is common to all of them
        this.text(el, 'placeholder', p, { plainOnly: true, max: 150 });
        if (MULTI_SELECTS.includes(type) && el.max_selected_items !== undefined) {
          const n = el.max_selected_items;
          if (typeof n !== 'number' || n < 1) this.add(`${p}/max_selected_items`, 'must be at least 1');
        }
        this.confirm(el, p);
    }
  }

  image(el: Obj, p: string, isBlock: boolean): void {
    if (el.image_url === undefined && el.slack_file === undefined) {
      this.add(p, 'must provide one of image_url or slack_file');
    }
    this.string(el, 'image_url', p, { max: 3000 });
    this.string(el, 'alt_text', p, { required: true, min: 1, max: 2000 });
    if (isBlock) this.text(el, 'title', p, { plainOnly: true, max: 2000 });
  }

  uniqueActionIds(elements: unknown[], p: string): void {
    const seen = new Set<string>();
    elements.forEach((el, i) => {
      if (!isObj(el) || typeof el.action_id !== 'string') return;
      if (seen.has(el.action_id)) {
        this.add(`${p}/elements/${i}/action_id`, `duplicate action_id ${JSON.stringify(el.action_id)} in the same block`);
      }
      seen.add(el.action_id);
    });
  }

  block(b: unknown, p: string, surface: Surface, blockIds: Set<string>): number {
    if (!isObj(b)) {
      this.add(p, 'must provide an object');
      return 0;
    }
    const type = b.type;
    if (typeof type !== 'string' || !BLOCK_TYPES.has(type)) {
      this.add(`${p}/type`, `unknown block type ${JSON.stringify(type)}`);
      return 0;
    }
    if (b.block_id !== undefined) {
      this.string(b, 'block_id', p, { max: 255 });
      if (typeof b.block_id === 'string') {
        if (blockIds.has(b.block_id)) this.add(`${p}/block_id`, `duplicate block_id ${JSON.stringify(b.block_id)}`);
        blockIds.add(b.block_id);
      }
    }
    switch (type) {
      case 'section': {
        if (b.text === undefined && b.fields === undefined) this.add(p, 'must provide either text or fields');
        this.text(b, 'text', p, { max: 3000 });
        const fields = this.array(b, 'fields', p, { min: 1, max: 10 });
        fields?.forEach((f, i) => this.textObject(f, `${p}/fields/${i}`, { max: 2000 }));
        if (b.accessory !== undefined) this.element(b.accessory, `${p}/accessory`, ACCESSORY, 'a section accessory');
        return 0;
      }
      case 'divider':
        return 0;
      case 'header':
        this.text(b, 'text', p, { required: true, plainOnly: true, max: 150 });
        return 0;
      case 'context': {
        const els = this.array(b, 'elements', p, { required: true, min: 1, max: 10 });
        els?.forEach((el, i) => {
          const ep = `${p}/elements/${i}`;
          if (isObj(el) && el.type === 'image') this.image(el, ep, false);
          else this.textObject(el, ep);
        });
        return 0;
      }
      case 'actions': {
        const els = this.array(b, 'elements', p, { required: true, min: 1, max: 25 });
        els?.forEach((el, i) => this.element(el, `${p}/elements/${i}`, INTERACTIVE, 'an actions block'));
        if (els) this.uniqueActionIds(els, p);
        return 0;
      }
      case 'context_actions': {
        const els = this.array(b, 'elements', p, { required: true, min: 1, max: 5 });
        if (els) this.uniqueActionIds(els, p);
        return 0;
      }
      case 'image':
        this.image(b, p, true);
        return 0;
      case 'input':
        this.text(b, 'label', p, { required: true, plainOnly: true, max: 2000 });
        this.text(b, 'hint', p, { plainOnly: true, max: 2000 });
        if (b.element === undefined) this.add(`${p}/element`, 'missing required field: element');
        else this.element(b.element, `${p}/element`, INPUT_ELEMENTS, 'an input block');
        return 0;
      case 'rich_text':
        this.array(b, 'elements', p, { required: true });
        return 0;
      case 'markdown':
        this.string(b, 'text', p, { required: true, min: 1, max: 12_000 });
        return typeof b.text === 'string' ? charCount(b.text) : 0;
      case 'file':
        if (surface !== 'message') this.add(`${p}/type`, 'file blocks are only allowed in messages');
        this.string(b, 'external_id', p, { required: true });
        this.string(b, 'source', p, { required: true });
        return 0;
      case 'video':
        this.text(b, 'title', p, { required: true, plainOnly: true, max: 200 });
        this.string(b, 'alt_text', p, { required: true });
        this.string(b, 'video_url', p, { required: true });
        this.string(b, 'thumbnail_url', p, { required: true });
        return 0;
      case 'table':
        this.array(b, 'rows', p, { required: true, min: 1, max: 100 });
        return 0;
      default:
        return 0;
    }
  }
}

/**
 * Every reason Slack would reject `blocks` on the given surface (empty when they are fine).
 * `pointer` is the JSON pointer of the blocks array in the request (Slack says `/blocks` for
 * messages and `/view/blocks` for views).
 */
export function blockKitProblems(blocks: unknown, surface: Surface, pointer = '/blocks'): string[] {
  const c = new Checker();
  if (!Array.isArray(blocks)) {
    c.add(pointer, 'must be an array of blocks');
    return c.problems;
  }
  const max = MAX_BLOCKS[surface];
  if (blocks.length > max) c.add(pointer, `no more than ${max} items allowed`);
  const blockIds = new Set<string>();
  let markdownChars = 0;
  blocks.forEach((b, i) => {
    markdownChars += c.block(b, `${pointer}/${i}`, surface, blockIds);
  });
  if (markdownChars > 12_000) {
    c.add(pointer, `markdown blocks together must be less than 12001 characters (got ${markdownChars})`);
  }
  return c.problems;
}

/** Every reason Slack would reject a view object for views.open/update/push (modal) or views.publish (home). */
export function viewProblems(view: unknown, type: 'modal' | 'home', pointer = '/view'): string[] {
  const c = new Checker();
  if (!isObj(view)) {
    c.add(pointer, 'must provide an object');
    return c.problems;
  }
  if (view.type !== type) {
    c.add(`${pointer}/type`, `must be ${JSON.stringify(type)}, got ${JSON.stringify(view.type)}`);
  }
  if (type === 'modal') {
    c.text(view, 'title', pointer, { required: true, plainOnly: true, max: 24 });
    c.text(view, 'close', pointer, { plainOnly: true, max: 24 });
    c.text(view, 'submit', pointer, { plainOnly: true, max: 24 });
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) c.add(`${pointer}/submit`, 'submit is required when the view has an input block');
  }
  c.string(view, 'private_metadata', pointer, { max: 3000 });
  c.string(view, 'callback_id', pointer, { max: 255 });
  c.string(view, 'external_id', pointer, { max: 255 });
  if (view.blocks === undefined) c.add(`${pointer}/blocks`, 'missing required field: blocks');
  else c.problems.push(...blockKitProblems(view.blocks, type, `${pointer}/blocks`));
  return c.problems;
}
