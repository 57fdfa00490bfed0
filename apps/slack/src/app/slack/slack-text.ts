/**
 * Slack's message formatting: `&`, `<` and `>` are control characters (links, mentions like <!channel>) and
 * must be escaped as &amp; &lt; &gt; in every text object (api.slack.com/reference/surfaces/formatting#escaping).
 * Field values are also reduced to one line, and backticks (which would end a code span) are replaced.
 */

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

export function oneLine(value: string | undefined | null, max = 200): string {
  if (value === undefined || value === null) return '';
  const line = value.replace(CONTROLS, ' ').replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** For mrkdwn and plain_text objects alike. */
export function escapeSlack(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A value shown as `code` in mrkdwn. */
export function code(value: string | undefined | null, max = 200): string {
  const v = oneLine(value, max).replace(/`/g, 'ˋ');
  return v.length === 0 ? '–' : `\`${escapeSlack(v)}\``;
}

/** Plain words in mrkdwn: escaped, with formatting characters neutralised. */
export function words(value: string | undefined | null, max = 500): string {
  return escapeSlack(oneLine(value, max)).replace(/([*_~`])/g, '\u200b$1\u200b');
}
