/**
 * A plain-language reading of a five-field cron ("0 9 * * 1" → "Every Monday at 09:00") for the
 * schedule picker. The server decides whether an expression is valid; this only reads the common
 * shapes and falls back to quoting the expression.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;
const NUMBER = /^\d+$/;

export function cronFields(cron: string): string[] | null {
  const fields = cron.trim().split(/\s+/);
  return fields.length === 5 && fields.every((field) => FIELD.test(field)) ? fields : null;
}

function pad(n: string): string {
  return n.padStart(2, '0');
}

function list(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function dayName(value: string): string | null {
  if (!NUMBER.test(value)) return null;
  return DAYS[Number(value) % 7] ?? null;
}

function describeDays(dow: string): string | null {
  if (dow === '*') return null;
  if (dow === '1-5') return 'every weekday (Monday to Friday)';
  if (dow === '0,6' || dow === '6,0') return 'every Saturday and Sunday';
  const range = /^(\d)-(\d)$/.exec(dow);
  if (range) {
    const from = dayName(range[1]!);
    const to = dayName(range[2]!);
    return from && to ? `every ${from} to ${to}` : null;
  }
  const names = dow.split(',').map(dayName);
  return names.every(Boolean) ? `every ${list(names as string[])}` : null;
}

function describeTime(minute: string, hour: string): string | null {
  if (NUMBER.test(minute) && NUMBER.test(hour)) return `at ${pad(hour)}:${pad(minute)}`;
  if (NUMBER.test(minute) && hour.split(',').every((h) => NUMBER.test(h))) {
    return `at ${list(hour.split(',').map((h) => `${pad(h)}:${pad(minute)}`))}`;
  }
  if (NUMBER.test(minute) && hour === '*') return minute === '0' ? 'every hour, on the hour' : `every hour at :${pad(minute)}`;
  const everyMinutes = /^\*\/(\d+)$/.exec(minute);
  if (everyMinutes && hour === '*') return `every ${everyMinutes[1]} minutes`;
  const everyHours = /^\*\/(\d+)$/.exec(hour);
  if (NUMBER.test(minute) && everyHours) return `every ${everyHours[1]} hours at :${pad(minute)}`;
  if (minute === '*' && hour === '*') return 'every minute';
  return null;
}

/** "Every Monday at 09:00", or null when the expression is not five cron fields. */
export function describeCron(cron: string): string | null {
  const fields = cronFields(cron);
  if (!fields) return null;
  const [minute, hour, dom, month, dow] = fields as [string, string, string, string, string];
  const time = describeTime(minute, hour);
  const days = describeDays(dow);
  const parts: string[] = [];
  if (dom !== '*' && NUMBER.test(dom)) parts.push(`on day ${dom} of ${month === '*' ? 'every month' : 'the month'}`);
  else if (dom !== '*') return `Runs on the schedule “${cron.trim()}”`;
  if (days) parts.push(days);
  if (month !== '*') {
    const names = month.split(',').map((m) => (NUMBER.test(m) ? MONTHS[Number(m) - 1] : undefined));
    if (!names.every(Boolean)) return `Runs on the schedule “${cron.trim()}”`;
    parts.push(`in ${list(names as string[])}`);
  }
  if (!time) return `Runs on the schedule “${cron.trim()}”`;
  const when = parts.length === 0 && !time.startsWith('every') ? ['every day', time] : [...parts, time];
  const sentence = when.join(' ');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}
