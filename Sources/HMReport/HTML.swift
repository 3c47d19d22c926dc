/// Text made safe for HTML content and attribute values: every run name, config value and
/// error message reaches the page through here.
public enum HTML {
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for c in text.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }

    /// A table: a header row (none when empty) and rows of already-escaped cells.
    public static func table(_ header: [String], _ rows: [[String]], class name: String = "") -> String {
        var out = "<table\(name.isEmpty ? "" : " class=\"\(name)\"")>"
        if !header.isEmpty { out += "<thead><tr>" + header.map { "<th>\(escape($0))</th>" }.joined() + "</tr></thead>" }
        out += "<tbody>"
        for row in rows { out += "<tr>" + row.map { "<td>\($0)</td>" }.joined() + "</tr>" }
        return out + "</tbody></table>\n"
    }

    /// A `<figure>` with its caption; every figure of the page is one (the browser test
    /// measures them).
    public static func figure(_ content: String, caption: String, id: String) -> String {
        "<figure id=\"\(escape(id))\">\(content)<figcaption>\(escape(caption))</figcaption></figure>\n"
    }
}
