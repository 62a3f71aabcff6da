//! Code blocks highlighted with CSS classes (`hl-…`), and the stylesheet for them: a light theme,
//! and a dark one under `prefers-color-scheme: dark`.
//!
//! The HTML of a code block is ours alone: the code's text escaped inside `<span class="hl-…">`
//! elements whose classes come from the syntaxes compiled into the binary, and an escaped
//! language label. So it is inserted after the sanitiser, and a streamed block highlights only
//! the lines that are new ([`CodeCache`]): syntect's state after the last whole line is kept.

use std::sync::LazyLock;

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, css_for_theme_with_class_style, line_tokens_to_classed_spans};
use syntect::parsing::{ParseState, ScopeStack, SyntaxSet};
use syntect::util::LinesWithEndings;

const STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "hl-" };
/// Longest language label shown (an info string can be anything).
const MAX_LANG_CHARS: usize = 32;
const LIGHT: &str = "InspiredGitHub";
const DARK: &str = "base16-ocean.dark";

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// Where highlighting of a growing code block stopped: after the last whole line.
#[derive(Default)]
pub struct CodeCache {
    lang: String,
    /// The whole lines highlighted so far, and their HTML.
    code: String,
    html: String,
    /// `<span>`s the HTML leaves open, and the parser's state, after those lines.
    open_spans: isize,
    state: Option<(ParseState, ScopeStack)>,
}

/// A fenced or indented code block as HTML: a head with the language and a copy button, then the
/// code, highlighted when the language (the info string's first word) is known.
pub(super) fn code_block(info: &str, code: &str, cache: &mut CodeCache) -> String {
    let lang = info.split_whitespace().next().unwrap_or("");
    let lang: String = lang.chars().take(MAX_LANG_CHARS).collect();
    let body = highlighted(&lang, code, cache).unwrap_or_else(|| {
        // Nothing half-done is kept: the next call starts again.
        *cache = CodeCache::default();
        escaped(code)
    });
    format!(
        "<div class=\"code-block\"><div class=\"code-head\"><span class=\"code-lang\">{}</span>\
         <button type=\"button\" class=\"copy-code\">Copy</button></div><pre class=\"code\"><code>{body}</code></pre></div>",
        escaped(&lang)
    )
}

/// `code` highlighted as `lang`, continuing from `cache` when the code only grew; `None` for a
/// language syntect does not know (or a syntax that fails on this code).
fn highlighted(lang: &str, code: &str, cache: &mut CodeCache) -> Option<String> {
    let syntax = (!lang.is_empty()).then(|| SYNTAXES.find_syntax_by_token(lang)).flatten()?;
    if cache.lang != lang || !code.starts_with(cache.code.as_str()) || cache.state.is_none() {
        *cache = CodeCache {
            lang: lang.to_owned(),
            state: Some((ParseState::new(syntax), ScopeStack::new())),
            ..CodeCache::default()
        };
    }
    let (state, stack) = cache.state.as_mut()?;
    let new = &code[cache.code.len()..];
    let mut partial = None;
    for line in LinesWithEndings::from(new) {
        if !line.ends_with('\n') {
            partial = Some(line);
            break;
        }
        let ops = state.parse_line(line, &SYNTAXES).ok()?;
        let (html, delta) = line_tokens_to_classed_spans(line, &ops, STYLE, stack).ok()?;
        cache.html.push_str(&html);
        cache.open_spans += delta;
        cache.code.push_str(line);
    }
    let mut out = cache.html.clone();
    let mut open = cache.open_spans;
    // A half-written last line: highlighted from a copy of the state, not kept.
    if let Some(line) = partial {
        let (mut state, mut stack) = (state.clone(), stack.clone());
        let ops = state.parse_line(line, &SYNTAXES).ok()?;
        let (html, delta) = line_tokens_to_classed_spans(line, &ops, STYLE, &mut stack).ok()?;
        out.push_str(&html);
        open += delta;
    }
    for _ in 0..open.max(0) {
        out.push_str("</span>");
    }
    Some(out)
}

/// `text` as HTML text (pulldown-cmark's own escaping).
fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    pulldown_cmark::html::push_html(&mut out, std::iter::once(pulldown_cmark::Event::Text(text.into())));
    out
}

/// `css` with every rule's selectors put under `scope` (syntect writes one rule head per line,
/// its selectors separated by commas, ending with `{`).
fn scoped(css: &str, scope: &str) -> String {
    css.lines()
        .map(|line| match line.trim_end().strip_suffix('{') {
            Some(selectors) if !selectors.trim().is_empty() => {
                let scoped: Vec<String> = selectors.split(',').map(|s| format!("{scope} {}", s.trim())).collect();
                format!("{} {{", scoped.join(", "))
            }
            _ => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The highlighting stylesheet (served as `/highlight.css`).
pub fn stylesheet() -> &'static str {
    static CSS: LazyLock<String> = LazyLock::new(|| {
        let themes = ThemeSet::load_defaults();
        let css = |name: &str| {
            themes.themes.get(name).and_then(|t| css_for_theme_with_class_style(t, STYLE).ok()).unwrap_or_default()
        };
        // Dark when the page says so (`data-theme`, components/theme.rs), or when the system does
        // and the page does not say light.
        format!(
            "/* Code highlighting (syntect's {LIGHT} and {DARK}). */\n{}\n{}\n@media (prefers-color-scheme: dark) {{\n{}\n}}\n",
            css(LIGHT),
            scoped(&css(DARK), ":root[data-theme=\"dark\"]"),
            scoped(&css(DARK), ":root:not([data-theme=\"light\"])"),
        )
    });
    &CSS
}
