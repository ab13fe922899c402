extension BoardAssets {
    /// `/board/board.css`: one column on a phone, two-sided header on a desktop;
    /// system fonts only (nothing is downloaded); colours at 4.5:1 contrast or more.
    static let style = #"""
:root {
  --ink: #1f2328; --muted: #57606a; --paper: #ffffff; --panel: #f6f8fa; --line: #d0d7de;
  --brand: #8a1c1c; --brand-ink: #ffffff; --focus: #0550ae;
  --good: #116329; --good-bg: #dafbe1; --warn: #7d4e00; --warn-bg: #fff8c5; --bad: #a40e26; --bad-bg: #ffebe9;
  --info: #0a3069; --info-bg: #ddf4ff;
  font-family: system-ui, -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif;
  font-size: 16px; line-height: 1.5; color: var(--ink); background: var(--paper);
}
* { box-sizing: border-box; }
body { margin: 0; }
a { color: var(--focus); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
[tabindex="-1"]:focus { outline: none; }
.skip { position: absolute; left: -999px; top: 0; background: var(--paper); padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; }
.top { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center; justify-content: space-between;
  padding: .75rem 1rem; background: var(--brand); color: var(--brand-ink); }
.brand { display: flex; gap: .75rem; align-items: center; min-width: 0; }
.brand h1 { margin: 0; font-size: 1.25rem; line-height: 1.3; overflow-wrap: anywhere; }
.top .sub { margin: 0; font-size: .875rem; }
.live[data-live="on"] { font-weight: 600; }
.tools { display: flex; gap: .5rem; flex-wrap: wrap; }
.top button.secondary { background: transparent; color: var(--brand-ink); border-color: var(--brand-ink); }
nav { border-bottom: 1px solid var(--line); background: var(--panel); overflow-x: auto; }
nav ul { display: flex; gap: .25rem; margin: 0 auto; padding: 0 .5rem; list-style: none; max-width: 60rem; }
nav a { display: block; padding: .75rem .75rem; color: var(--ink); text-decoration: none; white-space: nowrap;
  border-bottom: 3px solid transparent; min-height: 44px; }
nav a[aria-current="page"] { border-bottom-color: var(--brand); font-weight: 600; color: var(--brand); }
main, .me, .alert, .result, footer { max-width: 60rem; margin: 0 auto; padding: 0 1rem; }
.me { padding: .5rem 1rem; background: var(--info-bg); color: var(--info); }
.alert { margin-top: .75rem; padding: .75rem 1rem; background: var(--bad-bg); color: var(--bad); border: 1px solid var(--bad); border-radius: 6px; }
.result { margin-top: .75rem; padding: .5rem 1rem; border-radius: 6px; background: var(--panel); }
.result.good { background: var(--good-bg); color: var(--good); }
.result.error { background: var(--bad-bg); color: var(--bad); }
main { padding-top: 1rem; padding-bottom: 2rem; }
main h2 { font-size: 1.375rem; margin: .5rem 0 1rem; }
footer { padding-top: 1rem; padding-bottom: 2rem; border-top: 1px solid var(--line); font-size: .875rem; color: var(--muted); }
.muted { color: var(--muted); }
.bad { color: var(--bad); }
.cards { list-style: none; margin: 0; padding: 0; display: grid; gap: 1rem; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 1rem; background: var(--paper); min-width: 0; }
.card h3 { margin: .25rem 0 .5rem; font-size: 1.125rem; overflow-wrap: anywhere; }
.body { white-space: pre-wrap; overflow-wrap: anywhere; margin: .25rem 0 .5rem; }
.meta { color: var(--muted); font-size: .9375rem; margin: .25rem 0; overflow-wrap: anywhere; }
.chips { display: flex; flex-wrap: wrap; gap: .375rem; }
.chip { display: inline-block; padding: .125rem .5rem; border-radius: 999px; font-size: .8125rem; background: var(--panel); color: var(--ink);
  border: 1px solid var(--line); }
.chip.good { background: var(--good-bg); color: var(--good); border-color: var(--good); }
.chip.warn { background: var(--warn-bg); color: var(--warn); border-color: var(--warn); }
.chip.bad { background: var(--bad-bg); color: var(--bad); border-color: var(--bad); }
.chip.category { background: var(--info-bg); color: var(--info); border-color: var(--info); }
details.verify { margin: .5rem 0 0; font-size: .875rem; }
.badge { cursor: pointer; display: inline-block; padding: .125rem .5rem; border-radius: 6px; min-height: 24px; }
.badge.pending { background: var(--panel); color: var(--muted); }
.badge.ok { background: var(--good-bg); color: var(--good); }
.badge.bad { background: var(--bad-bg); color: var(--bad); }
.proof { padding: .25rem .75rem; }
.proof ul { margin: .25rem 0; padding-left: 1.25rem; }
details.trail, details.action, details.composer { margin-top: .75rem; }
details.composer { border: 1px solid var(--line); border-radius: 8px; padding: .5rem 1rem; margin-bottom: 1rem; background: var(--panel); }
details > summary { cursor: pointer; min-height: 32px; }
details.composer > summary, details.action > summary { font-weight: 600; color: var(--brand); }
.timeline { margin: .75rem 0 0; padding-left: 1.25rem; }
.timeline li { margin-bottom: .5rem; }
.entries { padding-left: 1.25rem; }
.tally { margin: .75rem 0; }
.option { margin: .375rem 0; }
.option-label { display: flex; justify-content: space-between; gap: 1rem; flex-wrap: wrap; }
.bar { height: .625rem; background: var(--panel); border: 1px solid var(--line); border-radius: 4px; overflow: hidden; }
.bar span { display: block; height: 100%; width: 0; background: var(--brand); }
.option.won .option-label { font-weight: 600; }
form.action-form { display: grid; gap: .75rem; margin-top: .5rem; }
.field { display: grid; gap: .25rem; }
label { font-weight: 500; }
input[type="text"], input[type="password"], input[type="number"], input[type="datetime-local"], input[type="file"], select, textarea {
  font: inherit; font-size: 1rem; padding: .5rem; border: 1px solid var(--muted); border-radius: 6px; width: 100%; max-width: 100%;
  background: var(--paper); color: var(--ink); min-height: 44px; }
textarea { resize: vertical; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; margin: 0; }
legend { font-weight: 600; padding: 0 .25rem; }
.check { display: inline-flex; align-items: center; gap: .375rem; margin: .25rem 1rem .25rem 0; min-height: 32px; }
.check input { width: 1.25rem; height: 1.25rem; }
.actions { display: flex; gap: .5rem; flex-wrap: wrap; }
button { font: inherit; padding: .5rem 1rem; border-radius: 6px; border: 1px solid var(--brand); background: var(--brand); color: var(--brand-ink);
  cursor: pointer; min-height: 44px; }
button.secondary { background: var(--paper); color: var(--brand); }
button:disabled { opacity: .6; cursor: progress; }
.status { margin: 0; min-height: 1.5em; }
.status.good { color: var(--good); }
.status.error, .error { color: var(--bad); }
.reason { font-family: ui-monospace, monospace; font-size: .875rem; overflow-wrap: anywhere; }
.empty { color: var(--muted); }
h3.group { font-size: 1.125rem; margin: 1.5rem 0 .75rem; }
.supply { border: 1px solid var(--line); border-radius: 8px; padding: .75rem 1rem; margin: 1rem 0; background: var(--panel); }
.supply h3 { margin: 0 0 .5rem; font-size: 1.125rem; }
.supply dl { display: flex; flex-wrap: wrap; gap: .5rem 2rem; margin: 0; }
.supply dt { color: var(--muted); font-size: .875rem; }
.supply dd { margin: 0; font-size: 1.5rem; font-weight: 600; }
.supply .good { color: var(--good); }
.supply .bad { color: var(--bad); }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; min-width: 36rem; }
caption { text-align: left; font-weight: 600; padding: .5rem .75rem; }
th, td { text-align: left; padding: .5rem .75rem; border-top: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-size: .875rem; }
tbody th { font-weight: 500; }
dialog { border: 1px solid var(--line); border-radius: 10px; padding: 1rem 1.25rem; width: min(32rem, calc(100vw - 2rem)); color: var(--ink); }
dialog::backdrop { background: rgba(0, 0, 0, .45); }
dialog form { display: grid; gap: .75rem; }
dialog h2 { margin: 0; font-size: 1.25rem; }
dialog h3 { font-size: 1rem; margin: .5rem 0; }
ul.saved { list-style: none; padding: 0; margin: 0; display: grid; gap: .75rem; }
ul.saved li { display: grid; gap: .375rem; border: 1px solid var(--line); border-radius: 6px; padding: .5rem .75rem; }
@media (min-width: 48rem) {
  .cards { gap: 1.25rem; }
  main h2 { font-size: 1.5rem; }
  form.action-form { max-width: 40rem; }
}
@media (prefers-reduced-motion: reduce) { * { scroll-behavior: auto; transition: none; } }
"""#
}
