//! Reads an embeddings answer: vectors put back in input order, sizes checked, unit length.
//!
//! Only `data[].index` and `data[].embedding` are required: compatible servers differ in the rest
//! (some omit `usage` or `object`), and async-openai's response type would reject them.

use serde::Deserialize;

use super::super::{EmbedError, l2_normalize};
use super::errors::Ctx;

#[derive(Deserialize)]
struct Response {
    data: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    index: usize,
    embedding: Vec<f32>,
}

/// The `count` vectors in `body`, in the order of the request's inputs. `expected` is the vector
/// size every one must have (`None`: any, for the dimension probe); `requested` says whether it was
/// sent as `dimensions`, which changes what the user should do about a mismatch.
pub(super) fn vectors(
    body: &[u8],
    count: usize,
    expected: Option<usize>,
    requested: bool,
    ctx: &Ctx<'_>,
) -> Result<Vec<Vec<f32>>, EmbedError> {
    let Ctx { base, model, .. } = ctx;
    let response: Response = serde_json::from_slice(body).map_err(|e| {
        EmbedError::Failed(format!("{base} answered the embedding request with something other than embeddings: {e}"))
    })?;
    let answered = response.data.len();
    let mut slots: Vec<Option<Vec<f32>>> = vec![None; count];
    for item in response.data {
        // Servers may answer in any order; `index` is the position in the request's `input`.
        match slots.get_mut(item.index) {
            Some(slot @ None) => *slot = Some(item.embedding),
            _ => {
                return Err(EmbedError::Failed(format!(
                    "{base} answered with a duplicate or out-of-range embedding index {} for {count} texts",
                    item.index
                )));
            }
        }
    }
    let mut out = Vec::with_capacity(count);
    for slot in slots {
        let Some(mut vector) = slot else {
            return Err(EmbedError::Failed(format!("{base} answered with {answered} embeddings for {count} texts")));
        };
        let want = expected.unwrap_or(vector.len());
        if vector.len() != want {
            let hint = if requested {
                "the server does not honour the `dimensions` setting; remove it (and re-embed existing knowledge bases)"
            } else {
                "set the embedding dimensions to the model's real size (and re-embed existing knowledge bases)"
            };
            return Err(EmbedError::Failed(format!(
                "model `{model}` at {base} returned vectors of {} dimensions where {want} were expected; {hint}",
                vector.len()
            )));
        }
        l2_normalize(&mut vector);
        out.push(vector);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTX: Ctx<'static> = Ctx { base: "http://x/v1", model: "m", key: None };

    #[test]
    fn vectors_come_back_in_input_order_and_unit_length() {
        let body = br#"{"object":"list","data":[
            {"object":"embedding","index":1,"embedding":[0.0,2.0]},
            {"object":"embedding","index":0,"embedding":[3.0,4.0]}],"model":"m"}"#;
        let vectors = vectors(body, 2, Some(2), false, &CTX).unwrap_or_default();
        assert_eq!(vectors, vec![vec![0.6, 0.8], vec![0.0, 1.0]]);
    }

    #[test]
    fn a_missing_or_repeated_index_is_an_error() {
        let missing = br#"{"data":[{"index":0,"embedding":[1.0]}]}"#;
        let err = vectors(missing, 2, None, false, &CTX).unwrap_err();
        assert!(err.to_string().contains("1 embeddings for 2 texts"), "{err}");
        let repeated = br#"{"data":[{"index":0,"embedding":[1.0]},{"index":0,"embedding":[1.0]}]}"#;
        assert!(vectors(repeated, 2, None, false, &CTX).is_err());
    }

    #[test]
    fn a_vector_of_the_wrong_size_names_both_sizes() {
        let body = br#"{"data":[{"index":0,"embedding":[1.0,0.0,0.0]}]}"#;
        let err = vectors(body, 1, Some(2), true, &CTX).unwrap_err().to_string();
        assert!(err.contains("3 dimensions where 2 were expected") && err.contains("`dimensions`"), "{err}");
    }
}
