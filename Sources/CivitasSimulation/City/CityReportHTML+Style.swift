/// The page's style sheet, inline: the system's sans-serif fonts (nothing
/// to download), a light page of white cards at most 1,120 px wide.
extension CityReport {
    static let css = """

        :root { color-scheme: light; --ink: #1f2933; --muted: #52606d; --line: #dde2e8; --page: #f4f6f9; --card: #ffffff; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--page); color: var(--ink);
          font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "PingFang SC", "Microsoft YaHei", sans-serif; }
        main { max-width: 1120px; margin: 0 auto; padding: 28px 20px 40px; }
        header, section { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: 20px 24px; margin: 0 0 20px; }
        h1 { font-size: 28px; line-height: 1.2; margin: 0 0 6px; overflow-wrap: anywhere; }
        h2 { font-size: 19px; margin: 24px 0 6px; }
        section > h2:first-child { margin-top: 4px; }
        .kicker { margin: 0; font-size: 12px; letter-spacing: .06em; text-transform: uppercase; color: var(--muted); }
        .question { font-size: 17px; margin: 0 0 8px; color: #323f4b; }
        .note, figure p, .empty { color: var(--muted); font-size: 13px; margin: 4px 0 12px; }
        dl.facts { display: flex; flex-wrap: wrap; gap: 8px 32px; margin: 14px 0 16px; }
        dl.facts .wide { flex-basis: 100%; }
        dt { font-size: 12px; letter-spacing: .04em; text-transform: uppercase; color: var(--muted); }
        dd { margin: 0; font-weight: 600; }
        .digest, code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; overflow-wrap: anywhere; }
        code { background: #eef1f5; padding: 1px 5px; border-radius: 4px; }
        .safety { border-radius: 8px; padding: 12px 16px; }
        .safety.pass { background: #e7f5eb; border: 1px solid #9fd3ae; }
        .safety.fail { background: #fdecea; border: 1px solid #eea29b; }
        .safety p { margin: 8px 0 0; }
        .safety details { margin-top: 6px; font-size: 13px; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: 13px; font-variant-numeric: tabular-nums; }
        th, td { padding: 6px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
        thead th { font-size: 12px; color: var(--muted); font-weight: 600; vertical-align: bottom; }
        th.group { text-align: center; border-bottom: 1px solid #b8c2cc; }
        tbody th { font-weight: 600; white-space: nowrap; }
        .n { text-align: right; white-space: nowrap; }
        td.names { font-size: 12px; color: #323f4b; min-width: 160px; }
        td small { color: var(--muted); }
        tr.city th, tr.city td { background: #eef2f7; font-weight: 600; }
        .who { white-space: nowrap; }
        .dot { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: baseline; }
        .muted { color: var(--muted); }
        .warn { color: #b42318; font-weight: 600; }
        .badge { display: inline-block; padding: 0 8px; border-radius: 999px; color: #fff; font-size: 12px; font-weight: 600; text-shadow: 0 0 2px rgba(0, 0, 0, .45); }
        figure { margin: 8px 0 24px; }
        figcaption { font-weight: 600; margin-bottom: 4px; }
        svg { display: block; width: 100%; height: auto; }
        svg text { fill: #323f4b; }
        svg .label { font-size: 12px; }
        svg .tick, svg .axis-title { font-size: 11px; fill: var(--muted); }
        svg .empty { font-size: 14px; fill: #8d939c; }
        svg .place-name { font-size: 13px; font-weight: 600; fill: var(--ink); }
        svg .place-note { font-size: 11px; fill: var(--muted); }
        svg .place-name, svg .place-note { paint-order: stroke; stroke: #fff; stroke-width: 4px; stroke-linejoin: round; }
        .grid { stroke: #e8ebf0; stroke-width: 1; }
        .axis { stroke: #9aa5b1; stroke-width: 1; }
        .series { stroke-width: 2.2; stroke-linejoin: round; stroke-linecap: round; }
        .swatch { stroke-width: 3; }
        .dashed { stroke-dasharray: 6 4; }
        .area { fill: #b9c2cf; fill-opacity: .65; }
        .link-line { stroke-width: 4; stroke-linecap: round; }
        .hit { stroke: transparent; stroke-width: 14; }
        .place { stroke: #fff; stroke-width: 2; }
        .scale { stroke: var(--ink); stroke-width: 2; }
        footer { color: var(--muted); font-size: 12px; text-align: center; }

        """
}
