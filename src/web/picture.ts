import type { Db } from '../db/client.ts';
import { dayIn } from '../reports/days.ts';
import { fleetDayCounts } from './history-query.ts';
import { svgToPng } from './png.ts';
import { fleetPictureSvg } from './views/fleet-picture.ts';
import { addDays } from './views/history-model.ts';

export const PICTURE_DAYS = 30;

/** The fleet's last 30 days as a PNG, with a text alternative: one query, one SVG, one render. */
export async function fleetPicture(db: Db, now: Date, tz: string) {
  const today = dayIn(tz, now);
  const from = addDays(today, -(PICTURE_DAYS - 1));
  const days = await fleetDayCounts(db, from, addDays(today, 1), tz);
  const title = `Backups, last ${PICTURE_DAYS} days (${from} to ${today})`;
  const last = days[days.length - 1]!;
  const altText = `${title}. ${today}: ${last.ok} ok, ${last.exc} ok by exceptions, ${last.failed} failed, ${last.incomplete} incomplete, ${last.missing} missing.`;
  return { png: svgToPng(fleetPictureSvg(days, title)), filename: `backups-${today}.png`, title, altText };
}
