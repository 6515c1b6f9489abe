/** Formatting shared by the views: pure, given the time zone and "now" explicitly. */

const STATUS_ICON: Record<string, string> = {
  ok: ':white_check_mark:',
  failed: ':x:',
  suspect: ':warning:',
  incomplete: ':hourglass_flowing_sand:',
  missing: ':grey_question:',
  waiting: ':new:',
  paused: ':double_vertical_bar:',
  none: ':new:',
};


export const icon = (status: string) => STATUS_ICON[status] ?? ':grey_question:';

export function when(d: Date, tz: string): string {
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: tz,
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(d);
}

export function ago(d: Date | null, now: Date): string {
  if (!d) return 'never';
  const mins = Math.max(0, Math.round((now.getTime() - d.getTime()) / 60_000));
  if (mins < 90) return `${mins} min ago`;
  const hours = Math.round(mins / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** The first sentence of a hint: enough for a list, the rest is in the details view. */
export function firstSentence(text: string): string {
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return m ? m[1]! : text;
}

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
