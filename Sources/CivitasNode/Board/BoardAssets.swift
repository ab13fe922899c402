import CivitasCodec
import CivitasLedger
import Hummingbird

/// The board's files, compiled into the binary (Sources/CivitasNode/Board/Assets/):
/// a node serves its board without reading or fetching anything, and the page
/// loads nothing from anywhere but the node it came from — the
/// Content-Security-Policy on every file says so to the browser too.
enum BoardAssets {
    /// One file as it is served.
    struct Asset: Sendable {
        let contentType: String
        let body: ByteBuffer
        /// A strong validator: the SHA-256 of the bytes.
        let etag: String

        init(_ text: String, type: String) {
            let bytes = Array(text.utf8)
            contentType = type
            body = ByteBuffer(bytes: bytes)
            etag = "\"" + String(Hashing.sha256(bytes).hex.prefix(32)) + "\""
        }

        /// 200 with the file, or 304 when the browser's copy (`If-None-Match`) is this one.
        func response(to request: Request) -> Response {
            var headers = BoardAssets.securityHeaders
            headers[.eTag] = etag
            headers[.cacheControl] = "no-cache"
            if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == etag
            }) {
                return Response(status: .notModified, headers: headers)
            }
            headers[.contentType] = contentType
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: body))
        }
    }

    /// Sent with every board file: scripts, styles, images and connections only
    /// from this origin; no framing, no referrer, no content sniffing.
    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy: "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            + "connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        .xContentTypeOptions: "nosniff",
        HTTPFields.Element.Name("Referrer-Policy")!: "no-referrer",
        HTTPFields.Element.Name("Cross-Origin-Opener-Policy")!: "same-origin",
        .crossOriginResourcePolicy: "same-origin",
    ]

    static let files: [String: Asset] = [
        "board.css": Asset(style, type: "text/css; charset=utf-8"),
        "codec.js": Asset(codecScript, type: "text/javascript; charset=utf-8"),
        "crypto.js": Asset(cryptoScript, type: "text/javascript; charset=utf-8"),
        "verify.js": Asset(verifyScript, type: "text/javascript; charset=utf-8"),
        "i18n.js": Asset(languageScript, type: "text/javascript; charset=utf-8"),
        "app.js": Asset(appScript, type: "text/javascript; charset=utf-8"),
        "selftest.js": Asset(selfTestScript, type: "text/javascript; charset=utf-8"),
        "vectors.json": Asset(vectors, type: "application/json"),
        "icon.svg": Asset(icon, type: "image/svg+xml"),
    ]

    static func file(_ name: String) -> Asset? { files[name] }

    /// The page in `lang` (zh or en): the language is set before any script runs.
    static func page(lang: String) -> Asset { lang == "en" ? pageEnglish : pageChinese }

    private static let pageChinese = Asset(html(lang: "zh-CN", title: "社区公示板 · Civitas"), type: "text/html; charset=utf-8")
    private static let pageEnglish = Asset(html(lang: "en", title: "Community board · Civitas"), type: "text/html; charset=utf-8")

    static func html(lang: String, title: String) -> String {
        page.replacingOccurrences(of: "{{lang}}", with: lang).replacingOccurrences(of: "{{title}}", with: title)
    }

    static let icon = #"""
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#8a1c1c"/><path d="M6 13h20v2H6zm2 4h4v8H8zm6 0h4v8h-4zm6 0h4v8h-4zM16 5l11 6H5z" fill="#fff"/></svg>
"""#
}
