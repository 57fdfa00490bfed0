/** The console's one stylesheet (served as /static/console.css): readable on a phone and a laptop, AA contrast, visible focus. */
export const CONSOLE_CSS = `
:root { --fg: #1a1a1a; --muted: #555; --bg: #fff; --line: #c8c8c8; --accent: #0b5394; --bad: #a4000f; --good: #1e6b2f; --soft: #f2f5f9; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; font-size: 100%; line-height: 1.45; color: var(--fg); background: var(--bg); }
body { margin: 0; }
a { color: var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, summary:focus-visible, [tabindex]:focus-visible { outline: 3px solid #e8a400; outline-offset: 2px; }
.skip { position: absolute; left: -9999px; top: 0; background: var(--fg); color: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
.visually-hidden { position: absolute !important; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.top { display: flex; flex-wrap: wrap; gap: .5rem 1.5rem; align-items: center; padding: .75rem 1rem; background: var(--soft); border-bottom: 1px solid var(--line); }
.brand { font-weight: 700; color: var(--fg); text-decoration: none; }
.top nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
.top nav a { text-decoration: none; padding: .25rem 0; display: inline-block; }
.top nav a[aria-current="page"] { font-weight: 700; border-bottom: 3px solid var(--accent); }
.account { margin-left: auto; display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; font-size: .9rem; }
.account form { display: inline; margin: 0; }
main { padding: 1rem; max-width: 80rem; margin: 0 auto; }
main:focus { outline: none; }
h1 { font-size: 1.6rem; margin: .5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 1.5rem 0 .5rem; }
h3 { font-size: 1rem; margin: 0; }
fieldset { border: 1px solid var(--line); padding: .75rem; margin: 0 0 1rem; }
legend { font-weight: 700; padding: 0 .25rem; }
.fields { display: grid; grid-template-columns: repeat(auto-fit, minmax(14rem, 1fr)); gap: .75rem 1rem; }
.field { display: flex; flex-direction: column; gap: .2rem; }
.field label { font-weight: 600; }
.hint { font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; }
input[type="text"], input[type="datetime-local"], select { padding: .4rem; border: 1px solid #767676; border-radius: 3px; min-height: 2.5rem; width: 100%; background: #fff; color: var(--fg); }
input[type="checkbox"] { width: 1.25rem; height: 1.25rem; }
button { padding: .45rem 1rem; min-height: 2.5rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; border-radius: 3px; cursor: pointer; }
button.link { background: none; border: none; color: var(--accent); text-decoration: underline; padding: 0; min-height: 0; }
button.danger { background: var(--bad); border-color: var(--bad); }
.actions { margin-top: .75rem; display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; }
.table-wrap { overflow-x: auto; margin: .5rem 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: .45rem .5rem; border-bottom: 1px solid var(--line); overflow-wrap: break-word; }
th { white-space: nowrap; }
th { background: var(--soft); }
.num { text-align: right; }
.muted { color: var(--muted); }
.bad { color: var(--bad); }
.good { color: var(--good); }
.error { color: var(--bad); border-left: 4px solid var(--bad); padding: .25rem .75rem; }
.notice { border-left: 4px solid var(--good); padding: .25rem .75rem; }
.note { border-left: 4px solid var(--muted); padding: .25rem .75rem; }
.paging { display: flex; gap: 1.5rem; margin: 1rem 0; }
.live { background: var(--soft); padding: .25rem 1rem .75rem; margin: 1rem 0; border: 1px solid var(--line); }
.live-list { margin: 0; padding-left: 1.25rem; }
.live-list:empty::before { content: attr(data-empty); color: var(--muted); }
.summary dl { display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem; }
.summary dt { font-weight: 600; }
.summary dd { margin: 0; }
.state { font-size: 1.1rem; font-weight: 600; }
.timeline { list-style: none; padding: 0; margin: 0; border-left: 3px solid var(--line); }
.timeline > li { padding: .5rem 0 1rem 1rem; position: relative; }
.meta { margin: .2rem 0; color: var(--muted); font-size: .9rem; }
.deliveries { margin: .25rem 0; padding-left: 1.25rem; }
.outcome-dead-lettered, .outcome-retry { color: var(--bad); }
.items { padding-left: 1.25rem; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; background: var(--soft); padding: .5rem; font-size: .85rem; max-height: 24rem; overflow: auto; }
pre.body { max-height: 8rem; margin: 0; }
code { font-size: .9em; }
@media (max-width: 40rem) {
  .account { margin-left: 0; }
  main { padding: .75rem; }
  table.transfers thead, table.dead-letters thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.transfers tr, table.dead-letters tr { display: block; border-bottom: 2px solid var(--line); padding: .25rem 0; }
  table.transfers td, table.dead-letters td { display: block; border: none; padding: .15rem .25rem; }
  .num { text-align: left; }
}
`;
