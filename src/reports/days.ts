/** YYYY-MM-DD of an instant in a time zone. */
export function dayIn(tz: string, d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}
