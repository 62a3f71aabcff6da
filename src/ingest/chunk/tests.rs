use super::*;

fn doc(blocks: Vec<Block>) -> Document {
    Document { title: "T".into(), url: "https://example.com/t".into(), blocks }
}

fn h(level: u8, text: &str) -> Block {
    Block::Heading { level, text: text.into() }
}

fn p(text: &str) -> Block {
    Block::Paragraph(text.into())
}

fn small(max: usize, overlap: usize) -> ChunkConfig {
    ChunkConfig { max_chars: max, overlap_chars: overlap }
}

#[test]
fn empty_or_whitespace_only_documents_give_no_chunks() {
    assert!(chunk(&doc(vec![]), &ChunkConfig::default()).is_empty());
    let blank = doc(vec![p("  \n\t "), h(1, "   "), Block::Code("\n\n".into()), Block::ListItem(" ".into())]);
    assert!(chunk(&blank, &ChunkConfig::default()).is_empty());
}

#[test]
fn short_sections_become_one_chunk_each_with_their_heading_path() {
    let d = doc(vec![
        p("Preamble."),
        h(1, "Guide"),
        p("Intro."),
        h(2, "Install"),
        p("Run it."),
        Block::ListItem("step one".into()),
        h(3, "Linux"),
        Block::Code("apt install x".into()),
        h(2, "Use"),
        p("Use it."),
    ]);
    let chunks = chunk(&d, &ChunkConfig::default());
    let got: Vec<(usize, &str, Vec<&str>)> = chunks
        .iter()
        .map(|c| (c.index, c.text.as_str(), c.heading_path.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, "Preamble.", vec![]),
            (1, "Intro.", vec!["Guide"]),
            (2, "Run it.\n- step one", vec!["Guide", "Install"]),
            (3, "apt install x", vec!["Guide", "Install", "Linux"]),
            (4, "Use it.", vec!["Guide", "Use"]),
        ]
    );
}

#[test]
fn a_long_section_is_cut_between_paragraphs_and_overlaps_within_the_section() {
    let paras: Vec<String> = (0..6).map(|i| format!("Paragraph {i} says something fairly long here.")).collect();
    let mut blocks = vec![h(1, "A")];
    blocks.extend(paras.iter().map(|t| p(t)));
    blocks.push(h(1, "B"));
    blocks.push(p("Other section."));
    let chunks = chunk(&doc(blocks), &small(120, 30));
    assert!(chunks.len() >= 4, "{chunks:#?}");
    for c in &chunks {
        assert!(c.text.chars().count() <= 120, "{c:?}");
    }
    let a: Vec<&Chunk> = chunks.iter().filter(|c| c.heading_path == ["A"]).collect();
    for pair in a.windows(2) {
        // The overlap: the next chunk starts with words that ended the previous one.
        let first_word_of_next = pair[1].text.split_whitespace().next().unwrap();
        assert!(pair[0].text.contains(first_word_of_next), "{pair:#?}");
        assert!(!pair[1].text.starts_with("Paragraph 0"), "{pair:#?}");
    }
    let b = chunks.iter().find(|c| c.heading_path == ["B"]).unwrap();
    assert_eq!(b.text, "Other section.", "no overlap carried across sections");
    for para in &paras {
        assert!(chunks.iter().any(|c| c.text.contains(para.as_str())), "{para} is whole in some chunk");
    }
}

#[test]
fn a_long_paragraph_is_cut_at_sentence_boundaries() {
    let text = "The first sentence is here. The second one follows it! Is the third a question? The fourth ends.";
    let chunks = chunk(&doc(vec![p(text)]), &small(60, 0));
    let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(
        texts,
        vec!["The first sentence is here. The second one follows it!", "Is the third a question? The fourth ends."]
    );
}

#[test]
fn a_sentence_longer_than_a_chunk_is_cut_between_words() {
    let text = "word ".repeat(40);
    let chunks = chunk(&doc(vec![p(&text)]), &small(50, 10));
    assert!(chunks.len() > 3);
    for c in &chunks {
        assert!(c.text.chars().count() <= 50);
        assert!(c.text.split(' ').all(|w| w == "word"), "{:?}", c.text);
    }
}

#[test]
fn a_word_longer_than_a_chunk_is_cut_between_characters_never_inside_utf8() {
    let word = "日本語のテキスト".repeat(20); // 160 chars, 480 bytes, no spaces
    let chunks = chunk(&doc(vec![p(&word)]), &small(50, 0));
    assert_eq!(chunks.iter().map(|c| c.text.as_str()).collect::<String>(), word);
    assert!(chunks.iter().all(|c| c.text.chars().count() <= 50));
}

#[test]
fn long_code_is_cut_between_lines() {
    let code: String = (0..30).map(|i| format!("let x{i} = {i};\n")).collect();
    let chunks = chunk(&doc(vec![Block::Code(code.clone())]), &small(100, 0));
    assert!(chunks.len() > 1);
    for c in &chunks {
        assert!(c.text.lines().all(|l| l.starts_with("let x") && l.ends_with(';')), "{:?}", c.text);
    }
}

#[test]
fn a_deeper_heading_is_popped_by_a_shallower_one() {
    let d = doc(vec![h(2, "Two"), h(4, "Four"), p("a"), h(3, "Three"), p("b"), h(1, "One"), p("c")]);
    let paths: Vec<Vec<String>> = chunk(&d, &ChunkConfig::default()).into_iter().map(|c| c.heading_path).collect();
    assert_eq!(paths, vec![vec!["Two", "Four"], vec!["Two", "Three"], vec!["One"]]);
}

#[test]
fn the_overlap_starts_at_a_word_and_respects_its_size() {
    assert_eq!(tail("alpha beta gamma", 8), "gamma");
    assert_eq!(tail("alpha beta gamma", 100), "alpha beta gamma");
    assert_eq!(tail("alpha beta gamma", 0), "");
    assert_eq!(tail("éééé", 2), "éé");
}

#[test]
fn a_paragraph_cut_in_two_repeats_the_end_of_the_first_part_at_the_start_of_the_second() {
    let sentences: Vec<String> = (0..12).map(|i| format!("Sentence number {i} is here.")).collect();
    let chunks = chunk(&doc(vec![h(1, "S"), p(&sentences.join(" "))]), &small(150, 40));
    assert!(chunks.len() >= 2);
    for pair in chunks.windows(2) {
        let carried = tail(&pair[0].text, 40);
        assert!(!carried.is_empty() && pair[1].text.starts_with(carried), "{pair:#?}");
        assert!(pair[1].text.chars().count() <= 150);
    }
    for s in &sentences {
        assert!(chunks.iter().any(|c| c.text.contains(s.as_str())), "{s} is whole somewhere");
    }
}

fn row(text: &str) -> Block {
    Block::TableRow(text.into())
}

fn texts(chunks: &[Chunk]) -> Vec<&str> {
    chunks.iter().map(|c| c.text.as_str()).collect()
}

#[test]
fn a_table_is_chunked_apart_from_its_prose_a_few_rows_at_a_time_each_after_its_header() {
    let mut blocks = vec![h(2, "Specs"), p("The tablet's specifications:"), row("Spec | Value")];
    let rows: Vec<String> = (1..=TABLE_ROWS * 2 + 1).map(|i| format!("Row {i} | {i} g")).collect();
    blocks.extend(rows.iter().map(|r| row(r)));
    blocks.push(p("Prose after the table."));
    let chunks = chunk(&doc(blocks), &ChunkConfig::default());
    let mut want = vec!["The tablet's specifications:".to_owned()];
    for group in rows.chunks(TABLE_ROWS) {
        want.push(format!("Spec | Value\n\n{}", group.join("\n\n")));
    }
    want.push("Prose after the table.".into());
    assert_eq!(texts(&chunks), want);
    assert!(chunks.iter().all(|c| c.heading_path == ["Specs"]));
    assert_eq!(chunks.iter().map(|c| c.index).collect::<Vec<_>>(), (0..want.len()).collect::<Vec<_>>());
}

#[test]
fn a_table_chunk_stays_within_the_size_and_a_row_too_long_for_it_is_cut_as_prose() {
    let long = format!("Notes | {}", "word ".repeat(60).trim_end());
    let blocks = vec![row("Name | Value"), row("a | 1"), row("b | 2"), row(&long), row("c | 3")];
    let chunks = chunk(&doc(blocks), &small(120, 20));
    assert!(chunks.iter().all(|c| c.text.chars().count() <= 120), "{chunks:#?}");
    assert_eq!(chunks[0].text, "Name | Value\n\na | 1\n\nb | 2");
    assert!(chunks[1].text.starts_with("Notes | word") && !chunks[1].text.contains("Name"), "{chunks:#?}");
    assert_eq!(chunks.last().map(|c| c.text.as_str()), Some("Name | Value\n\nc | 3"));
    let words: usize = chunks.iter().map(|c| c.text.matches("word").count()).sum();
    assert_eq!(words, 60, "every word of the long row is kept once");
}

#[test]
fn a_lone_table_row_is_prose_of_its_section() {
    let chunks = chunk(&doc(vec![p("Before."), row("only | row"), p("After.")]), &ChunkConfig::default());
    assert_eq!(texts(&chunks), vec!["Before.\n\nonly | row\n\nAfter."]);
}
