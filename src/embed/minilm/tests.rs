//! These tests run the real model: `webplus models fetch` puts it in place. They fail, never skip,
//! when it is missing.

use std::sync::LazyLock;

use super::*;
use crate::embed::cosine;
use candle_core::Tensor;

/// One model for every test: loading it once keeps the suite fast.
static MODEL: LazyLock<LocalMiniLm> = LazyLock::new(|| {
    let dir = LocalMiniLm::default_dir();
    let missing: Vec<&str> = FILES.into_iter().filter(|f| !dir.join(f).is_file()).collect();
    assert!(
        missing.is_empty(),
        "these tests need all-MiniLM-L6-v2 in {} (missing: {}): run `webplus models fetch`",
        dir.display(),
        missing.join(", ")
    );
    LocalMiniLm::new(dir)
});

fn strings(texts: &[&str]) -> Vec<String> {
    texts.iter().map(|t| (*t).to_owned()).collect()
}

async fn embed(texts: &[&str]) -> Vec<Vec<f32>> {
    MODEL.embed(&strings(texts)).await.expect("embedding failed")
}

#[tokio::test]
async fn vectors_have_384_dimensions_and_unit_length() {
    let vectors = embed(&["The cat sits on the mat.", "Hello", "a much longer sentence, with punctuation!"]).await;
    assert_eq!(MODEL.dims(), 384);
    assert_eq!(vectors.len(), 3);
    for v in &vectors {
        assert_eq!(v.len(), 384);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
}

#[tokio::test]
async fn related_sentences_are_closer_than_unrelated_ones() {
    let v =
        embed(&["A man is eating food.", "A man is eating a piece of bread.", "The girl is carrying a baby."]).await;
    let (related, unrelated) = (cosine(&v[0], &v[1]), cosine(&v[0], &v[2]));
    assert!(related > unrelated + 0.2, "related {related}, unrelated {unrelated}");
}

#[tokio::test]
async fn batching_and_padding_do_not_change_the_vectors() {
    // Lengths differ a lot, so the short texts are padded heavily in the batch; 40 texts span two
    // batches.
    let mut texts: Vec<String> = (0..40)
        .map(|i| match i % 3 {
            0 => format!("Sentence number {i}."),
            1 => format!("A longer sentence, number {i}, that talks about cats, mats and many other things."),
            _ => "Short.".to_owned(),
        })
        .collect();
    texts.push("word ".repeat(400)); // past MAX_TOKENS: truncated, still embedded
    let together = MODEL.embed(&texts).await.unwrap();
    assert_eq!(together.len(), texts.len());
    for (i, text) in texts.iter().enumerate() {
        let alone = MODEL.embed(std::slice::from_ref(text)).await.unwrap();
        let diff = together[i].iter().zip(&alone[0]).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff < 1e-4, "text {i} differs by {diff} between batch and alone");
    }
}

#[tokio::test]
async fn no_texts_give_no_vectors() {
    assert!(MODEL.embed(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_blank_text_is_invalid() {
    let err = MODEL.embed(&strings(&["fine", "  "])).await.unwrap_err();
    assert!(matches!(err, EmbedError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn a_missing_model_dir_says_how_to_fetch_it() {
    let dir = tempfile::tempdir().unwrap();
    let embedder = LocalMiniLm::new(dir.path().join("nothing-here"));
    let err = embedder.embed(&strings(&["hello"])).await.unwrap_err();
    assert!(matches!(&err, EmbedError::ModelMissing { detail, .. } if detail.contains("model.safetensors")), "{err}");
    assert!(err.to_string().contains("webplus models fetch"), "{err}");
}

/// Reference values from an independent float64 NumPy implementation of BERT (post-LN, erf GELU)
/// reading the same model.safetensors, with the Python `tokenizers` package on the same
/// tokenizer.json, mean pooling and L2 normalisation: what sentence-transformers computes. The two
/// agreed within 1.1e-7 on all 384 components.
#[tokio::test]
async fn a_sentence_matches_a_reference_implementation() {
    let reference = [
        (0, 0.134177),
        (1, -0.0329),
        (2, -0.024804),
        (3, 0.041439),
        (100, -0.019906),
        (200, -0.008728),
        (300, 0.076155),
        (383, 0.060122),
    ];
    let v = embed(&["The cat sits on the mat."]).await;
    for (i, expected) in reference {
        assert!((v[0][i] - expected).abs() < 1e-4, "component {i}: {} instead of {expected}", v[0][i]);
    }
}

/// The encoder (`bert.rs`: half-precision weights, its own matrix multiplication and GELU) against
/// candle-transformers' `BertModel` in full precision on the same files, for a short query, a
/// sentence, a chunk-sized text and one cut at MAX_TOKENS, alone and padded in one batch.
#[tokio::test]
async fn the_encoder_agrees_with_candle_transformers_bert_in_full_precision() {
    use candle_transformers::models::bert::BertModel;

    let texts = strings(&[
        "refund policy days",
        "How long do I have to return a product I bought online?",
        &"Plans are billed monthly or yearly; the yearly plan costs less per seat. ".repeat(14),
        &"word ".repeat(400),
    ]);
    let ours = MODEL.embed(&texts).await.unwrap();

    let dir = LocalMiniLm::default_dir();
    let model = Model::load(&dir).unwrap();
    let config: Config = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    let weights = std::fs::read(dir.join("model.safetensors")).unwrap();
    let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu).unwrap();
    let reference = BertModel::load(vb, &config).unwrap();
    for (i, text) in texts.iter().enumerate() {
        let encoding = model.tokenizer.encode(text.as_str(), true).unwrap();
        let tensor = |part: &[u32]| Tensor::new(part, &Device::Cpu).unwrap().unsqueeze(0).unwrap();
        let hidden = reference.forward(&tensor(encoding.get_ids()), &tensor(encoding.get_type_ids()), None).unwrap();
        let mut expected = hidden.mean(1).unwrap().squeeze(0).unwrap().to_vec1::<f32>().unwrap();
        l2_normalize(&mut expected);
        let similarity = cosine(&ours[i], &expected);
        assert!(similarity > 0.9999, "text {i}: cosine {similarity}");
    }
}
