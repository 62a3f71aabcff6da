//! The grounded-answer evaluation's scoring (`server/benches/grounded/score.rs`), and its data set:
//! every expected fact is in the document that answers it.

#[path = "../benches/grounded/score.rs"]
mod score;

use score::{Question, citations, load_questions, normalize, score};

fn question(doc: Option<&str>, facts: &[&[&str]], forbid: &[&str]) -> Question {
    Question {
        id: "q".into(),
        question: "How long is the refund window for plan 2?".into(),
        doc: doc.map(str::to_owned),
        section: None,
        facts: facts.iter().map(|alts| alts.iter().map(|a| a.to_string()).collect()).collect(),
        forbid: forbid.iter().map(|f| f.to_string()).collect(),
        held_out: false,
    }
}

const POLICY: &str = "## Refund window\nYou can ask for a refund within 14 days.\n\
                      ## Processing\nRefunds are paid within 5-10 business days. Trials last 30 days.";
fn policy() -> Option<String> {
    Some("refund-policy.md".into())
}

#[test]
fn a_right_answer_has_every_fact_the_right_citation_and_only_the_documents_numbers() {
    let q = question(Some("refund-policy.md"), &[&["14 days", "fourteen days"]], &["30"]);
    let v = score(&q, "You have **14 days** to ask [1].", &[policy()], Some(POLICY));
    assert!(v.right && v.cited_right == Some(true), "{v:?}");
    assert!(v.problems.is_empty(), "{v:?}");
}

#[test]
fn a_wrong_number_a_forbidden_one_or_a_missing_fact_makes_it_wrong() {
    let q = question(Some("refund-policy.md"), &[&["14 days"]], &["30"]);
    // The widget's mistake in the issue: a number the passage does not have.
    let v = score(&q, "Refunds take 2 to 7 business days [1].", &[policy()], Some(POLICY));
    assert!(!v.right, "{v:?}");
    assert!(v.problems.iter().any(|p| p.contains("numbers not in the document: 7")), "{v:?}");
    assert!(v.problems.iter().any(|p| p.contains("missing: 14 days")), "{v:?}");
    let v = score(&q, "14 days, or 30 days for trials [1].", &[policy()], Some(POLICY));
    assert!(!v.right && v.problems.iter().any(|p| p.contains("contains: 30")), "{v:?}");
    // `30` is not found inside `300` (which is itself not in the document).
    let v = score(&q, "14 days [1], up to 300.", &[policy()], Some(POLICY));
    assert!(!v.problems.iter().any(|p| p.starts_with("contains")), "{v:?}");
    assert!(!v.right);
}

#[test]
fn citations_must_exist_and_all_point_to_the_answering_document() {
    let q = question(Some("refund-policy.md"), &[&["14 days"]], &[]);
    let v = score(&q, "14 days.", &[], Some(POLICY));
    assert!(v.right && v.cited_right == Some(false), "{v:?}");
    let v = score(&q, "14 days [1][2].", &[policy(), Some("pricing.md".into())], Some(POLICY));
    assert_eq!(v.cited_right, Some(false));
    assert!(v.problems.iter().any(|p| p == "cites refund-policy.md, pricing.md"), "{v:?}");
    let v = score(&q, "14 days [9].", &[None], Some(POLICY));
    assert_eq!(v.cited_right, Some(false));
}

#[test]
fn an_unanswerable_question_wants_a_plain_i_dont_know_without_invented_numbers() {
    let q = question(None, &[], &[]);
    let v = score(&q, "The documents don\u{2019}t say.", &[], None);
    assert!(v.right && v.said_unknown && v.cited_right.is_none(), "{v:?}");
    let v = score(&q, "I don't know, but try +1 555 0100.", &[], None);
    assert!(!v.right, "{v:?}");
    let v = score(&q, "Call +1 555 0100.", &[], None);
    assert!(!v.right && !v.said_unknown, "{v:?}");
    // A number from the question may be repeated.
    let v = score(&q, "The sources do not mention plan 2.", &[], None);
    assert!(v.right, "{v:?}");
}

#[test]
fn citation_markers_list_markers_and_separators_are_not_numbers_of_the_answer() {
    let q = question(Some("refund-policy.md"), &[&["1200 users"]], &[]);
    let doc = "Teams of up to 1,200 users.";
    let v = score(&q, "1. Teams hold up to 1,200 users [3, 4].", &[policy(), policy()], Some(doc));
    assert!(v.right, "{v:?}");
    assert_eq!(citations("a [3, 4] b [1] c [x] [3]"), vec![3, 4, 1]);
    assert_eq!(normalize("A \u{2013} B\n\n  C,  d"), "a - b\n\nc, d");
}

#[test]
fn the_data_set_is_consistent() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/grounded");
    let (held_out, questions): (Vec<Question>, Vec<Question>) =
        load_questions(&dir).unwrap().into_iter().partition(|q| q.held_out);
    for (set, at_least) in [(&questions, (40, 8)), (&held_out, (20, 4))] {
        let answerable = set.iter().filter(|q| q.doc.is_some()).count();
        assert!(answerable >= at_least.0 && set.len() - answerable >= at_least.1, "{answerable} of {}", set.len());
    }
    // No question is in both sets, by id or by wording.
    let mut seen = std::collections::HashSet::new();
    for q in questions.iter().chain(&held_out) {
        assert!(seen.insert(q.id.clone()) && seen.insert(normalize(&q.question)), "{} twice", q.id);
    }
    let mut docs = std::collections::BTreeSet::new();
    for q in questions.iter().chain(&held_out) {
        let Some(doc) = &q.doc else {
            assert!(q.facts.is_empty(), "{}", q.id);
            continue;
        };
        docs.insert(doc.clone());
        let text = normalize(&std::fs::read_to_string(dir.join("docs").join(doc)).unwrap());
        let section = q.section.as_deref().map(normalize).unwrap_or_default();
        assert!(!section.is_empty() && text.contains(&section), "{}: no section {section:?} in {doc}", q.id);
        for alts in &q.facts {
            assert!(alts.iter().any(|a| text.contains(&normalize(a))), "{}: no {alts:?} in {doc}", q.id);
        }
        // A right answer, made of the facts as the document words them, scores right.
        let answer: Vec<String> = q
            .facts
            .iter()
            .map(|alts| alts.iter().find(|a| text.contains(&normalize(a))).cloned().unwrap_or_default())
            .collect();
        let v = score(q, &format!("{} [1]", answer.join("; ")), &[Some(doc.clone())], Some(&text));
        assert!(v.right, "{}: {v:?}", q.id);
    }
    assert!(docs.len() >= 10, "{docs:?}");
}
