//! An attached file's text as a highlighted preview: a fenced code block in the language its
//! name's extension says (plain text when none is known), through the same renderer as replies.

/// The preview of `text` from the file `file_name`, as safe HTML.
pub fn file_preview(file_name: &str, text: &str) -> String {
    let language: String = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.chars().filter(char::is_ascii_alphanumeric).take(16).collect())
        .filter(|ext: &String| !ext.is_empty() && !matches!(ext.as_str(), "txt" | "pdf" | "docx" | "html" | "htm"))
        .unwrap_or_else(|| "text".to_owned());
    // A fence longer than any run of backticks in the text, so the text cannot close it.
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    super::to_html(&format!("{fence}{language}\n{text}\n{fence}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_is_highlighted_by_its_extension_and_nothing_escapes_the_block() {
        let html = file_preview("main.rs", "fn main() {}\n```\n<script>alert(1)</script>");
        assert!(html.contains("hl-"), "highlighted: {html}");
        assert!(html.contains("&lt;") && !html.contains("<script"), "{html}");
        assert_eq!(html.matches("<pre").count(), 1, "one block: {html}");
        let plain = file_preview("notes.txt", "just text");
        assert!(plain.contains("just text") && plain.contains("<pre"), "{plain}");
        let odd = file_preview("x.\"><img src=x>", "a");
        assert!(!odd.contains("<img"), "{odd}");
    }
}
