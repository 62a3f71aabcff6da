//! Posting a browser object (a `FormData` of files, or one `File`) with `fetch`: same origin, so
//! the session cookies authenticate it. Server functions cannot carry these (`!Send` values).

use wasm_bindgen::{JsCast, JsValue};

/// Posts `body` to `url`; the answer's JSON when it succeeds, else the server's error message
/// (or `failed` and the status, when the answer has none).
pub async fn post_body(
    url: &str,
    body: &JsValue,
    content_type: Option<&str>,
    failed: &str,
) -> Result<serde_json::Value, String> {
    use leptos::prelude::window;
    use wasm_bindgen_futures::JsFuture;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(body);
    init.set_credentials(web_sys::RequestCredentials::SameOrigin);
    if let Some(ct) = content_type {
        let headers = web_sys::Headers::new().map_err(|_| failed.to_string())?;
        headers.set("content-type", ct).map_err(|_| failed.to_string())?;
        init.set_headers(&headers);
    }
    let unreachable = |_| "could not reach the server".to_string();
    let resp = JsFuture::from(window().fetch_with_str_and_init(url, &init)).await.map_err(unreachable)?;
    let resp: web_sys::Response = resp.dyn_into().map_err(|_| "unexpected answer".to_string())?;
    let text = JsFuture::from(resp.text().map_err(unreachable)?).await.map_err(unreachable)?;
    let body: serde_json::Value = serde_json::from_str(&text.as_string().unwrap_or_default()).unwrap_or_default();
    if resp.ok() {
        Ok(body)
    } else {
        Err(body["error"]["message"].as_str().map_or_else(|| format!("{failed} ({})", resp.status()), String::from))
    }
}
