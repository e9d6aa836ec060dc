// xsd:dateTime literals (RFC 7643 §2.3.5) → instants, hand-scanned, for filter checks and evaluation.

const digits = (s: string, from: number, count: number): number => {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i);
    if (!(c >= 48 && c <= 57)) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
};

const daysIn = (year: number, month: number): number =>
  month === 2
    ? year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)
      ? 29
      : 28
    : [4, 6, 9, 11].includes(month)
      ? 30
      : 31;

/**
 * `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)` → milliseconds since the epoch, or undefined when malformed or
 * out of range. RFC 7643 §2.3.5 says xsd:dateTime, whose time zone is optional; Roster requires one, because a
 * zone-less time names no instant (the server's zone would decide). Fractions beyond milliseconds are truncated.
 */
export function parseDateTime(text: string): number | undefined {
  if (text.length < 20 || text.length > 40) return undefined;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':') return undefined;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return undefined;
  let i = 19;
  let millis = 0;
  if (text[i] === '.') {
    const from = ++i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === from) return undefined;
    millis = digits(`${text.slice(from, Math.min(i, from + 3))}00`, 0, 3);
  }
  let offsetMinutes = 0;
  if (text[i] === 'Z' && i + 1 === text.length) {
    offsetMinutes = 0;
  } else if ((text[i] === '+' || text[i] === '-') && i + 6 === text.length && text[i + 3] === ':') {
    const h = digits(text, i + 1, 2);
    const m = digits(text, i + 4, 2);
    if (h < 0 || h > 14 || m < 0 || m > 59) return undefined;
    offsetMinutes = (text[i] === '-' ? -1 : 1) * (h * 60 + m);
  } else {
    return undefined;
  }
  const utc = new Date(0);
  utc.setUTCFullYear(year, month - 1, day);
  utc.setUTCHours(hour, minute, second, millis);
  return utc.getTime() - offsetMinutes * 60_000;
}
