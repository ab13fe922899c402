/// The report's tables besides the summary: faults, city links, messages by
/// type, and the scenario's settings.
extension CityReport {
    func faultsSection() -> String {
        let head = """
            <tr><th>Fault</th><th>Cause</th><th>Community</th><th>Node</th><th class="n">Start (s)</th><th class="n">End (s)</th>\
            <th class="n">Recovery</th><th>Detail</th></tr>
            """
        let rows = faults.map { f in
            let community = f.community.map { Self.named($0, colour: colour(of: $0)) } ?? "<span class=\"muted\">city</span>"
            let recovery = f.recoverySeconds.map { "\(HTMLText.short($0)) s" } ?? "<span class=\"warn\">not recovered</span>"
            return "<tr><td>\(HTMLText.escape(f.kind))</td><td>\(f.drill ? "drill" : "random")</td><td>\(community)</td>"
                + "<td>\(f.node.map(HTMLText.escape) ?? "–")</td>\(Self.cell(HTMLText.short(f.startSecond)))\(Self.cell(HTMLText.short(f.endSecond)))"
                + "\(Self.cell(recovery))<td>\(HTMLText.escape(f.detail))</td></tr>"
        }
        return """
            <section id="faults">
            <h2>Faults</h2>
            <p class="note">Drills come from the scenario's schedule, the others are drawn from the seed. Recovery runs from the fault's \
            start until the community commits again and every node it touched is back at the head.</p>
            \(Self.table(head: head, rows: rows, empty: "No faults."))
            </section>
            """
    }

    func linksSection() -> String {
        let head = """
            <tr><th>From</th><th>To</th><th>Class</th><th class="n">Distance (km)</th><th class="n">Latency (ms)</th>\
            <th class="n">Bandwidth (Mbit/s)</th><th class="n">Loss</th><th class="n">Carried</th><th class="n">Per second</th>\
            <th class="n">Down (s)</th><th>Health</th></tr>
            """
        let rows = links.map { l in
            "<tr><td>\(Self.named(l.from, colour: colour(of: l.from)))</td><td>\(Self.named(l.to, colour: colour(of: l.to)))</td>"
                + "<td>\(HTMLText.escape(l.linkClass))</td>\(Self.cell(HTMLText.readable(l.distanceKm)))\(Self.cell(HTMLText.readable(l.latencyMillis)))"
                + "\(Self.cell(HTMLText.readable(l.bandwidthMbps)))\(Self.cell(HTMLText.percent(l.loss, decimals: 2)))"
                + "\(Self.cell(HTMLText.bytes(Double(l.bytes))))\(Self.cell(HTMLText.bytes(l.bytesPerSecond) + "/s"))"
                + "\(Self.cell(HTMLText.short(l.downSeconds)))"
                + "<td><span class=\"badge\" style=\"background:\(PlotColour.health(l.health))\">\(HTMLText.escape(l.health))</span></td></tr>"
        }
        return """
            <section id="links">
            <h2>City links</h2>
            <p class="note">One per pair of communities whose gateways talk: bytes both ways over the run. Degraded: lossy or cut for a \
            while; down: cut at the end.</p>
            \(Self.table(head: head, rows: rows, empty: "No city links."))
            </section>
            """
    }

    func messagesSection() -> String {
        let types = Set(communities.flatMap(\.figures.messages.keys) + city.messages.keys).sorted()
        let head = "<tr><th>Message</th>" + communities.map { "<th class=\"n\">\(Self.named($0.name, colour: colour(of: $0.name)))</th>" }.joined()
            + "<th class=\"n\">City</th></tr>"
        let rows = types.map { type in
            "<tr><td><code>\(HTMLText.escape(type))</code></td>"
                + (communities.map(\.figures) + [city]).map { Self.cell(HTMLText.number(Double($0.messages[type] ?? 0))) }.joined() + "</tr>"
        }
        return """
            <section id="messages">
            <h2>Messages by type</h2>
            \(Self.table(head: head, rows: rows, empty: "No messages counted."))
            </section>
            """
    }

    func settingsSection() -> String {
        let rows = scenario.settings.sorted { $0.key < $1.key }.map { "<tr><td><code>\(HTMLText.escape($0.key))</code></td><td>\(HTMLText.escape($0.value))</td></tr>" }
        return """
            <section id="settings">
            <h2>Scenario settings</h2>
            <p class="note">As the run used them, from the scenario file or drawn from the seed.</p>
            \(Self.table(head: "<tr><th>Setting</th><th>Value</th></tr>", rows: rows, empty: "No settings recorded."))
            </section>
            """
    }
}
